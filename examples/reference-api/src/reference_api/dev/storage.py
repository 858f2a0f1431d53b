"""The endpoints behind the local document backend's links (``API_DOCUMENTS_BACKEND=local``).

In AWS, browsers upload to and download from S3 with URLs the API presigns. The local backend
(:class:`~reference_api.storage.LocalStorage`) hands out HMAC-signed, expiring links to these two
routes instead, so the front end and the tests take the same two-phase path without S3. A link works
for its one action and key until it expires; anything else is a 403 problem. Not in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ..problems import ProblemError, problem_type
from ..storage import LOCAL_STORAGE_PATH, LocalStorage

router = APIRouter(include_in_schema=False)


def _local(request: Request, action: str, key: str, expires: int, sig: str) -> LocalStorage:
    storage = request.app.state.storage
    if not isinstance(storage, LocalStorage) or not storage.verify(action, key, expires, sig):
        raise ProblemError(403, "invalid or expired storage link", type_=problem_type("forbidden"))
    return storage


@router.put(LOCAL_STORAGE_PATH + "/{key:path}")
async def dev_put(
    key: str, request: Request, action: Annotated[str, Query()], expires: int, sig: str
) -> Response:
    storage = _local(request, action if action == "put" else "", key, expires, sig)
    body = await request.body()
    storage.write(key, body, request.headers.get("content-type"))
    return Response(status_code=200)


@router.get(LOCAL_STORAGE_PATH + "/{key:path}")
async def dev_get(
    key: str, request: Request, action: Annotated[str, Query()], expires: int, sig: str
) -> Response:
    storage = _local(request, action if action == "get" else "", key, expires, sig)
    stored = await storage.stat(key)
    if stored is None:
        raise ProblemError(404, "no such object")
    return Response(
        storage.path(key).read_bytes(), media_type=stored.content_type or "application/octet-stream"
    )
