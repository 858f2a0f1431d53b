"""RFC 9457 problem details: the one error format of the API, validation errors included."""

from __future__ import annotations

import logging
import traceback
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypedDict

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from .asgi import HttpMiddleware
from .logs import request_id_var

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing.Unpack from Python 3.11 on

PROBLEM_JSON = "application/problem+json"
AUTH = (401, 403)
"""The problems every route behind a token can answer: no valid token, or no role."""
log = logging.getLogger("reference_api.errors")


class InvalidParam(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """The body of every error response (RFC 9457)."""

    type: str = Field(default="about:blank", description="URI identifying the problem type")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[InvalidParam] | None = Field(default=None, description="Validation errors, when any")


class ProblemFields(TypedDict, total=False):
    """A problem's optional parts besides ``detail``: its type URI (default ``about:blank``), its title
    (default: the status's phrase), response headers, and extra members of the body."""

    type_: str
    title: str | None
    headers: dict[str, str] | None
    extra: dict[str, Any] | None


class ProblemError(Exception):
    """Raised by handlers; rendered as problem+json."""

    def __init__(self, status: int, detail: str | None = None, **fields: Unpack[ProblemFields]) -> None:
        title = fields.get("title") or HTTPStatus(status).phrase
        super().__init__(detail or title)
        self.status = status
        self.detail = detail
        self.type = fields.get("type_", "about:blank")
        self.title = title
        self.headers = fields.get("headers") or {}
        self.extra = fields.get("extra") or {}

    def response(self, request: Request | None) -> Response:
        """The problem+json response; ``instance`` is the request's path when there is a request."""
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if request is not None:
            body["instance"] = request.url.path
        rid = request_id_var.get()
        if rid:
            body["request_id"] = rid
        body.update(self.extra)
        return Response(
            orjson.dumps(body), status_code=self.status, media_type=PROBLEM_JSON, headers=self.headers
        )


def problem_type(slug: str) -> str:
    return f"urn:reference-api:problem:{slug}"


def unavailable(slug: str, detail: str, *, retry_after_s: int) -> ProblemError:
    """503: something the API depends on cannot answer right now; ``Retry-After`` says when to try again."""
    return ProblemError(503, detail, type_=problem_type(slug), headers={"Retry-After": str(retry_after_s)})


def problem_response(
    request: Request | None, status: int, *, detail: str | None = None, **fields: Unpack[ProblemFields]
) -> Response:
    """The problem+json response for a problem that is answered rather than raised."""
    return ProblemError(status, detail, **fields).response(request)


async def _problem_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return exc.response(request)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == HTTPStatus(exc.status_code).phrase:
        detail = None
    return problem_response(request, exc.status_code, detail=detail, headers=dict(exc.headers or {}))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    return problem_response(
        request,
        422,
        detail="The request is not valid; see errors.",
        type_=problem_type("validation"),
        title="Validation failed",
        extra={"errors": errors},
    )


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    """The database is down, restarting or out of pooled connections: 503 with Retry-After, not 500."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError) and not exc.connection_invalidated and not _is_connection_error(exc.orig):
        return await _unhandled(request, exc)
    log.warning("database unavailable", extra={"error": type(exc).__name__})
    return unavailable(
        "database-unavailable", "the database is not reachable right now; retry shortly", retry_after_s=2
    ).response(request)


# "No usable connection right now", not a fault of the request: a lost connection (db.CONNECTION_LOST),
# or a rejected password. Between the two steps of a rotation (the role has the new password, the secret
# the old one) a new connection cannot log in until the secret is updated, and db.CredentialSource
# re-reads it on the next try.
def _unavailable_errors() -> tuple[type[Exception], ...]:
    import asyncpg

    from .db import CONNECTION_LOST

    return (*CONNECTION_LOST, asyncpg.InvalidAuthorizationSpecificationError, OSError)


def _is_connection_error(error: object) -> bool:
    """True when the error (or what caused it) means the connection is gone or cannot be made."""
    lost = _unavailable_errors()
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, lost):
            return True
        error = getattr(error, "__cause__", None) or getattr(error, "__context__", None)
        seen += 1
    return False


def _database_error(exc: BaseException) -> BaseException | None:
    """The driver's error when ``exc`` is (or wraps) a database error, else None."""
    import asyncpg
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError | asyncpg.PostgresError | asyncpg.InterfaceError):
        return None
    error: BaseException | None = exc
    for _ in range(4):  # SQLAlchemy's error wraps its adapter's, which wraps asyncpg's
        if error is None or isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError):
            break
        error = getattr(error, "orig", None) or error.__cause__
    return error or exc


def log_unhandled(exc: BaseException, path: str) -> None:
    """Log an unhandled error; a database error without its message.

    PostgreSQL's and asyncpg's messages quote what was sent ("invalid input for query argument $1:
    '<the user's text>'", "Key (email)=(...) already exists"), and SQLAlchemy's message adds the
    statement. Users' text and e-mail addresses do not belong in logs: a database error is logged as
    its class, SQLSTATE, constraint and the stack (code locations only), which is what a fix needs.
    """
    driver = _database_error(exc)
    if driver is None:
        log.error("unhandled error", exc_info=exc, extra={"path": path})
        return
    log.error(
        "unhandled database error",
        extra={
            "path": path,
            "error": type(driver).__name__,
            "sqlstate": getattr(driver, "sqlstate", None),
            "constraint": getattr(driver, "constraint_name", None),
            "stack": "".join(traceback.format_tb(exc.__traceback__)),
        },
    )


async def _unhandled(request: Request, exc: Exception) -> Response:
    log_unhandled(exc, request.url.path)
    return problem_response(request, 500, detail="An unexpected error occurred; quote the request id.")


class UnhandledErrors(HttpMiddleware):
    """Pure ASGI middleware: an unhandled error becomes the problem+json 500 here, inside the app.

    Starlette renders an ``Exception`` handler in its outermost middleware and then re-raises, so uvicorn
    logs the error a second time and closes the connection, without ``Connection: close`` and only after
    that logging. A client that already sent its next request on the keep-alive connection (the ALB
    does) gets a reset: a 502 for an unrelated request. Answered here, the connection stays usable. An
    error after the response started still propagates: closing the connection is all that is left.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            if started:
                raise
            response = await _unhandled(Request(scope), exc)
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    app.add_exception_handler(DBAPIError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    for error in _unavailable_errors():  # from the raw read pool (db.Database.fetch), not wrapped
        app.add_exception_handler(error, _database_unavailable)
    app.add_exception_handler(Exception, _unhandled)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problem statuses a route can return."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
