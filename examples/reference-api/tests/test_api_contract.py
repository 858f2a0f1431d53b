"""Schemathesis over the OpenAPI schema, in-process: no server errors, every response conforms; then its
stateful phase, which chains operations through links (a created case's id feeds the next calls)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from refapi_support import create_database
from reference_api.app import create_app
from reference_api.db import Database
from reference_api.migrate import migrate
from reference_api.settings import Settings
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.specs.openapi.checks import positive_data_acceptance


@pytest.fixture(scope="session")
def committed_app(pg_server_url: str, settings_factory: Callable[..., Settings]) -> Any:
    """An app on its own database with real commits (schemathesis drives it from its own thread)."""

    async def prepare() -> Settings:
        url = await create_database(
            pg_server_url, f"refapi_contract_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
        )
        s = settings_factory(url)
        db = Database(s)
        await migrate(db)
        await db.dispose()
        return s

    return create_app(asyncio.run(prepare()))


def _empty_the_database(settings: Settings) -> None:
    """Every table but Alembic's emptied: each stateful sequence starts from the same state (rows left by
    an earlier sequence made hypothesis' generation depend on external state, and so differ run to run)."""
    from sqlalchemy import text

    async def empty() -> None:
        db = Database(settings)
        async with db.engine.begin() as conn:
            tables = (
                await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables"
                        " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                    )
                )
            ).scalars()
            await conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        await db.dispose()

    asyncio.run(empty())


@pytest.fixture(scope="session")
def api_schema(committed_app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/api/openapi.json", committed_app)


# Excluded: "schema-valid request rejected". Domain rules reject some schema-valid requests by design,
# each with a documented problem: a cursor must carry our signature (400), an Idempotency-Key reused
# with another request is 422 (IETF draft), an assignee must be known staff (422). Every other check
# (server errors, status codes, content types, headers, response schemas, negative data) runs.
EXCLUDED = [positive_data_acceptance]


def test_api_conforms_to_its_openapi(api_schema: Any, committed_app: Any) -> None:
    # Driven through hypothesis directly: schemathesis' pytest integration does not run on pytest 9 yet.
    token = committed_app.state.dev_issuer.token("contract-admin", "admin")
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

        check()


def test_api_stateful_sequences_conform(api_schema: Any, committed_app: Any) -> None:
    """Schemathesis' stateful phase: FastAPI emits no OpenAPI links, so schemathesis infers them from the
    schema (dependency analysis: `POST /api/cases` yields the `case_id` of the case routes, and so on)
    and runs sequences of linked calls; every response is validated as in the test above."""
    token = committed_app.state.dev_issuer.token("contract-admin", "admin")
    headers = {"Authorization": f"Bearer {token}"}
    calls: list[tuple[str, int]] = []

    class Sequences(api_schema.as_state_machine()):  # type: ignore[misc]  # a class built at run time
        def setup(self) -> None:
            _empty_the_database(committed_app.state.settings)

        def before_call(self, case: Any) -> None:
            # The sequences are about state, not authentication (the test above covers 401s): a generated
            # Authorization header would end every sequence at its first call.
            case.headers = {**(case.headers or {}), **headers}

        def after_call(self, response: Any, case: Any) -> None:
            calls.append((case.operation.path, response.status_code))

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, headers=headers, excluded_checks=EXCLUDED)

    run_state_machine_as_test(
        Sequences,
        settings=settings(
            max_examples=100,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert not [call for call in calls if call[1] >= 500]
    # The links were followed: operations on an id taken from an earlier response succeeded.
    linked = {path for path, status in calls if "{" in path and status < 300}
    assert len(linked) >= 2, sorted(set(calls))
