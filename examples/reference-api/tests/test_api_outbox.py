"""The outbox worker: sends once, retries with backoff, dead-letters, and two workers never share a row."""

from __future__ import annotations

import asyncio
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
