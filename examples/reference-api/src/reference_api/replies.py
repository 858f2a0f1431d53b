"""Answers to requests that carry a row: the JSON body, the ETag of a versioned row (cases, time entries),
and, for a write sent with an Idempotency-Key, the copy of the answer a retry gets back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from .deps import IdempotencyClaim, etag
from .jsonutil import JSON, dumps, json_response, plain


def _with_etag(row: Mapping[Any, Any], headers: dict[str, str] | None) -> dict[str, str]:
    return {"ETag": etag(row["version"]), **(headers or {})}


def row_response(
    row: Mapping[Any, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A versioned row as the response, with its ETag (and ``headers``)."""
    return json_response(plain(row), status, _with_etag(row, headers))


async def reply(
    conn: AsyncConnection,
    idem: IdempotencyClaim | None,
    content: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """``content`` as the JSON answer to a write. With an Idempotency-Key (``idem``) the same body, status
    and headers are stored in ``conn``'s transaction, the one that made the change, so they stand or fall
    with it and a retry gets exactly this answer."""
    body = dumps(content)
    if idem:
        await idem.complete(conn, status, body, headers)
    return Response(body, status_code=status, media_type=JSON, headers=headers)


async def row_reply(
    conn: AsyncConnection,
    idem: IdempotencyClaim | None,
    row: Mapping[Any, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """``reply`` with a versioned row and its ETag (and ``headers``)."""
    return await reply(conn, idem, plain(row), status=status, headers=_with_etag(row, headers))
