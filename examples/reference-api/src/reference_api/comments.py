"""Comments on a case: everyone who can see the case lists and writes them; internal ones are staff-only."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy import select
from starlette.responses import Response

from . import history
from .access import forbidden
from .auth import Principal
from .deps import CaseId, DbDep, IdempotencyDep, PrincipalDep
from .jsonutil import plain
from .limits import COMMENTS_PER_CASE
from .models import Comment, CommentCreate, CommentPage
from .replies import reply
from .schema import comments
from .sublists import CaseRows, add_to_case, adds_to_case, case_list

router = APIRouter(prefix="/api/cases", tags=["cases"])


@case_list(router, "/{case_id}/comments", CommentPage, "listComments")
def _comments(case_id: uuid.UUID, p: Principal) -> CaseRows:
    """Comments on a case, oldest first, one page at a time (clients see public ones only)"""
    rows = select(comments).where(comments.c.case_id == case_id)
    if not p.is_staff:
        rows = rows.where(comments.c.internal.is_(False))
    return CaseRows(rows, key=(comments.c.created_at, comments.c.id))


def _staff_only(p: Principal) -> None:
    """Internal comments are written by staff."""
    if not p.is_staff:
        raise forbidden("clients may not write internal comments")


@adds_to_case(
    router,
    "/{case_id}/comments",
    Comment,
    "createComment",
    summary=f"Comment on a case (at most {COMMENTS_PER_CASE} per case)",
)
async def create_comment(
    case_id: CaseId, body: CommentCreate, db: DbDep, p: PrincipalDep, idem: IdempotencyDep
) -> Response:
    async with db.transaction() as conn:
        values = {"author_id": p.sub, "body": body.body, "internal": body.internal}
        row = await add_to_case(
            conn,
            p,
            case_id,
            comments,
            values,
            cap=COMMENTS_PER_CASE,
            what="comments",
            check=_staff_only if body.internal else None,
        )
        await history.record(
            conn, case_id, p.sub, "commented", None, {"comment_id": row["id"], "internal": body.internal}
        )
        return await reply(conn, idem, plain(row), status=201)
