"""JSON logs on stdout, one object per line, each carrying the request id of the request it belongs to."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

import orjson
from starlette.types import Message, Receive, Scope, Send

from .asgi import HttpMiddleware

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9._:=-]{1,128}$")
_STD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
access_log = logging.getLogger("reference_api.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id_var.get()
        if rid:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.formatter.converter = time.gmtime  # type: ignore[union-attr]  # set on the line above
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # replaced by RequestContextMiddleware
    for chatty in ("alembic.runtime.plugins", "pgserver"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


# Case data is personal and often regulated: no cache (browser, proxy or CDN) may keep an API
# response, whatever a route forgets; ETag/If-Match concurrency does not need a cache.
_NO_STORE = (b"cache-control", b"no-store")
_NOSNIFF = (b"x-content-type-options", b"nosniff")


class RequestContextMiddleware(HttpMiddleware):
    """Pure ASGI middleware: request id (kept from ``X-Request-ID`` when sane), access log line, and
    ``Cache-Control: no-store`` + ``X-Content-Type-Options: nosniff`` unless a route set its own."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        incoming = None
        trace = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
            elif name == b"x-amzn-trace-id":
                trace = value.decode("latin-1")
        rid = incoming if incoming and _VALID_ID.match(incoming) else uuid.uuid4().hex
        request_id_var.set(rid)
        started = time.perf_counter()
        status = 500
        added = [(b"x-request-id", rid.encode()), _NOSNIFF]
        if scope["path"].startswith("/api/"):
            added.append(_NO_STORE)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in added if h[0] not in present)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            extra: dict[str, Any] = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            if trace:
                extra["trace_id"] = trace
            if scope["path"] not in ("/health", "/ready"):
                access_log.info("request", extra=extra)
