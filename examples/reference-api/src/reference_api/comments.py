"""Comments on a case: everyone who can see the case lists and writes them; internal ones are staff-only."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from starlette.responses import Response

from . import history
from .access import case_rows, forbidden, load_case
from .db import one_row
from .deps import CaseId, DbDep, IdempotencyDep, PrincipalDep
from .jsonutil import JSON, dumps, plain
from .models import Comment, CommentCreate
from .problems import AUTH, responses
from .schema import comments

router = APIRouter(prefix="/api/cases", tags=["cases"])


@router.get(
    "/{case_id}/comments",
    operation_id="listComments",
    response_model=list[Comment],
    responses=responses(*AUTH, 404, 422),
    summary="Comments on a case, oldest first (clients see public ones only)",
)
async def list_comments(case_id: CaseId, db: DbDep, p: PrincipalDep) -> Response:
    stmt = select(comments).where(comments.c.case_id == case_id)
    if not p.is_staff:
        stmt = stmt.where(comments.c.internal.is_(False))
    return await case_rows(db, p, case_id, stmt.order_by(comments.c.created_at, comments.c.id))


@router.post(
    "/{case_id}/comments",
    operation_id="createComment",
    status_code=201,
    response_model=Comment,
    responses=responses(*AUTH, 404, 409, 422),
    summary="Comment on a case",
)
async def create_comment(
    case_id: CaseId, body: CommentCreate, db: DbDep, p: PrincipalDep, idem: IdempotencyDep
) -> Response:
    async with db.transaction() as conn:
        await load_case(conn, p, case_id)
        if body.internal and not p.is_staff:
            raise forbidden("clients may not write internal comments")
        row = await one_row(
            conn,
            comments.insert()
            .values(case_id=case_id, author_id=p.sub, body=body.body, internal=body.internal)
            .returning(*comments.c),
        )
        await history.record(
            conn, case_id, p.sub, "commented", None, {"comment_id": row["id"], "internal": body.internal}
        )
        data = dumps(plain(row))
        if idem:
            await idem.complete(conn, 201, data)
    return Response(data, status_code=201, media_type=JSON)
