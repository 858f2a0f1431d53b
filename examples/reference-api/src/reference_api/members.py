"""Case members: people given access to one case beyond what their role sees (managers and admins
add and remove them; staff list them). Membership feeds the access rule (access.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from starlette.responses import Response

from . import history
from .access import check_cap, load_case, require_supervisor
from .auth import Principal
from .db import first_row, one_row
from .deps import CaseId, DbDep, PrincipalDep
from .jsonutil import json_response, plain
from .limits import MEMBERS_PER_CASE
from .models import Member, MemberPage
from .problems import AUTH, ProblemError, problem_type, responses
from .schema import case_members
from .sublists import CaseRows, case_list

router = APIRouter(prefix="/api/cases", tags=["cases"])
MemberId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9@._:+-]+$")]


@case_list(router, "/{case_id}/members", MemberPage, "listCaseMembers", staff_only=True)
def _members(case_id: uuid.UUID, p: Principal) -> CaseRows:
    """People given access to a case, by user id, one page at a time (staff only)"""
    return CaseRows(
        select(case_members).where(case_members.c.case_id == case_id), key=(case_members.c.user_id,)
    )


@router.put(
    "/{case_id}/members/{user_id}",
    operation_id="addCaseMember",
    response_model=Member,
    responses=responses(*AUTH, 404, 409, 422),
    summary=f"Give a person access to a case (managers and admins; idempotent; at most {MEMBERS_PER_CASE})",
)
async def add_member(case_id: CaseId, user_id: MemberId, db: DbDep, p: PrincipalDep) -> Response:
    async with db.transaction() as conn:
        await load_case(conn, p, case_id, for_update=True)
        require_supervisor(p)
        stmt = (
            insert(case_members)
            .values(case_id=case_id, user_id=user_id, added_by=p.sub)
            .on_conflict_do_nothing()
            .returning(*case_members.c)
        )
        row = await first_row(conn, stmt)
        if row is None:
            mine = (case_members.c.case_id == case_id) & (case_members.c.user_id == user_id)
            row = await one_row(conn, select(case_members).where(mine))
        else:
            await check_cap(conn, case_members, case_id, MEMBERS_PER_CASE, "members", just_added=1)
            await history.record(conn, case_id, p.sub, "member.added", None, {"user_id": user_id})
    return json_response(plain(row))


@router.delete(
    "/{case_id}/members/{user_id}",
    operation_id="removeCaseMember",
    status_code=204,
    responses=responses(*AUTH, 404, 422),
    summary="Take a person's case access away (managers and admins)",
)
async def remove_member(case_id: CaseId, user_id: MemberId, db: DbDep, p: PrincipalDep) -> Response:
    async with db.transaction() as conn:
        await load_case(conn, p, case_id, for_update=True)
        require_supervisor(p)
        gone = await conn.execute(
            case_members.delete().where(case_members.c.case_id == case_id, case_members.c.user_id == user_id)
        )
        if gone.rowcount == 0:
            raise ProblemError(404, "not a member of this case", type_=problem_type("member-not-found"))
        await history.record(conn, case_id, p.sub, "member.removed", {"user_id": user_id}, None)
    return Response(status_code=204)
