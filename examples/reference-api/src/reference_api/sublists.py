"""The paged lists under one case (comments, time entries, documents, members, history): one route shape.

Each is ``GET .../{case_id}/<name>?limit=&cursor=`` and answers one page, oldest first, through
``access.case_page``: the same parameters, the same errors (404 for a case the caller cannot see, 403 for a
client on a staff-only list, 400 for a cursor of another list) and the same page. Only the rows differ:
each module says which with a function decorated by ``case_list``.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select
from starlette.responses import Response

from .access import case_page
from .auth import Principal
from .deps import CaseId, DbDep, PageCursor, PageLimit, PrincipalDep
from .problems import AUTH, responses


@dataclass(frozen=True)
class CaseRows:
    """The rows of one case's list that a caller may read, and their order."""

    rows: Select[Any]
    key: tuple[ColumnElement[Any], ...]
    """Unique and ascending: the order of the pages, and what a cursor remembers."""


RowsOf = Callable[[uuid.UUID, Principal], CaseRows]
"""The rows of the list under one case (its id) as one principal may read them."""


def case_list(
    router: APIRouter,
    path: str,
    page_model: type[BaseModel],
    operation_id: str,
    *,
    staff_only: bool = False,
    allow_deleted: bool = False,
) -> Callable[[RowsOf], RowsOf]:
    """Decorate a ``RowsOf`` function to add ``GET path`` to ``router``: one page of its rows for the case
    in the path. The function's docstring is the operation's summary; the path's last segment names the
    list, so a cursor continues only its own list.

    ``staff_only``: clients get 403. ``allow_deleted``: managers and admins also read a soft-deleted case's
    list (everyone else gets 404, as for the case itself).
    """
    kind = path.rsplit("/", 1)[-1]

    def register(rows_of: RowsOf) -> RowsOf:
        summary = inspect.getdoc(rows_of)
        if not summary:
            raise TypeError(f"{rows_of.__name__} needs a docstring: it is the summary of {operation_id}")

        # What is fixed for this list; the request brings the case, the caller and the page.
        page = functools.partial(case_page, kind=kind, staff_only=staff_only, allow_deleted=allow_deleted)

        async def list_page(
            case_id: CaseId, db: DbDep, p: PrincipalDep, limit: PageLimit = 50, cursor: PageCursor = None
        ) -> Response:
            rows = rows_of(case_id, p)
            return await page(db, p, case_id, rows.rows, key=rows.key, limit=limit, cursor=cursor)

        router.add_api_route(
            path,
            list_page,
            methods=["GET"],
            operation_id=operation_id,
            response_model=page_model,
            responses=responses(400, *AUTH, 404, 422),
            summary=summary,
        )
        return rows_of

    return register
