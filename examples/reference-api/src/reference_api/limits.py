"""Request body size limit: a pure ASGI middleware that refuses oversized bodies with 413 problem+json
before they are read in full, and before authentication or any handler runs.

The limit fits the largest legitimate request with room to spare (``API_MAX_BODY_BYTES``, default
256 KiB = 262,144 bytes): the biggest JSON body the models allow is a case or comment of 20,000
characters, which in the worst encoding a client may choose (every character a non-BMP one written as
a ``\\uXXXX\\uXXXX`` escape pair, 12 bytes) is 240,000 bytes plus a few kilobytes of other fields.
Documents never pass through the API (browsers upload them to storage with a presigned link); only the
development stand-in for S3 takes a larger body, through ``larger``.

A ``Content-Length`` above the limit is refused at once without reading anything; a chunked body is
counted as it arrives and refused at the first chunk that crosses the limit, so at most the limit plus
one chunk is ever held. The server then closes the connection rather than read the rest.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .asgi import HttpMiddleware
from .problems import problem_response, problem_type

# Per-case caps: what one case may hold, so that no case grows without bound (each list under a case is
# also paged). Far above what a case needs in practice; past one, the answer is 409 case-limit-reached.
COMMENTS_PER_CASE = 2_000
TIME_ENTRIES_PER_CASE = 2_000
DOCUMENTS_PER_CASE = 500
MEMBERS_PER_CASE = 100


class BodyLimit(HttpMiddleware):
    """Pure ASGI middleware: bodies above ``max_bytes`` get 413 (path prefixes in ``larger`` have theirs)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, larger: tuple[tuple[str, int], ...] = ()) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes
        self.larger = larger

    def limit(self, path: str) -> int:
        for prefix, max_bytes in self.larger:
            if path.startswith(prefix):
                return max_bytes
        return self.max_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit(scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _refuse(scope, receive, send, limit)
                return
        received = 0
        too_large = False
        started = False

        async def counting() -> Message:
            nonlocal received, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True  # what the app sees: the client went away; the client gets a 413
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if too_large:
                return  # the app's answer to a body it never got in full is replaced by the 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, guarded)
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            await _refuse(scope, receive, send, limit)


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = problem_response(
        None,
        413,
        detail=f"the request body is larger than {limit} bytes",
        type_=problem_type("body-too-large"),
        headers={"Connection": "close"},
        extra={"max_body_bytes": limit, "instance": scope["path"]},
    )
    await response(scope, receive, send)
