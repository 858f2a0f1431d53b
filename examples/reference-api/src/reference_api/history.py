"""The case history: every change to a case writes one row (``record``), staff read them (listCaseHistory).

Append-only: a trigger (migration 0001) refuses UPDATE and DELETE on the table.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from .auth import Principal
from .jsonutil import dumps
from .models import HistoryPage
from .schema import case_history
from .sublists import CaseRows, case_list

router = APIRouter(prefix="/api/cases", tags=["cases"])


def _snapshot(values: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = orjson.loads(dumps(values))
    return result


async def record(
    conn: AsyncConnection, case_id: uuid.UUID, actor: str, action: str, before: Any, after: Any
) -> None:
    """Write one history row in the caller's transaction: ``before`` and ``after`` as JSON, or null."""
    await conn.execute(
        case_history.insert().values(
            case_id=case_id,
            actor_id=actor,
            action=action,
            before=None if before is None else _snapshot(before),
            after=None if after is None else _snapshot(after),
        )
    )


@case_list(router, "/{case_id}/history", HistoryPage, "listCaseHistory", staff_only=True, allow_deleted=True)
def _history(case_id: uuid.UUID, p: Principal) -> CaseRows:
    """Every change to a case, oldest first, one page at a time (staff only)"""
    rows = select(case_history).where(case_history.c.case_id == case_id)
    return CaseRows(rows, key=(case_history.c.id,))
