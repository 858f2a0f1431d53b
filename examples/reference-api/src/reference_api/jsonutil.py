"""JSON bodies: orjson with the few extra types rows carry (asyncpg's own UUID class), rows as plain dicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

JSON = "application/json"


def _default(value: Any) -> Any:
    # asyncpg returns its own UUID type (a uuid.UUID look-alike orjson does not know).
    if type(value).__name__ == "UUID":
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default)


def plain(row: Mapping[Any, Any], *omit: str) -> dict[str, Any]:
    """A row as a dict with plain ``str`` keys (SQLAlchemy's are ``quoted_name``, which orjson refuses),
    without the columns named in ``omit``."""
    return {str(k): v for k, v in row.items() if k not in omit}


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(value), status_code=status, media_type=JSON, headers=headers)
