"""The lists under one case (comments, time entries, documents, members, history): reading and adding.

Each is read by ``GET .../{case_id}/<name>?limit=&cursor=``, which answers one page, oldest first, through
``access.case_page``: the same parameters, the same errors (404 for a case the caller cannot see, 403 for a
client on a staff-only list, 400 for a cursor of another list) and the same page. Only the rows differ:
each module says which with a function decorated by ``case_list``.

Rows are added by ``add_to_case``: the case locked, then its cap checked, then the insert; the route that
does so is declared by ``adds_to_case``, which documents the answers ``add_to_case`` gives.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.types import DecoratedCallable
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, Table
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from .access import case_page, check_cap, load_case
from .auth import Principal
from .db import one_row
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


def adds_to_case(
    router: APIRouter,
    path: str,
    response_model: type[BaseModel],
    operation_id: str,
    *,
    summary: str,
    also: tuple[int, ...] = (),
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """Decorate the handler of ``POST path``, which adds a row under the case in the path with
    ``add_to_case``, to add it to ``router``: it answers 201 with ``response_model``, and its documented
    problems are those of ``add_to_case`` (404, 403, 409 for a full case), of any route behind a token
    (401, 403) and of a request that does not validate (422), plus ``also``, the handler's own.
    """
    return router.post(
        path,
        operation_id=operation_id,
        status_code=201,
        response_model=response_model,
        responses=responses(*sorted({*AUTH, 404, 409, 422, *also})),
        summary=summary,
    )


async def add_to_case(
    conn: AsyncConnection,
    p: Principal,
    case_id: uuid.UUID,
    table: Table,
    values: dict[str, Any],
    *,
    cap: int,
    what: str,
    check: Callable[[Principal], None] | None = None,
    returning: Sequence[ColumnElement[Any]] | None = None,
) -> RowMapping:
    """Insert one row of ``table`` (``values`` and the case id) under the case, in ``conn``'s transaction;
    the new row (``returning`` columns, by default all).

    404 when ``p`` cannot see the case, then whatever ``check(p)`` raises (the 403 of someone who may see
    the case but not add this row), then 409 when the case already holds ``cap`` rows (``what`` names
    them). The case row stays locked until the transaction ends, so concurrent additions cannot pass the
    cap together.
    """
    await load_case(conn, p, case_id, for_update=True)
    if check:
        check(p)
    await check_cap(conn, table, case_id, cap, what)
    inserted = table.insert().values(case_id=case_id, **values)
    return await one_row(conn, inserted.returning(*(table.c if returning is None else returning)))
