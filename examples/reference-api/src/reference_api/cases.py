"""Cases: list and search, create, read, change, soft delete and restore.

The status workflow, the history, comments and members of a case have modules of their own
(workflow.py, history.py, comments.py, members.py), all under ``/api/cases``.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Date,
    Integer,
    Select,
    Text,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from . import cursor as cursors
from . import history
from .access import (
    AUDIENCE_EXAMPLE,
    audience,
    forbidden,
    load_case,
    not_found,
    require_staff,
    require_supervisor,
    visible,
)
from .db import ReadStatement, one_row
from .deps import CaseId, DbDep, IdempotencyDep, IfMatch, PrincipalDep, check_if_match, etag
from .jsonutil import json_response
from .models import Case, CaseCreate, CasePage, CaseUpdate, Priority, Status
from .notify import enqueue
from .problems import AUTH, ProblemError, problem_type, responses
from .replies import row_reply, row_response
from .roles import STAFF, Role
from .schema import cases, users
from .transitions import check_optional_if_match, transition_route

router = APIRouter(prefix="/api/cases", tags=["cases"])

CASE_COLUMNS = [c for c in cases.c if c.name != "search"]


async def change_case(conn: AsyncConnection, case_id: uuid.UUID, **values: Any) -> RowMapping:
    """Write ``values`` to the case with the next version and a new ``updated_at``; the new row.

    Every change goes through here, so every change moves the ETag on.
    """
    return await one_row(
        conn,
        cases.update()
        .where(cases.c.id == case_id)
        .values(**values, version=cases.c.version + 1, updated_at=func.clock_timestamp())
        .returning(*CASE_COLUMNS),
    )


async def _tell_assignee(conn: AsyncConnection, case: RowMapping, actor: str) -> None:
    """Queue the e-mail to the case's assignee, unless they assigned it to themselves."""
    if case["assignee_id"] and case["assignee_id"] != actor:
        await enqueue(
            conn,
            "case.assigned",
            case["assignee_id"],
            f"Case assigned: {case['title']}",
            f"You were assigned case {case['id']}.",
        )


async def _check_assignee(conn: AsyncConnection, user_id: str | None) -> None:
    if user_id is None:
        return
    role = (await conn.execute(select(users.c.role).where(users.c.id == user_id))).scalar()
    if role not in STAFF:
        raise ProblemError(
            422,
            f"assignee {user_id!r} is not a known staff member",
            type_=problem_type("unknown-assignee"),
        )


# --- list -------------------------------------------------------------------------------------

_LIST_FILTERS = (
    "q",
    "statuses",
    "priorities",
    "assignee",
    "requester",
    "team",
    "tags",
    "due_before",
    "due_after",
)


class Sort(str, Enum):
    created_asc = "created_at"
    created_desc = "-created_at"
    updated_asc = "updated_at"
    updated_desc = "-updated_at"


class Deleted(str, Enum):
    exclude = "exclude"
    include = "include"
    only = "only"


@router.get(
    "",
    operation_id="listCases",
    response_model=CasePage,
    responses=responses(400, *AUTH, 422),
    summary="List the cases you can see",
)
async def list_cases(
    db: DbDep,
    p: PrincipalDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Full-text search (web search syntax)")
    ] = None,
    status: Annotated[list[Status] | None, Query()] = None,
    priority: Annotated[list[Priority] | None, Query()] = None,
    assignee_id: Annotated[str | None, Query(max_length=128, description="A user id, or `me`")] = None,
    requester_id: Annotated[str | None, Query(max_length=128)] = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    due_before: dt.date | None = None,
    due_after: dt.date | None = None,
    deleted: Annotated[
        Deleted, Query(description="Soft-deleted cases: managers and admins only")
    ] = Deleted.exclude,
    sort: Sort = Sort.created_desc,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    if deleted is not Deleted.exclude and not p.is_supervisor:
        raise forbidden("only managers and admins may list deleted cases")
    secret = db.settings.cursor_secret.get_secret_value().encode()
    params: dict[str, Any] = {
        "sub": p.sub,
        "q": q,
        "statuses": [s.value for s in status] if status else None,
        "priorities": [x.value for x in priority] if priority else None,
        "assignee": (p.sub if assignee_id == "me" else assignee_id) if assignee_id else None,
        "requester": requester_id or None,
        "team": team or None,
        "tags": [tag] if tag else None,
        "due_before": due_before,
        "due_after": due_after,
        "limit": limit + 1,
    }
    if cursor:
        params["after_value"], params["after_id"] = cursors.decode(secret, cursor, sort.value)
    filters = tuple(name for name in _LIST_FILTERS if params.get(name))
    stmt = _list_statement(audience(p), deleted, sort, filters, bool(cursor))
    rows = await db.fetch(stmt, params)
    items = [dict(r) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        column = "created_at" if sort in (Sort.created_asc, Sort.created_desc) else "updated_at"
        next_cursor = cursors.encode(secret, sort.value, last[column], last["id"])
    return json_response({"items": items, "next_cursor": next_cursor})


@functools.cache
def _list_statement(
    who: str, deleted: Deleted, sort: Sort, filters: tuple[str, ...], after: bool
) -> ReadStatement:
    """The list query for one combination of filters, compiled once (at most a few hundred shapes)."""
    stmt: Select[Any] = select(*CASE_COLUMNS).where(
        visible(AUDIENCE_EXAMPLE[who], sub=bindparam("sub", type_=Text()))
    )
    if deleted is Deleted.exclude:
        stmt = stmt.where(cases.c.deleted_at.is_(None))
    elif deleted is Deleted.only:
        stmt = stmt.where(cases.c.deleted_at.is_not(None))
    conditions: dict[str, Callable[[], ColumnElement[bool]]] = {
        "q": lambda: cases.c.search.op("@@")(
            func.websearch_to_tsquery(literal_column("'english'::regconfig"), bindparam("q", type_=Text()))
        ),
        "statuses": lambda: cases.c.status == any_(bindparam("statuses", type_=ARRAY(Text()))),
        "priorities": lambda: cases.c.priority == any_(bindparam("priorities", type_=ARRAY(Text()))),
        "assignee": lambda: cases.c.assignee_id == bindparam("assignee", type_=Text()),
        "requester": lambda: cases.c.requester_id == bindparam("requester", type_=Text()),
        "team": lambda: cases.c.team == bindparam("team", type_=Text()),
        "tags": lambda: cases.c.tags.contains(bindparam("tags", type_=ARRAY(Text()))),
        "due_before": lambda: cases.c.due_date < bindparam("due_before", type_=Date()),
        "due_after": lambda: cases.c.due_date > bindparam("due_after", type_=Date()),
    }
    for name in filters:
        stmt = stmt.where(conditions[name]())
    column = cases.c.created_at if sort in (Sort.created_asc, Sort.created_desc) else cases.c.updated_at
    descending = sort.value.startswith("-")
    if after:
        key = tuple_(column, cases.c.id)
        last = tuple_(
            bindparam("after_value", type_=column.type), bindparam("after_id", type_=cases.c.id.type)
        )
        stmt = stmt.where(key < last if descending else key > last)
    order = (column.desc(), cases.c.id.desc()) if descending else (column.asc(), cases.c.id.asc())
    return ReadStatement(stmt.order_by(*order).limit(bindparam("limit", type_=Integer())))


@functools.cache
def _get_statement(who: str) -> ReadStatement:
    return ReadStatement(
        select(*CASE_COLUMNS).where(
            cases.c.id == bindparam("case_id", type_=cases.c.id.type),
            visible(AUDIENCE_EXAMPLE[who], sub=bindparam("sub", type_=Text())),
        )
    )


# --- create / read / update / delete ---------------------------------------------------------------


@router.post(
    "",
    operation_id="createCase",
    status_code=201,
    response_model=Case,
    responses=responses(400, *AUTH, 409, 422),
    summary="Open a new case",
)
async def create_case(body: CaseCreate, db: DbDep, p: PrincipalDep, idem: IdempotencyDep) -> Response:
    values = body.model_dump()
    if p.role == Role.client:
        if body.assignee_id is not None or body.team is not None:
            raise forbidden("clients may not assign cases")
        if body.requester_id not in (None, p.sub):
            raise forbidden("clients open cases for themselves only")
        values["requester_id"] = p.sub
    values["priority"] = body.priority.value
    values["created_by"] = p.sub
    async with db.transaction() as conn:
        await _check_assignee(conn, body.assignee_id)
        row = await one_row(conn, cases.insert().values(**values).returning(*CASE_COLUMNS))
        await history.record(conn, row["id"], p.sub, "created", None, {k: row[k] for k in values})
        await _tell_assignee(conn, row, p.sub)
        location = {"Location": f"/api/cases/{row['id']}"}
        return await row_reply(conn, idem, row, status=201, headers=location)


@router.get(
    "/{case_id}",
    operation_id="getCase",
    response_model=Case,
    responses={**responses(*AUTH, 404, 422), 304: {"description": "Not Modified (If-None-Match)"}},
    summary="Read one case",
)
async def get_case(
    case_id: CaseId,
    db: DbDep,
    p: PrincipalDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    rows = await db.fetch(_get_statement(audience(p)), {"case_id": case_id, "sub": p.sub})
    if not rows or (rows[0]["deleted_at"] is not None and not p.is_supervisor):
        raise not_found()  # same outcome as load_case(..., allow_deleted=True)
    row = rows[0]
    tag = etag(row["version"])
    if if_none_match and tag in [c.strip().removeprefix("W/") for c in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": tag})
    return row_response(row)


@router.patch(
    "/{case_id}",
    operation_id="updateCase",
    response_model=Case,
    responses=responses(*AUTH, 404, 412, 422, 428),
    summary="Change a case's fields (If-Match required)",
)
async def update_case(
    case_id: CaseId, body: CaseUpdate, db: DbDep, p: PrincipalDep, if_match: IfMatch = None
) -> Response:
    changes = body.model_dump(exclude_unset=True, mode="python")
    for key in ("title", "description", "priority", "tags"):
        if key in changes and changes[key] is None:
            raise ProblemError(422, f"{key} cannot be null", type_=problem_type("validation"))
    if "priority" in changes:
        changes["priority"] = changes["priority"].value
    async with db.transaction() as conn:
        row = await load_case(conn, p, case_id, for_update=True)
        require_staff(p)
        check_if_match(if_match, row["version"])
        changes = {k: v for k, v in changes.items() if row[k] != v}
        if not changes:
            return row_response(row)
        if "assignee_id" in changes:
            await _check_assignee(conn, changes["assignee_id"])
        new = await change_case(conn, case_id, **changes)
        await history.record(conn, case_id, p.sub, "updated", {k: row[k] for k in changes}, changes)
        if "assignee_id" in changes:
            await _tell_assignee(conn, new, p.sub)
    return row_response(new)


@router.delete(
    "/{case_id}",
    operation_id="deleteCase",
    status_code=204,
    responses=responses(*AUTH, 404, 412, 422, 428),
    summary="Soft-delete a case (managers and admins; If-Match required)",
)
async def delete_case(case_id: CaseId, db: DbDep, p: PrincipalDep, if_match: IfMatch = None) -> Response:
    async with db.transaction() as conn:
        row = await load_case(conn, p, case_id, for_update=True)
        require_supervisor(p)
        check_if_match(if_match, row["version"])
        await change_case(conn, case_id, deleted_at=func.now())
        await history.record(conn, case_id, p.sub, "deleted", None, None)
    return Response(status_code=204)


@transition_route(
    router,
    "/{case_id}/restore",
    operation_id="restoreCase",
    response_model=Case,
    summary="Restore a soft-deleted case (managers and admins)",
)
async def restore_case(
    case_id: CaseId, db: DbDep, p: PrincipalDep, idem: IdempotencyDep, if_match: IfMatch = None
) -> Response:
    async with db.transaction() as conn:
        row = await load_case(conn, p, case_id, for_update=True, allow_deleted=True)
        require_supervisor(p)
        check_optional_if_match(if_match, row["version"])
        if row["deleted_at"] is None:
            raise ProblemError(409, "the case is not deleted", type_=problem_type("not-deleted"))
        new = await change_case(conn, case_id, deleted_at=None)
        await history.record(conn, case_id, p.sub, "restored", None, None)
        return await row_reply(conn, idem, new)
