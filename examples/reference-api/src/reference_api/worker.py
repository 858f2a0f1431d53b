"""The outbox worker: sends queued e-mail, retries with backoff, dead-letters, re-sends one per crash at most.

Runs inside each API task as a background task, so there is no other service to deploy, scale or
watch; any number of tasks share the work. A batch is claimed in a short transaction of its own
(``FOR UPDATE SKIP LOCKED``, then a lease: ``lease_id`` and ``leased_until`` written and committed), the
messages are sent with no transaction open, and each result is recorded in a transaction of its own. So a
rollback or a crash can never un-mark messages already sent (a failover, the kill at the end of the stop
timeout, PostgreSQL ending an idle transaction while the mail provider is slow), and a hung send holds no
lock: other workers go on sending and dead-lettering, and rows of the hung worker's batch are taken over
once their lease expires (the hung worker renews each row's lease just before sending it and skips rows
it lost). Every send is bounded (``outbox_send_timeout_s``, shorter than the lease).

Each claim counts as an attempt. Failures get an exponential backoff (2^attempts seconds, capped at an
hour); after ``outbox_max_attempts`` the row is dead-lettered (``dead_at``) and left for an operator, also
when its attempts never reported back (the worker crashed or hung each time). A message that no retry can
deliver (:class:`Undeliverable`, e.g. a recipient without an address) is dead-lettered at its first attempt,
with the reason in ``last_error``: the row says it was not sent, never that it was.

The one window left is a crash after the mail provider accepted a message and before its result is
recorded: the lease expires and the message is sent again. SES has no idempotency key for SendEmail, so
that window cannot be closed from our side; it is one message per crash at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson
from sqlalchemy import func, or_, select, update

from .db import Database
from .schema import outbox
from .settings import Settings

log = logging.getLogger("reference_api.worker")
MAX_BACKOFF_S = 3600


@dataclass(frozen=True)
class Message:
    event_id: uuid.UUID
    recipient: str
    subject: str
    body: str


class Mailer(Protocol):
    async def send(self, message: Message) -> None: ...


class Undeliverable(Exception):
    """Raised by a :class:`Mailer` for a message that no retry can deliver: it is dead-lettered at once."""


class LocalMailer:
    """Development: one JSON line per message in ``mail_dir/outbox.jsonl``."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / "outbox.jsonl"

    async def send(self, message: Message) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = orjson.dumps(
            {
                "event_id": str(message.event_id),
                "to": message.recipient,
                "subject": message.subject,
                "body": message.body,
            }
        )
        with self.path.open("ab") as fh:
            fh.write(line + b"\n")


class SesMailer:
    """Production: SES v2 SendEmail through boto3 (standard retry mode handles throttling).

    Timeouts are short (connect 2 s, read 5 s, 3 attempts: at most about 21 s) so that a hung send
    cannot hold a SIGTERM stop past the 25 s graceful window; botocore's defaults (60 s read) could.
    """

    def __init__(self, settings: Settings) -> None:
        import boto3
        from botocore.config import Config

        self._client: Any = boto3.client(
            "sesv2",
            region_name=settings.aws_region,
            config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5),
        )
        self._sender = settings.mail_from
        self._configuration_set = settings.ses_configuration_set

    async def send(self, message: Message) -> None:
        request: dict[str, Any] = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [message.recipient]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": message.body, "Charset": "UTF-8"}},
                }
            },
            "EmailTags": [{"Name": "event_id", "Value": str(message.event_id)}],
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        await asyncio.to_thread(lambda: self._client.send_email(**request))


def build_mailer(settings: Settings) -> Mailer:
    if settings.mail_backend == "ses":
        return SesMailer(settings)
    return LocalMailer(settings.mail_dir)


_NOW = func.clock_timestamp()


def _seconds(s: float) -> Any:
    return func.make_interval(0, 0, 0, 0, 0, 0, s)


async def _claim(db: Database, lease_id: uuid.UUID) -> list[Any]:
    """Lease up to one batch of due rows in a short transaction of its own; returns the rows to send.

    A row is due when it is neither sent nor dead, its backoff has passed and nobody holds a live
    lease on it (an expired lease means its holder crashed or hung: the row is taken over). Each claim
    counts as an attempt, so a message whose sends keep crashing the worker or hanging past the lease
    is dead-lettered like one that keeps failing; such a row is dead-lettered here instead of sent.
    """
    settings = db.settings
    due = (
        select(outbox.c.id)
        .where(
            outbox.c.sent_at.is_(None),
            outbox.c.dead_at.is_(None),
            outbox.c.next_attempt_at <= _NOW,
            or_(outbox.c.leased_until.is_(None), outbox.c.leased_until <= _NOW),
        )
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(settings.outbox_batch)
        .with_for_update(skip_locked=True)
    )
    async with db.transaction() as conn:
        rows = (
            await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(due.scalar_subquery()))
                .values(
                    lease_id=lease_id,
                    leased_until=_NOW + _seconds(settings.outbox_lease_s),
                    attempts=outbox.c.attempts + 1,
                )
                .returning(
                    outbox.c.id,
                    outbox.c.event_id,
                    outbox.c.recipient,
                    outbox.c.subject,
                    outbox.c.body,
                    outbox.c.attempts,
                )
            )
        ).all()
        spent = [r.id for r in rows if r.attempts > settings.outbox_max_attempts]
        if spent:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(spent))
                .values(
                    attempts=outbox.c.attempts - 1,
                    dead_at=_NOW,
                    lease_id=None,
                    leased_until=None,
                    last_error=func.coalesce(outbox.c.last_error, "no result: the worker crashed or hung"),
                )
            )
            for r in rows:
                if r.id in spent:
                    log.error("outbox message dead-lettered", extra={"event_id": str(r.event_id)})
    return sorted((r for r in rows if r.id not in spent), key=lambda r: r.id)


async def _still_ours(db: Database, row_id: int, lease_id: uuid.UUID) -> bool:
    """Renew the lease right before sending; False when another worker took the row over meanwhile."""
    async with db.transaction() as conn:
        renewed = (
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == row_id, outbox.c.lease_id == lease_id)
                .values(leased_until=_NOW + _seconds(db.settings.outbox_lease_s))
                .returning(outbox.c.id)
            )
        ).first()
    return renewed is not None


async def _record(db: Database, row: Any, lease_id: uuid.UUID, error: BaseException | None) -> None:
    """Record one send's result in its own transaction (only while the lease is still ours)."""
    settings = db.settings
    values: dict[str, Any] = {"lease_id": None, "leased_until": None}
    if error is None:
        values["sent_at"] = _NOW
    else:
        values["last_error"] = f"{type(error).__name__}: {error}"[:1000]
        if isinstance(error, Undeliverable):
            values["dead_at"] = _NOW
            log.warning("outbox message undeliverable: %s", error, extra={"event_id": str(row.event_id)})
        elif row.attempts >= settings.outbox_max_attempts:
            values["dead_at"] = _NOW
            log.error("outbox message dead-lettered", extra={"event_id": str(row.event_id)})
        else:
            values["next_attempt_at"] = _NOW + _seconds(min(2**row.attempts, MAX_BACKOFF_S))
    async with db.transaction() as conn:
        await conn.execute(
            update(outbox).where(outbox.c.id == row.id, outbox.c.lease_id == lease_id).values(**values)
        )


async def _release(db: Database, ids: list[int], lease_id: uuid.UUID) -> None:
    """Give back rows claimed but not tried (the worker is stopping): no attempt is counted."""
    async with db.transaction() as conn:
        await conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), outbox.c.lease_id == lease_id)
            .values(lease_id=None, leased_until=None, attempts=outbox.c.attempts - 1)
        )


async def process_batch(db: Database, mailer: Mailer, stop: asyncio.Event | None = None) -> int:
    """Send one batch of due messages; returns how many rows were claimed.

    No transaction is open while a message is sent: the claim commits first, each result commits on
    its own. A crash between a send and its record re-sends that one message after the lease expires.
    """
    lease_id = uuid.uuid4()
    rows = await _claim(db, lease_id)
    timeout = db.settings.outbox_send_timeout_s
    for i, row in enumerate(rows):
        if stop is not None and stop.is_set():
            await _release(db, [r.id for r in rows[i:]], lease_id)
            break
        if not await _still_ours(db, row.id, lease_id):
            continue  # our lease ran out while an earlier send hung, and another worker took it over
        error: BaseException | None = None
        try:
            message = Message(row.event_id, row.recipient, row.subject, row.body)
            await asyncio.wait_for(mailer.send(message), timeout=timeout)
        except Exception as exc:  # any failure (a timeout too) is retried, then dead-lettered
            error = exc
        await _record(db, row, lease_id, error)
    return len(rows)


async def run_worker(db: Database, mailer: Mailer, stop: asyncio.Event) -> None:
    """Poll until ``stop`` is set; a failing database only delays the next poll."""
    while not stop.is_set():
        handled = 0
        try:
            handled = await process_batch(db, mailer, stop)
        except Exception:
            log.exception("outbox batch failed; retrying after the poll interval")
        if handled == 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=db.settings.outbox_poll_s)
    log.info("outbox worker stopped")  # rows claimed but not tried were given back
