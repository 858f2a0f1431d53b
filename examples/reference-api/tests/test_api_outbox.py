"""The outbox worker: sends once, retries with backoff, dead-letters, and two workers never share a row."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import orjson
import pytest
from reference_api.notify import enqueue
from reference_api.schema import users
from reference_api.worker import LocalMailer, Message, process_batch
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

pytestmark = pytest.mark.anyio


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[Message] = []
        self.fail = fail

    async def send(self, message: Message) -> None:
        await asyncio.sleep(0)  # let another worker interleave
        if self.fail:
            raise ConnectionError("mail provider down")
        self.sent.append(message)


async def _queue(db: Any, n: int, who: str = "mail-user") -> None:
    async with db.transaction() as conn:
        await conn.execute(insert(users).values(id=who, role="agent").on_conflict_do_nothing())
        for i in range(n):
            await enqueue(conn, "test", who, f"subject {i}", "body")


async def test_sends_each_message_once(db: Any) -> None:
    await _queue(db, 3)
    mailer = Recorder()
    assert await process_batch(db, mailer) == 3
    assert await process_batch(db, mailer) == 0
    assert sorted(m.subject for m in mailer.sent) == ["subject 0", "subject 1", "subject 2"]
    assert {m.recipient for m in mailer.sent} == {"mail-user"}  # by user id; addressed when sent
    async with db.read() as conn:
        row = (
            await conn.execute(text("SELECT count(*) FILTER (WHERE sent_at IS NOT NULL) FROM outbox"))
        ).one()
    assert row[0] == 3


async def test_users_the_service_does_not_know_get_no_mail(db: Any) -> None:
    async with db.transaction() as conn:
        await enqueue(conn, "test", "nobody-known", "s", "b")
        await enqueue(conn, "test", None, "s", "b")
    assert await process_batch(db, Recorder()) == 0


async def test_failures_back_off_then_dead_letter(db: Any) -> None:
    db.settings = db.settings.model_copy(update={"outbox_max_attempts": 3})
    await _queue(db, 1)
    down = Recorder(fail=True)
    assert await process_batch(db, down) == 1
    assert await process_batch(db, down) == 0  # backing off: not due yet
    async with db.read() as conn:
        r = (
            await conn.execute(
                text("SELECT attempts, last_error, next_attempt_at > clock_timestamp() FROM outbox")
            )
        ).one()
    assert r[0] == 1
    assert r[1] == "ConnectionError: mail provider down"
    assert r[2] is True
    for expected_attempts in (2, 3):
        async with db.transaction() as conn:
            await conn.execute(text("UPDATE outbox SET next_attempt_at = clock_timestamp()"))  # time passes
        assert await process_batch(db, down) == 1
        async with db.read() as conn:
            attempts, dead = (
                await conn.execute(text("SELECT attempts, dead_at IS NOT NULL FROM outbox"))
            ).one()
        assert attempts == expected_attempts
    assert dead is True
    async with db.transaction() as conn:
        await conn.execute(text("UPDATE outbox SET next_attempt_at = clock_timestamp()"))
    assert await process_batch(db, Recorder()) == 0  # dead letters stay for an operator


async def test_two_workers_never_send_one_event_twice(live: Any) -> None:
    db = live.state.db
    db.settings = db.settings.model_copy(update={"outbox_batch": 5})
    await _queue(db, 30, who="race-mail")
    a, b = Recorder(), Recorder()
    while sum(await asyncio.gather(process_batch(db, a), process_batch(db, b))):
        pass
    events = [m.event_id for m in a.sent + b.sent if m.recipient == "race-mail"]
    assert len(events) == 30
    assert len(set(events)) == 30
    assert a.sent and b.sent  # both workers did work: SKIP LOCKED split the rows


async def test_local_mailer_writes_json_lines(tmp_path: Any) -> None:
    import uuid

    mailer = LocalMailer(tmp_path)
    await mailer.send(Message(uuid.uuid4(), "a@example.com", "hi", "there"))
    line = orjson.loads((tmp_path / "outbox.jsonl").read_text().splitlines()[0])
    assert line["to"] == "a@example.com"
    assert line["subject"] == "hi"


# --- leases: nothing is sent inside a transaction ----------------------------------------------------


@pytest.fixture(scope="module")
async def lease_db(pg_server_url: str, settings_factory: Any) -> Any:
    """A database of this module's own with real commits (the leases must be seen by other connections)."""
    from refapi_support import create_database
    from reference_api.db import Database
    from reference_api.migrate import migrate

    url = await create_database(
        pg_server_url, "refapi_lease_" + os.environ.get("PYTEST_XDIST_WORKER", "main")
    )
    db = Database(settings_factory(url, outbox_worker=False))
    await migrate(db)
    yield db
    await db.dispose()


async def _fresh(db: Any, n: int) -> list[str]:
    async with db.transaction() as conn:
        await conn.execute(text("DELETE FROM outbox"))
    await _queue(db, n, who="lease-user")
    async with db.read() as conn:
        return [
            str(r[0]) for r in (await conn.execute(text("SELECT event_id FROM outbox ORDER BY id"))).all()
        ]


async def _rows(db: Any) -> dict[str, Any]:
    async with db.read() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT event_id::text, attempts, sent_at IS NOT NULL AS sent,"
                    " dead_at IS NOT NULL AS dead, last_error FROM outbox"
                )
            )
        ).all()
    return {r.event_id: r for r in rows}


_CHILD = """
import asyncio, os, signal, sys
from reference_api.db import Database
from reference_api.settings import Settings
from reference_api.worker import process_batch

class Crashing:
    def __init__(self, log, crash_after):
        self.log, self.crash_after, self.sent = log, crash_after, 0
    async def send(self, message):
        with open(self.log, "a") as fh:  # the provider accepted it: recorded before anything else
            fh.write(f"{message.event_id}\\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.sent += 1
        if self.sent == self.crash_after:
            os.kill(os.getpid(), signal.SIGKILL)  # before the worker records the send

async def main():
    db = Database(Settings(environment="test", database_url=sys.argv[1], outbox_batch=int(sys.argv[4])))
    await process_batch(db, Crashing(sys.argv[2], int(sys.argv[3])))
    await db.dispose()

asyncio.run(main())
"""


async def test_a_crash_mid_batch_resends_at_most_one_message(lease_db: Any, tmp_path: Any) -> None:
    """Real processes killed with SIGKILL right after a send: the rest of their batch is not sent twice."""
    import signal
    import subprocess
    import sys

    events = await _fresh(lease_db, 10)
    sent_log = tmp_path / "sent.log"
    url = lease_db.settings.database_url.get_secret_value()
    crashes = 0
    for crash_after in (3, 2):  # two workers, each killed in the middle of its batch of 10
        proc = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", _CHILD, url, str(sent_log), str(crash_after), "10"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        crashes += 1
        async with lease_db.transaction() as conn:  # time passes: the dead worker's lease expires
            await conn.execute(
                text("UPDATE outbox SET leased_until = clock_timestamp() WHERE lease_id IS NOT NULL"),
            )
    mailer = Recorder()
    assert await process_batch(lease_db, mailer) > 0
    assert await process_batch(lease_db, mailer) == 0
    deliveries = sent_log.read_text().split() + [str(m.event_id) for m in mailer.sent]
    assert sorted(set(deliveries)) == sorted(events)  # every message went out
    duplicates = len(deliveries) - len(events)
    assert duplicates <= crashes  # one message per crash at most (the one sent right before it)
    assert duplicates == 2  # here exactly: each crash hit between a send and its record
    rows = await _rows(lease_db)
    assert all(r.sent and not r.dead for r in rows.values())


async def test_a_hung_send_does_not_block_dead_lettering(lease_db: Any) -> None:
    """Worker A hangs on its first message; the rest of its batch is taken over and dead-lettered by B."""
    hung_id, failing_id = await _fresh(lease_db, 2)
    base = lease_db.settings
    # The worst case: a send that outlives its lease (the settings check refuses such values; model_copy
    # does not validate). With the defaults the send is cut off first.
    lease_db.settings = base.model_copy(
        update={"outbox_lease_s": 0.3, "outbox_send_timeout_s": 30.0, "outbox_max_attempts": 2}
    )
    release = asyncio.Event()

    class Hangs:
        def __init__(self) -> None:
            self.sent: list[str] = []

        async def send(self, message: Message) -> None:
            if str(message.event_id) == hung_id:
                await release.wait()  # hangs until the test releases it
            else:
                raise ConnectionError("mail provider down")
            self.sent.append(str(message.event_id))

    try:
        a_mailer = Hangs()
        a = asyncio.create_task(process_batch(lease_db, a_mailer))
        deadline = asyncio.get_running_loop().time() + 10
        while True:  # A has claimed both rows and is inside the hung send
            rows = await _rows(lease_db)
            if all(r.attempts == 1 for r in rows.values()):
                break
            assert asyncio.get_running_loop().time() < deadline, "A never claimed its batch"
            await asyncio.sleep(0.01)
        # B runs while A's send hangs: once the lease on the row A has not reached yet expires, B takes
        # it over and dead-letters it (its second attempt fails).
        b_mailer = Recorder(fail=True)
        deadline = asyncio.get_running_loop().time() + 10
        while not (await _rows(lease_db))[failing_id].dead:
            assert asyncio.get_running_loop().time() < deadline, "the failing row was never dead-lettered"
            await process_batch(lease_db, b_mailer)
            await asyncio.sleep(0.05)
        assert not a.done()  # ... all while A was still hung
        release.set()
        await a
        rows = await _rows(lease_db)
        assert rows[failing_id].dead
        assert rows[failing_id].last_error == "ConnectionError: mail provider down"
        assert rows[failing_id].attempts == 2  # A's claim, then B's
        assert failing_id not in a_mailer.sent  # A skipped the row it had lost
    finally:
        release.set()
        lease_db.settings = base


async def test_rows_whose_sends_never_report_back_are_dead_lettered(lease_db: Any) -> None:
    """A message that crashes or hangs its worker every time is not retried forever."""
    (event,) = await _fresh(lease_db, 1)
    max_attempts = lease_db.settings.outbox_max_attempts
    async with lease_db.transaction() as conn:  # max_attempts claims, each lease expired without a result
        await conn.execute(
            text(
                "UPDATE outbox SET attempts = :n, lease_id = gen_random_uuid(),"
                " leased_until = clock_timestamp()"
            ),
            {"n": max_attempts},
        )
    mailer = Recorder()
    assert await process_batch(lease_db, mailer) == 0
    assert mailer.sent == []
    row = (await _rows(lease_db))[event]
    assert row.dead and row.attempts == max_attempts
    assert row.last_error == "no result: the worker crashed or hung"


async def test_a_live_lease_is_not_taken_and_stopping_gives_rows_back(lease_db: Any) -> None:
    await _fresh(lease_db, 3)
    stop = asyncio.Event()

    class StopsAfterOne:
        def __init__(self) -> None:
            self.sent: list[Message] = []

        async def send(self, message: Message) -> None:
            self.sent.append(message)
            stop.set()  # SIGTERM arrives during the first send

    first = StopsAfterOne()
    assert await process_batch(lease_db, first, stop) == 3
    assert len(first.sent) == 1
    rows = await _rows(lease_db)
    assert sorted((r.sent, r.attempts) for r in rows.values()) == [(False, 0), (False, 0), (True, 1)]
    async with lease_db.read() as conn:
        assert (
            await conn.execute(text("SELECT count(*) FROM outbox WHERE lease_id IS NOT NULL"))
        ).scalar() == 0
    # A lease that has not expired keeps the row from every other worker.
    async with lease_db.transaction() as conn:
        await conn.execute(
            text(
                "UPDATE outbox SET lease_id = gen_random_uuid(),"
                " leased_until = clock_timestamp() + interval '1 minute' WHERE sent_at IS NULL"
            )
        )
    assert await process_batch(lease_db, Recorder()) == 0
