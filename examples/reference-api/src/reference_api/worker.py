"""The outbox worker: sends queued e-mail, retries with backoff, dead-letters, never sends one twice.

Runs inside each API task as a background task, so there is no other service to deploy, scale or
watch; any number of tasks share the work through the row locks. Each batch is claimed with
``FOR UPDATE SKIP LOCKED`` inside one transaction that also records the outcome, so two workers (or
two tasks) never hold the same row, and a sent row is marked sent in the same commit. Failures get
``attempts + 1`` and an exponential backoff (2^attempts seconds, capped at an hour); after
``outbox_max_attempts`` the row is dead-lettered (``dead_at``) and left for an operator.

The one window left is a crash after the mail provider accepted a message and before our commit: the
row's lock is released by the rollback and the message is sent again. SES has no idempotency key for
SendEmail, so that window cannot be closed from our side; it is one message per crash at most.
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
from sqlalchemy import func, select, update

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


async def process_batch(db: Database, mailer: Mailer) -> int:
    """Send one batch of due messages; returns how many rows were handled (sent or failed)."""
    settings = db.settings
    async with db.transaction() as conn:
        rows = (
            await conn.execute(
                select(
                    outbox.c.id,
                    outbox.c.event_id,
                    outbox.c.recipient,
                    outbox.c.subject,
                    outbox.c.body,
                    outbox.c.attempts,
                )
                .where(
                    outbox.c.sent_at.is_(None),
                    outbox.c.dead_at.is_(None),
                    outbox.c.next_attempt_at <= func.clock_timestamp(),
                )
                .order_by(outbox.c.next_attempt_at, outbox.c.id)
                .limit(settings.outbox_batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for row in rows:
            try:
                await mailer.send(Message(row.event_id, row.recipient, row.subject, row.body))
            except Exception as exc:  # any failure is retried, then dead-lettered
                attempts = row.attempts + 1
                values: dict[str, Any] = {
                    "attempts": attempts,
                    "last_error": f"{type(exc).__name__}: {exc}"[:1000],
                }
                if attempts >= settings.outbox_max_attempts:
                    values["dead_at"] = func.clock_timestamp()
                    log.error("outbox message dead-lettered", extra={"event_id": str(row.event_id)})
                else:
                    delay = min(2**attempts, MAX_BACKOFF_S)
                    values["next_attempt_at"] = func.clock_timestamp() + func.make_interval(
                        0, 0, 0, 0, 0, 0, delay
                    )
                await conn.execute(update(outbox).where(outbox.c.id == row.id).values(**values))
            else:
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id == row.id)
                    .values(sent_at=func.clock_timestamp(), attempts=row.attempts + 1)
                )
    return len(rows)


async def run_worker(db: Database, mailer: Mailer, stop: asyncio.Event) -> None:
    """Poll until ``stop`` is set; a failing database only delays the next poll."""
    while not stop.is_set():
        handled = 0
        try:
            handled = await process_batch(db, mailer)
        except Exception:
            log.exception("outbox batch failed; retrying after the poll interval")
        if handled == 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=db.settings.outbox_poll_s)
    log.info("outbox worker stopped")  # the last batch is committed: nothing is left half-sent
