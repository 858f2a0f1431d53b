"""The one access rule: global role plus per-case membership.

``visible(principal)`` is a SQL predicate used both to filter lists and to guard single reads, so a
list can never show a case that a direct read would refuse, and vice versa. A case the caller may not
see answers 404 (never 403), so its existence does not leak.

- admin, manager: every case (soft-deleted ones too, when asked for);
- agent: cases assigned to them, created by them, or where they are a member;
- client: cases they requested, or where they are a member; only public comments.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, literal, or_, select, true, tuple_
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from . import cursor as cursors
from .auth import Principal
from .db import Database, all_rows, first_row
from .jsonutil import json_response, plain
from .problems import ProblemError, problem_type
from .roles import Role
from .schema import case_members, cases


def visible(p: Principal, table: Any = cases, *, sub: Any = None) -> ColumnElement[bool]:
    """The access rule; ``sub`` may be a ``bindparam`` standing for ``p.sub`` (precompiled reads)."""
    if p.is_supervisor:
        return true()
    who = p.sub if sub is None else sub
    member = exists().where(case_members.c.case_id == table.c.id, case_members.c.user_id == who)
    if p.role == Role.agent:
        return or_(table.c.assignee_id == who, table.c.created_by == who, member)
    return or_(table.c.requester_id == who, member)


def audience(p: Principal) -> str:
    """Which shape ``visible`` takes for ``p``: the key of precompiled statements."""
    return "supervisor" if p.is_supervisor else p.role if p.role == Role.agent else "client"


AUDIENCE_EXAMPLE = {
    "supervisor": Principal(sub="", role=Role.admin.value),
    "agent": Principal(sub="", role=Role.agent.value),
    "client": Principal(sub="", role=Role.client.value),
}


def not_found() -> ProblemError:
    return ProblemError(404, "no such case", type_=problem_type("case-not-found"))


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, detail, type_=problem_type("forbidden"))


async def load_case(
    conn: AsyncConnection,
    p: Principal,
    case_id: uuid.UUID,
    *,
    for_update: bool = False,
    allow_deleted: bool = False,
) -> RowMapping:
    stmt = select(*[c for c in cases.c if c.name != "search"]).where(cases.c.id == case_id, visible(p))
    if for_update:
        stmt = stmt.with_for_update(of=cases)
    row = await first_row(conn, stmt)
    if row is None:
        raise not_found()
    if row["deleted_at"] is not None and not (allow_deleted and p.is_supervisor):
        raise not_found()
    return row


def require_staff(p: Principal) -> None:
    if not p.is_staff:
        raise forbidden("clients may not do this")


def require_supervisor(p: Principal) -> None:
    if not p.is_supervisor:
        raise forbidden("only managers and admins may do this")


def _key_part(value: Any) -> str | int:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value if isinstance(value, int) else str(value)


def _key_value(part: str | int, column: ColumnElement[Any]) -> Any:
    """A cursor's key part back as the column's Python type (400 when it is not one)."""
    python_type = column.type.python_type
    try:
        if python_type is dt.datetime and isinstance(part, str):
            return dt.datetime.fromisoformat(part)
        if python_type is uuid.UUID and isinstance(part, str):
            return uuid.UUID(part)
        if python_type in (int, str) and isinstance(part, python_type):
            return part
    except ValueError:
        pass
    raise ProblemError(400, "invalid cursor; start again without one", type_=problem_type("invalid-cursor"))


async def case_page(
    db: Database,
    p: Principal,
    case_id: uuid.UUID,
    stmt: Select[Any],
    *,
    kind: str,
    key: tuple[ColumnElement[Any], ...],
    limit: int,
    cursor: str | None,
    staff_only: bool = False,
    allow_deleted: bool = False,
    omit: tuple[str, ...] = (),
) -> Response:
    """One page of a list under one case (comments, members, documents ...), oldest first, as the JSON
    response ``{"items": [...], "next_cursor": ...}``: keyset pagination on ``key`` (unique, ascending),
    the cursor signed like the case list's. 404 when ``p`` cannot see the case, then 403 when the list is
    for staff only and ``p`` is a client."""
    secret = db.settings.cursor_secret.get_secret_value().encode()
    scope = f"{kind}:{case_id}"
    if cursor:
        after = cursors.decode_key(secret, cursor, scope, len(key))
        values = [
            literal(_key_value(part, column), column.type) for part, column in zip(after, key, strict=True)
        ]
        stmt = stmt.where(tuple_(*key) > tuple_(*values))
    stmt = stmt.order_by(*key).limit(limit + 1)
    async with db.read() as conn:
        await load_case(conn, p, case_id, allow_deleted=allow_deleted)
        if staff_only:
            require_staff(p)
        rows = await all_rows(conn, stmt)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = cursors.encode_key(secret, scope, [_key_part(last[str(column.key)]) for column in key])
    return json_response({"items": [plain(r, *omit) for r in rows], "next_cursor": next_cursor})


async def check_cap(
    conn: AsyncConnection, table: Any, case_id: uuid.UUID, cap: int, what: str, *, just_added: int = 0
) -> None:
    """409 when the case already holds ``cap`` rows of ``table`` (not counting ``just_added`` rows this
    transaction wrote); call it with the case row locked (``load_case(..., for_update=True)``), so
    concurrent additions cannot pass the cap together."""
    count = (await conn.execute(select(func.count()).where(table.c.case_id == case_id))).scalar_one()
    if count - just_added >= cap:
        raise ProblemError(
            409,
            f"this case has reached its limit of {cap} {what}",
            type_=problem_type("case-limit-reached"),
            extra={"limit": cap},
        )
