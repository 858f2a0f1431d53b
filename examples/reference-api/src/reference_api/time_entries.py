"""Time entries: manual entries, one running timer per user, draft -> submitted -> approved, totals.

Invariants live in the database, not only here: the partial unique index allows one running timer per
user even under concurrent starts, and a trigger refuses to change or delete an approved entry.
Timesheets and totals are computed in SQL.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import Integer, case, cast, func, select, text
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from .access import forbidden, load_case, require_staff, require_supervisor, visible
from .auth import Principal
from .db import first_row, one_row
from .deps import (
    CaseId,
    DbDep,
    IdempotencyDep,
    IfMatch,
    PrincipalDep,
    check_if_match,
)
from .jsonutil import json_response
from .limits import TIME_ENTRIES_PER_CASE
from .models import (
    CaseTimeTotals,
    TimeEntry,
    TimeEntryCreate,
    TimeEntryPage,
    TimeEntryUpdate,
    TimerStart,
    Timesheet,
)
from .problems import AUTH, ProblemError, problem_type, responses
from .replies import row_reply, row_response
from .schema import cases, time_entries
from .sublists import CaseRows, add_to_case, adds_to_case, case_list
from .transitions import check_optional_if_match, check_transition, transition_route

router = APIRouter(prefix="/api", tags=["time"])
EntryId = Annotated[uuid.UUID, Path(description="Time entry id")]
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _timer_conflict() -> ProblemError:
    return ProblemError(
        409, "you already have a running timer; stop it first", type_=problem_type("timer-running")
    )


def _locked(status: str) -> ProblemError:
    return ProblemError(
        409, f"the entry is {status}; only drafts can change", type_=problem_type("time-entry-locked")
    )


async def _load_entry(
    conn: AsyncConnection, p: Principal, entry_id: uuid.UUID, *, for_update: bool = False
) -> Any:
    """An entry is visible to staff who can see its case; clients never see time entries."""
    require_staff(p)
    stmt = (
        select(time_entries)
        .join(cases, cases.c.id == time_entries.c.case_id)
        .where(time_entries.c.id == entry_id, visible(p), cases.c.deleted_at.is_(None))
    )
    if for_update:
        stmt = stmt.with_for_update(of=time_entries)
    row = await first_row(conn, stmt)
    if row is None:
        raise ProblemError(404, "no such time entry", type_=problem_type("time-entry-not-found"))
    return row


async def _add_entry(
    conn: AsyncConnection, p: Principal, case_id: uuid.UUID, values: dict[str, Any]
) -> RowMapping:
    """Log ``p``'s time on the case: staff only, at most ``TIME_ENTRIES_PER_CASE`` entries per case."""
    return await add_to_case(
        conn,
        p,
        case_id,
        time_entries,
        {"user_id": p.sub, **values},
        cap=TIME_ENTRIES_PER_CASE,
        what="time entries",
        check=require_staff,
    )


def _own_draft(p: Principal, row: Any) -> None:
    if row["user_id"] != p.sub:
        raise forbidden("only the person who logged the time may change it")
    if row["status"] != "draft":
        raise _locked(row["status"])


@adds_to_case(
    router,
    "/cases/{case_id}/time-entries",
    TimeEntry,
    "createTimeEntry",
    summary=f"Log time on a case (staff; at most {TIME_ENTRIES_PER_CASE} entries per case)",
)
async def create_entry(
    case_id: CaseId, body: TimeEntryCreate, db: DbDep, p: PrincipalDep, idem: IdempotencyDep
) -> Response:
    started = body.started_at or (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=body.duration_s))
    async with db.transaction() as conn:
        row = await _add_entry(conn, p, case_id, {**body.model_dump(), "started_at": started})
        return await row_reply(conn, idem, row, status=201)


@case_list(router, "/cases/{case_id}/time-entries", TimeEntryPage, "listTimeEntries", staff_only=True)
def _entries(case_id: uuid.UUID, p: Principal) -> CaseRows:
    """Time logged on a case, oldest first, one page at a time (staff)"""
    rows = select(time_entries).where(time_entries.c.case_id == case_id)
    return CaseRows(rows, key=(time_entries.c.started_at, time_entries.c.id))


@router.get(
    "/cases/{case_id}/time-totals",
    operation_id="getCaseTimeTotals",
    response_model=CaseTimeTotals,
    responses=responses(*AUTH, 404, 422),
    summary="Totals per case and per person, computed in SQL (running timers excluded)",
)
async def case_totals(case_id: CaseId, db: DbDep, p: PrincipalDep) -> Response:
    d = time_entries.c.duration_s
    billable = func.coalesce(func.sum(case((time_entries.c.billable, d), else_=0)), 0)
    approved = func.coalesce(func.sum(case((time_entries.c.status == "approved", d), else_=0)), 0)
    base = select().select_from(time_entries).where(time_entries.c.case_id == case_id, d.is_not(None))
    async with db.read() as conn:
        await load_case(conn, p, case_id)
        require_staff(p)
        total_row = (
            await conn.execute(
                base.add_columns(
                    cast(func.coalesce(func.sum(d), 0), Integer).label("total_s"),
                    cast(billable, Integer).label("billable_s"),
                    cast(approved, Integer).label("approved_s"),
                )
            )
        ).one()
        per_user = (
            await conn.execute(
                base.add_columns(
                    time_entries.c.user_id,
                    cast(func.sum(d), Integer).label("total_s"),
                    cast(billable, Integer).label("billable_s"),
                )
                .group_by(time_entries.c.user_id)
                .order_by(time_entries.c.user_id)
            )
        ).all()
    return json_response(
        {
            "case_id": case_id,
            "total_s": total_row.total_s,
            "billable_s": total_row.billable_s,
            "approved_s": total_row.approved_s,
            "by_user": [{"user_id": u, "total_s": t, "billable_s": b} for u, t, b in per_user],
        }
    )


# --- timer --------------------------------------------------------------------------------------


@adds_to_case(
    router,
    "/cases/{case_id}/timer",
    TimeEntry,
    "startTimer",
    summary="Start your timer on a case (at most one running timer per person)",
)
async def start_timer(
    case_id: CaseId, db: DbDep, p: PrincipalDep, idem: IdempotencyDep, body: TimerStart | None = None
) -> Response:
    body = body or TimerStart()
    try:
        async with db.transaction() as conn:
            row = await _add_entry(conn, p, case_id, body.model_dump())
            return await row_reply(conn, idem, row, status=201)
    except IntegrityError as exc:
        if "uq_time_entries_running_timer" in str(exc.orig):
            raise _timer_conflict() from None
        raise


@router.get(
    "/timer",
    operation_id="getRunningTimer",
    response_model=TimeEntry,
    responses=responses(*AUTH, 404),
    summary="Your running timer",
)
async def get_timer(db: DbDep, p: PrincipalDep) -> Response:
    require_staff(p)
    async with db.read() as conn:
        running = time_entries.c.user_id == p.sub, time_entries.c.duration_s.is_(None)
        row = await first_row(conn, select(time_entries).where(*running))
    if row is None:
        raise ProblemError(404, "no running timer", type_=problem_type("no-running-timer"))
    return row_response(row)


@router.post(
    "/timer/stop",
    operation_id="stopTimer",
    response_model=TimeEntry,
    responses=responses(*AUTH, 404, 409, 422),
    summary="Stop your running timer; it becomes a draft entry",
)
async def stop_timer(db: DbDep, p: PrincipalDep, idem: IdempotencyDep) -> Response:
    require_staff(p)
    async with db.transaction() as conn:
        elapsed = func.least(
            86400,
            func.greatest(
                1, cast(func.extract("epoch", func.clock_timestamp() - time_entries.c.started_at), Integer)
            ),
        )
        row = await first_row(
            conn,
            time_entries.update()
            .where(time_entries.c.user_id == p.sub, time_entries.c.duration_s.is_(None))
            .values(duration_s=elapsed, version=time_entries.c.version + 1)
            .returning(*time_entries.c),
        )
        if row is None:
            raise ProblemError(404, "no running timer", type_=problem_type("no-running-timer"))
        return await row_reply(conn, idem, row)


# --- single entries -----------------------------------------------------------------------------


@router.patch(
    "/time-entries/{entry_id}",
    operation_id="updateTimeEntry",
    response_model=TimeEntry,
    responses=responses(*AUTH, 404, 409, 412, 422, 428),
    summary="Change your draft entry (If-Match required)",
)
async def update_entry(
    entry_id: EntryId, body: TimeEntryUpdate, db: DbDep, p: PrincipalDep, if_match: IfMatch = None
) -> Response:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    async with db.transaction() as conn:
        row = await _load_entry(conn, p, entry_id, for_update=True)
        _own_draft(p, row)
        check_if_match(if_match, row["version"])
        if row["duration_s"] is None and "duration_s" in changes:
            raise ProblemError(
                409, "stop the timer before setting a duration", type_=problem_type("timer-running")
            )
        if not changes:
            return row_response(row)
        new = await one_row(
            conn,
            time_entries.update()
            .where(time_entries.c.id == entry_id)
            .values(**changes, version=time_entries.c.version + 1)
            .returning(*time_entries.c),
        )
    return row_response(new)


@router.delete(
    "/time-entries/{entry_id}",
    operation_id="deleteTimeEntry",
    status_code=204,
    responses=responses(*AUTH, 404, 409, 412, 422, 428),
    summary="Delete your draft entry (If-Match required)",
)
async def delete_entry(entry_id: EntryId, db: DbDep, p: PrincipalDep, if_match: IfMatch = None) -> Response:
    async with db.transaction() as conn:
        row = await _load_entry(conn, p, entry_id, for_update=True)
        _own_draft(p, row)
        check_if_match(if_match, row["version"])
        await conn.execute(time_entries.delete().where(time_entries.c.id == entry_id))
    return Response(status_code=204)


def _status_route(action: str, allowed_from: str, target: str, operation_id: str, supervisor: bool) -> None:
    @transition_route(
        router,
        f"/time-entries/{{entry_id}}/{action}",
        operation_id=operation_id,
        response_model=TimeEntry,
        summary=f"{action.capitalize()} a time entry ({allowed_from} -> {target})",
    )
    async def change(
        entry_id: EntryId, db: DbDep, p: PrincipalDep, idem: IdempotencyDep, if_match: IfMatch = None
    ) -> Response:
        async with db.transaction() as conn:
            row = await _load_entry(conn, p, entry_id, for_update=True)
            if supervisor:
                require_supervisor(p)
                if row["user_id"] == p.sub:  # four eyes: nobody approves or rejects their own time
                    raise ProblemError(
                        403,
                        f"you cannot {action} your own time entry; another manager or admin must",
                        type_=problem_type("own-time-entry"),
                    )
            elif row["user_id"] != p.sub:
                raise forbidden("only the person who logged the time may submit it")
            check_optional_if_match(if_match, row["version"])
            if row["duration_s"] is None:
                raise ProblemError(409, "stop the timer first", type_=problem_type("timer-running"))
            check_transition(action, "an entry", row["status"], (allowed_from,))
            values: dict[str, Any] = {"status": target, "version": time_entries.c.version + 1}
            if target == "approved":
                values["approved_by"] = p.sub
            new = await one_row(
                conn,
                time_entries.update()
                .where(time_entries.c.id == entry_id)
                .values(**values)
                .returning(*time_entries.c),
            )
            return await row_reply(conn, idem, new)


_status_route("submit", "draft", "submitted", "submitTimeEntry", supervisor=False)
_status_route("approve", "submitted", "approved", "approveTimeEntry", supervisor=True)
_status_route("reject", "submitted", "draft", "rejectTimeEntry", supervisor=True)


# --- timesheet ----------------------------------------------------------------------------------


@router.get(
    "/timesheet",
    operation_id="getTimesheet",
    response_model=Timesheet,
    responses=responses(400, *AUTH, 422),
    summary="One person's time per day for an ISO week, computed in SQL",
)
async def timesheet(
    db: DbDep,
    p: PrincipalDep,
    week: Annotated[str, Query(pattern=r"^\d{4}-W\d{2}$", description="ISO week, e.g. 2026-W48")],
    user_id: Annotated[
        str | None, Query(max_length=128, description="Default: you (others: managers)")
    ] = None,
) -> Response:
    require_staff(p)
    who = user_id or p.sub
    if who != p.sub and not p.is_supervisor:
        raise forbidden("only managers and admins may read someone else's timesheet")
    match = WEEK.match(week)
    assert match is not None  # the pattern above
    try:
        monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ProblemError(400, f"{week} is not an ISO week", type_=problem_type("invalid-week")) from None
    sql = text(
        """
        SELECT d::date AS date,
               COALESCE(SUM(t.duration_s), 0)::int AS total_s,
               COALESCE(SUM(t.duration_s) FILTER (WHERE t.billable), 0)::int AS billable_s
        FROM generate_series(CAST(:monday AS date), CAST(:monday AS date) + 6, interval '1 day') AS d
        LEFT JOIN time_entries t
          ON t.user_id = :who AND t.duration_s IS NOT NULL
         AND (t.started_at AT TIME ZONE 'UTC')::date = d::date
        GROUP BY d ORDER BY d
        """
    )
    async with db.read() as conn:
        rows = (await conn.execute(sql, {"monday": monday, "who": who})).all()
    days = [{"date": r.date, "total_s": r.total_s, "billable_s": r.billable_s} for r in rows]
    return json_response(
        {
            "user_id": who,
            "week": week,
            "days": days,
            "total_s": sum(d["total_s"] for d in days),
            "billable_s": sum(d["billable_s"] for d in days),
        }
    )
