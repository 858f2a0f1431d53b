"""Retention with real PostgreSQL: idempotency records and sent e-mail past their retention are purged, in
bounded batches, by tasks that skip each other's rows; newer rows, open claims and dead letters stay."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from refapi_support import create_database
from reference_api.db import Database
from reference_api.migrate import migrate
from reference_api.retention import purge, run_retention
from sqlalchemy import text

pytestmark = pytest.mark.anyio
DAY = 24 * 3600


@pytest.fixture(scope="module")
async def rdb(pg_server_url: str, settings_factory: Any) -> AsyncIterator[Database]:
    url = await create_database(
        pg_server_url, "refapi_retention_" + os.environ.get("PYTEST_XDIST_WORKER", "main")
    )
    db = Database(settings_factory(url, outbox_worker=False, retention_worker=False, retention_batch=3))
    await migrate(db)
    yield db
    await db.dispose()


async def _seed(db: Database) -> None:
    """Idempotency records and outbox rows of every kind, each aged ``age_h`` hours."""
    async with db.transaction() as conn:
        await conn.execute(text("DELETE FROM idempotency_keys"))
        await conn.execute(text("DELETE FROM outbox"))
        for key, age_h, done in [
            *((f"old-{i}", 25, True) for i in range(7)),  # more than two batches of 3
            ("new", 23, True),
            ("open-old", 72, False),  # a request that never answered: still an open claim
        ]:
            await conn.execute(
                text(
                    "INSERT INTO idempotency_keys (owner_id, key, method, path, request_hash, status_code,"
                    " response_body, created_at, completed_at) VALUES ('u', :key, 'POST', '/api/cases',"
                    " '\\x00', :status, :body, now() - make_interval(hours => :age),"
                    " CASE WHEN :done THEN now() - make_interval(hours => :age) END)"
                ),
                {"key": key, "age": age_h, "done": done, "status": 201 if done else None, "body": b"{}"},
            )
        for subject, sent_h, dead_h in [
            *((f"sent-old-{i}", 25, None) for i in range(5)),
            ("sent-new", 23, None),
            ("dead-old", None, 72),  # for an operator
            ("pending", None, None),
        ]:
            await conn.execute(
                text(
                    "INSERT INTO outbox (kind, recipient, subject, body, created_at, sent_at, dead_at)"
                    " VALUES ('test', 'r@example.com', :subject, 'b', now() - interval '4 days',"
                    " now() - make_interval(hours => :sent), now() - make_interval(hours => :dead))"
                ),
                {"subject": subject, "sent": sent_h, "dead": dead_h},
            )


async def _left(db: Database) -> tuple[set[str], set[str]]:
    async with db.read() as conn:
        keys = {r[0] for r in (await conn.execute(text("SELECT key FROM idempotency_keys"))).all()}
        subjects = {r[0] for r in (await conn.execute(text("SELECT subject FROM outbox"))).all()}
    return keys, subjects


async def test_purges_what_is_past_retention_and_keeps_the_rest(rdb: Database) -> None:
    assert rdb.settings.idempotency_ttl_s == DAY
    assert rdb.settings.outbox_sent_retention_s == DAY
    await _seed(rdb)
    counts = await purge(rdb)
    assert counts == {"idempotency_keys": 7, "outbox": 5}  # in batches of 3: 3 + 3 + 1 and 3 + 2
    assert await _left(rdb) == ({"new", "open-old"}, {"sent-new", "dead-old", "pending"})
    assert await purge(rdb) == {"idempotency_keys": 0, "outbox": 0}


async def test_retention_periods_are_settings(rdb: Database) -> None:
    base = rdb.settings
    rdb.settings = base.model_copy(update={"idempotency_ttl_s": 3 * DAY, "outbox_sent_retention_s": 3600})
    try:
        await _seed(rdb)
        assert await purge(rdb) == {"idempotency_keys": 0, "outbox": 6}
        assert await _left(rdb) == (
            {*(f"old-{i}" for i in range(7)), "new", "open-old"},
            {"dead-old", "pending"},
        )
    finally:
        rdb.settings = base


async def test_tasks_purging_at_once_skip_each_others_rows(rdb: Database) -> None:
    """A row another task holds is skipped, not waited for; two purges at once delete each row once."""
    await _seed(rdb)
    async with rdb.engine.connect() as other:  # another task in the middle of deleting one row
        held = await other.begin()
        await other.execute(text("SELECT 1 FROM outbox WHERE subject = 'sent-old-0' FOR UPDATE"))
        counts = await asyncio.wait_for(asyncio.gather(purge(rdb), purge(rdb)), timeout=20)
        await held.rollback()
    assert sum(c["idempotency_keys"] for c in counts) == 7
    assert sum(c["outbox"] for c in counts) == 4
    assert "sent-old-0" in (await _left(rdb))[1]
    assert await purge(rdb) == {"idempotency_keys": 0, "outbox": 1}  # the next round gets it


async def test_the_background_task_purges_at_start_and_stops(rdb: Database) -> None:
    await _seed(rdb)
    stop = asyncio.Event()
    task = asyncio.create_task(run_retention(rdb, stop))
    deadline = asyncio.get_running_loop().time() + 20
    while (await _left(rdb))[1] != {"sent-new", "dead-old", "pending"}:
        assert asyncio.get_running_loop().time() < deadline, "the background purge never ran"
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
