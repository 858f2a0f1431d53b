"""Request-scoped dependencies: database, principal, Idempotency-Key, If-Match, and the case id of a path."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from .auth import Principal, TokenVerifier, unauthorized
from .db import Database, one_row
from .models import NUL_MESSAGE, has_nul
from .problems import ProblemError, problem_type
from .schema import idempotency_keys, users

CaseId = Annotated[uuid.UUID, Path(description="Case id")]
"""The ``{case_id}`` of a route's path."""
PageLimit = Annotated[int, Query(ge=1, le=100, description="Items per page (at most 100)")]
"""``limit`` of a paged list (the default, 50, is the route's)."""
PageCursor = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page; absent for the first")
]

bearer = HTTPBearer(auto_error=False, description="Cognito access token (or a development token)")


async def reject_nul(request: Request) -> None:
    """Every route's first dependency: U+0000 in a query parameter or path segment is a 422.

    Request bodies are checked by their models (``models.Strict``); header values cannot carry it
    (the HTTP server refuses the request). PostgreSQL's text cannot hold it, so it never gets there.
    """
    errors = [
        {"loc": ["query", name], "msg": NUL_MESSAGE, "type": "string_nul"}
        for name, value in request.query_params.multi_items()
        if has_nul(value) or has_nul(name)
    ]
    if has_nul(request.url.path):
        errors.append({"loc": ["path"], "msg": NUL_MESSAGE, "type": "string_nul"})
    if errors:
        raise RequestValidationError(errors)


async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


DbDep = Annotated[Database, Depends(get_db)]


async def get_principal(
    request: Request,
    db: DbDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized("a bearer access token is required")
    verifier: TokenVerifier = request.app.state.verifier
    principal = await verifier.verify(credentials.credentials)
    await _remember_user(db, principal)
    return principal


async def _remember_user(db: Database, p: Principal) -> None:
    """Keep the users the service knows (for assignment checks and e-mail) current, once per process per
    change. Addresses are not kept here: the directory has them (:mod:`reference_api.directory`)."""
    fingerprint = (p.username, p.role)
    if db.known_users.get(p.sub) == fingerprint:
        return
    stmt = insert(users).values(id=p.sub, display_name=p.username, role=p.role)
    stmt = stmt.on_conflict_do_update(
        index_elements=[users.c.id],
        set_={
            "display_name": func.coalesce(stmt.excluded.display_name, users.c.display_name),
            "role": stmt.excluded.role,
        },
    )
    async with db.transaction() as conn:
        await conn.execute(stmt)
    db.known_users[p.sub] = fingerprint


PrincipalDep = Annotated[Principal, Depends(get_principal)]


# --- Idempotency-Key ------------------------------------------------------------------------------

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
IN_FLIGHT_TAKEOVER_S = 60


class Replay(Exception):
    """Raised to answer a repeated POST with the stored response."""

    def __init__(self, response: Response) -> None:
        self.response = response


@dataclass
class IdempotencyClaim:
    owner_id: str
    key: str
    completed: bool = False

    async def complete(
        self, conn: AsyncConnection, status: int, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        """Store the response in the same transaction as the change it reports."""
        await conn.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.owner_id == self.owner_id, idempotency_keys.c.key == self.key)
            .values(
                status_code=status,
                response_body=body,
                response_headers=headers or {},
                completed_at=func.now(),
            )
        )
        self.completed = True


async def idempotency(
    request: Request,
    db: DbDep,
    principal: PrincipalDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            description="Makes the POST safe to retry: a repeat returns the stored response "
            "(409 while the first is in flight, 422 if the payload differs). Kept 24 h.",
            pattern=r"^[\x21-\x7e]{1,255}$",
        ),
    ] = None,
) -> AsyncIterator[IdempotencyClaim | None]:
    if idempotency_key is None:
        yield None
        return
    if not _KEY.match(idempotency_key):  # also declared in the schema: FastAPI answers 422 first
        raise ProblemError(422, "Idempotency-Key must be 1-255 visible ASCII characters")
    body = await request.body()
    digest = hashlib.sha256(
        b"%s %s\n%s" % (request.method.encode(), request.url.path.encode(), body)
    ).digest()
    ttl = db.settings.idempotency_ttl_s
    async with db.transaction() as conn:
        # Expired keys are forgotten lazily, so one key can be reused after its retention.
        await conn.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.owner_id == principal.sub,
                idempotency_keys.c.key == idempotency_key,
                idempotency_keys.c.created_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, ttl),
            )
        )
        claimed = (
            await conn.execute(
                insert(idempotency_keys)
                .values(
                    owner_id=principal.sub,
                    key=idempotency_key,
                    method=request.method,
                    path=request.url.path,
                    request_hash=digest,
                )
                .on_conflict_do_nothing()
                .returning(idempotency_keys.c.key)
            )
        ).first()
        if claimed is None:
            abandoned = idempotency_keys.c.created_at < func.now() - func.make_interval(
                0, 0, 0, 0, 0, 0, IN_FLIGHT_TAKEOVER_S
            )
            row = await one_row(
                conn,
                select(idempotency_keys, abandoned.label("abandoned"))
                .where(
                    idempotency_keys.c.owner_id == principal.sub,
                    idempotency_keys.c.key == idempotency_key,
                )
                .with_for_update(),
            )
            if bytes(row["request_hash"]) != digest:
                raise ProblemError(
                    422,
                    "this Idempotency-Key was used with a different request",
                    type_=problem_type("idempotency-key-reused"),
                )
            if row["completed_at"] is not None:
                headers: dict[str, Any] = dict(row["response_headers"] or {})
                headers["Idempotent-Replayed"] = "true"
                raise Replay(
                    Response(
                        bytes(row["response_body"]),
                        status_code=row["status_code"],
                        media_type="application/json",
                        headers=headers,
                    )
                )
            if not row["abandoned"]:
                raise ProblemError(
                    409,
                    "a request with this Idempotency-Key is still in flight; retry later",
                    type_=problem_type("idempotency-in-flight"),
                    headers={"Retry-After": "1"},
                )
            # The first attempt died without an answer: this one takes the key over.
            await conn.execute(
                update(idempotency_keys)
                .where(
                    idempotency_keys.c.owner_id == principal.sub, idempotency_keys.c.key == idempotency_key
                )
                .values(created_at=func.now())
            )
    claim = IdempotencyClaim(principal.sub, idempotency_key)
    try:
        yield claim
    finally:
        if not claim.completed:
            # Only a success consumes a key: after an error the client may retry with the same key.
            async with db.transaction() as conn:
                await conn.execute(
                    delete(idempotency_keys).where(
                        idempotency_keys.c.owner_id == principal.sub,
                        idempotency_keys.c.key == idempotency_key,
                        idempotency_keys.c.completed_at.is_(None),
                    )
                )


IdempotencyDep = Annotated[IdempotencyClaim | None, Depends(idempotency)]


def replay_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Replay)
    return exc.response


# --- ETag / If-Match ----------------------------------------------------------------------------


def etag(version: int) -> str:
    return f'"{version}"'


IfMatch = Annotated[
    str | None,
    Header(description="The case's current ETag; required (428 without it, 412 when stale)"),
]


def check_if_match(if_match: str | None, version: int) -> None:
    if if_match is None:
        raise ProblemError(
            428,
            "send If-Match with the ETag from your last read",
            type_=problem_type("precondition-required"),
        )
    candidates = [c.strip() for c in if_match.split(",")]
    if "*" in candidates:
        return
    current = etag(version)
    if not any(c.removeprefix("W/") == current for c in candidates):
        raise ProblemError(
            412,
            "the case changed since you read it; read it again and retry",
            type_=problem_type("stale-etag"),
            headers={"ETag": current},
        )
