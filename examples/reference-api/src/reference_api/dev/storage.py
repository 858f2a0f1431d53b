"""The endpoints behind the local document backend's links (``API_DOCUMENTS_BACKEND=local``).

In AWS, browsers upload to and download from S3 with URLs the API presigns. The local backend
(:class:`~reference_api.storage.LocalStorage`) hands out HMAC-signed, expiring links to these two
routes instead, so the front end and the tests take the same two-phase path without S3. An upload form
works for its key, type and exact size until it expires, a link for its one key; anything else is a
403 problem. Not in the OpenAPI schema.
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


def _form(content_type: str, body: bytes) -> dict[str, bytes]:
    """The parts of a multipart/form-data body by name (the standard library's MIME parser)."""
    from email import message_from_bytes
    from email.policy import HTTP

    message = message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body, policy=HTTP)
    if not message.is_multipart():
        return {}
    parts: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            parts[name] = payload
    return parts


@router.post(LOCAL_STORAGE_PATH)
async def dev_post(request: Request) -> Response:
    """The local stand-in for S3's POST upload: the signed form fixes key, type, exact size and expiry."""
    storage = request.app.state.storage
    parts = _form(request.headers.get("content-type", ""), await request.body())
    try:
        key = parts["key"].decode()
        content_type = parts["Content-Type"].decode()
        expires = int(parts["expires"])
        signature = parts["signature"].decode()
        data = parts["file"]
    except (KeyError, ValueError, UnicodeDecodeError):
        raise ProblemError(400, "not an upload form") from None
    action = LocalStorage.post_action(content_type, len(data))
    if not isinstance(storage, LocalStorage) or not storage.verify(action, key, expires, signature):
        raise ProblemError(
            403, "invalid or expired upload form (or not the declared size)", type_=problem_type("forbidden")
        )
    storage.write(key, data, content_type)
    return Response(status_code=204)


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
