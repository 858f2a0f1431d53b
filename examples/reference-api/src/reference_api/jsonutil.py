"""orjson with the few extra types rows carry (asyncpg's own UUID class)."""

from __future__ import annotations

from typing import Any

import orjson


def _default(value: Any) -> Any:
    # asyncpg returns its own UUID type (a uuid.UUID look-alike orjson does not know).
    if type(value).__name__ == "UUID":
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default)
