"""The status workflow: the allowed moves as data (``TRANSITIONS``) and one route per move.

Each route carries its move in the OpenAPI document (``x-transition``), which the web front end reads
to offer only the moves allowed from a case's status.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from . import history
from .access import load_case, require_staff
from .cases import change_case
from .deps import CaseId, DbDep, IdempotencyDep, IfMatch, PrincipalDep
from .models import Case
from .notify import enqueue
from .replies import row_reply
from .transitions import check_optional_if_match, check_transition, transition_route

router = APIRouter(prefix="/api/cases", tags=["cases"])

TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    # action: (allowed from, to, operation id)
    "open": (frozenset({"new"}), "open", "openCase"),
    "hold": (frozenset({"open"}), "pending", "holdCase"),
    "resume": (frozenset({"pending"}), "open", "resumeCase"),
    "resolve": (frozenset({"open", "pending"}), "resolved", "resolveCase"),
    "close": (frozenset({"resolved"}), "closed", "closeCase"),
    "reopen": (frozenset({"resolved", "closed"}), "open", "reopenCase"),
}


def _transition_route(action: str, allowed: frozenset[str], target: str, operation_id: str) -> None:
    @transition_route(
        router,
        f"/{{case_id}}/{action}",
        operation_id=operation_id,
        response_model=Case,
        summary=f"Move a case from {' or '.join(sorted(allowed))} to {target}",
        # The workflow in machine-readable form: the web front end offers only the moves allowed here.
        openapi_extra={"x-transition": {"action": action, "from": sorted(allowed), "to": target}},
    )
    async def transition(
        case_id: CaseId, db: DbDep, p: PrincipalDep, idem: IdempotencyDep, if_match: IfMatch = None
    ) -> Response:
        async with db.transaction() as conn:
            row = await load_case(conn, p, case_id, for_update=True)
            require_staff(p)
            check_optional_if_match(if_match, row["version"])
            check_transition(action, "a case", row["status"], allowed)
            new = await change_case(conn, case_id, status=target)
            await history.record(
                conn, case_id, p.sub, f"status.{action}", {"status": row["status"]}, {"status": target}
            )
            subject = f"Case {new['title']} is now {target}"
            for recipient in {new["requester_id"], new["assignee_id"]} - {p.sub, None}:
                await enqueue(conn, "case.status", recipient, subject, f"Case {case_id} moved to {target}.")
            return await row_reply(conn, idem, new)


for _action, (_allowed, _target, _op) in TRANSITIONS.items():
    _transition_route(_action, _allowed, _target, _op)
