"""Moves of one row from a status to another, as routes: ``POST .../{id}/{action}``.

The workflow of a case (workflow.py), the submit, approve and reject of a time entry (time_entries.py) and
the restore of a soft-deleted case (cases.py) are such moves. Each takes an optional If-Match and an
Idempotency-Key and answers the moved row; ``transition_route`` declares the route with the problems every
move can answer, ``check_optional_if_match`` is its 412 and ``check_transition`` the 409 of a move its
status table does not allow.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from fastapi import APIRouter
from fastapi.types import DecoratedCallable
from pydantic import BaseModel

from .deps import check_if_match
from .problems import AUTH, ProblemError, problem_type, responses


def transition_route(
    router: APIRouter,
    path: str,
    *,
    operation_id: str,
    response_model: type[BaseModel],
    summary: str,
    openapi_extra: dict[str, Any] | None = None,
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """Decorate the handler of ``POST path``, a move of the row named in the path, to add it to ``router``.

    Its documented problems: 401 and 403 (token, role), 404 (no such row the caller may see), 409 (the
    move is not allowed from the row's status), 412 (If-Match names another version) and 422.
    """
    return router.post(
        path,
        operation_id=operation_id,
        response_model=response_model,
        responses=responses(*AUTH, 404, 409, 412, 422),
        summary=summary,
        openapi_extra=openapi_extra,
    )


def check_optional_if_match(if_match: str | None, version: int) -> None:
    """A move's precondition: none is required (the move names the status it starts from, which
    ``check_transition`` checks), but an If-Match sent must name ``version``, the row's (412)."""
    if if_match is not None:
        check_if_match(if_match, version)


def check_transition(action: str, what: str, status: str, allowed: Collection[str]) -> None:
    """409 illegal-transition unless the move ``action`` may start from ``status``, one of ``allowed``;
    ``what`` names the row for the message ("a case"). The problem carries the status and ``allowed``."""
    if status not in allowed:
        raise ProblemError(
            409,
            f"cannot {action} {what} that is {status}",
            type_=problem_type("illegal-transition"),
            extra={"current_status": status, "allowed_from": sorted(allowed)},
        )
