"""Real commits: migrations up/down/up without drift, the advisory lock, and racing writers."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from refapi_support import create_database
from reference_api.db import Database
from reference_api.migrate import alembic_config, current_revision, migrate
from reference_api.schema import metadata
from reference_api.settings import Settings
from sqlalchemy import text

pytestmark = pytest.mark.anyio
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


async def _tables(db: Database) -> set[str]:
    async with db.read() as conn:
        rows = await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        return {r[0] for r in rows}


async def test_migrations_up_down_up_without_drift(
    pg_server_url: str, settings_factory: Callable[..., Settings]
) -> None:
    db = Database(settings_factory(await create_database(pg_server_url, f"refapi_mig_{WORKER}")))
    try:
        # Two tasks starting at once: the advisory lock serializes them, both succeed.
        await asyncio.gather(migrate(db), migrate(db))
        assert await current_revision(db) == HEAD

        async with db.read() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), metadata
                )
            )
        assert diff == []

        assert HEAD == "0006"
        async with db.read() as conn:
            users_columns = await conn.execute(
                text("SELECT column_name FROM information_schema.columns WHERE table_name = 'users'")
            )
            assert "email" not in {r[0] for r in users_columns}  # addresses come from the user pool
        # One step down and up again, then all the way down.
        await migrate(db, "0001", "down")
        assert "time_entries" not in await _tables(db)
        await migrate(db)
        await migrate(db, "base", "down")
        assert await _tables(db) == {"alembic_version"}
        assert await current_revision(db) is None
        await migrate(db)
        assert await current_revision(db) == HEAD
        assert {
            "cases",
            "case_history",
            "outbox",
            "idempotency_keys",
            "time_entries",
            "documents",
        } <= await _tables(db)
    finally:
        await db.dispose()


def _h(app: Any, sub: str, role: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.state.dev_issuer.token(sub, role)}", **extra}


async def test_two_writers_racing_on_if_match(live: Any, live_client: httpx.AsyncClient) -> None:
    h = _h(live, "race-manager", "manager")
    case = (await live_client.post("/api/cases", json={"title": "race"}, headers=h)).json()
    url = f"/api/cases/{case['id']}"
    results = await asyncio.gather(
        live_client.patch(url, json={"priority": "high"}, headers={**h, "If-Match": '"1"'}),
        live_client.patch(url, json={"priority": "low"}, headers={**h, "If-Match": '"1"'}),
    )
    assert sorted(r.status_code for r in results) == [200, 412]
    final = (await live_client.get(url, headers=h)).json()
    assert final["version"] == 2
    winner = next(r for r in results if r.status_code == 200)
    assert final["priority"] == winner.json()["priority"]


async def test_one_idempotency_key_twice_at_once(live: Any, live_client: httpx.AsyncClient) -> None:
    h = _h(live, "race-agent", "agent", **{"Idempotency-Key": "same-key-at-once"})
    results = await asyncio.gather(
        *[live_client.post("/api/cases", json={"title": "exactly once"}, headers=h) for _ in range(4)]
    )
    statuses = [r.status_code for r in results]
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    created = {r.json()["id"] for r in results if r.status_code == 201}
    assert len(created) == 1  # replays carry the same case
    async with live.state.db.read() as conn:
        count = (
            await conn.execute(text("SELECT count(*) FROM cases WHERE created_by = 'race-agent'"))
        ).scalar()
    assert count == 1
    for r in results:
        if r.status_code == 409:
            assert r.json()["type"] == "urn:reference-api:problem:idempotency-in-flight"
            assert r.headers["retry-after"] == "1"
