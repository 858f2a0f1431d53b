"""Retention: idempotency records and sent e-mail are deleted once their retention has passed.

Runs inside each API task as a background task next to the outbox worker, every
``retention_interval_s``. Rows are deleted in bounded batches (``retention_batch`` per transaction, so no
transaction holds many locks or runs long), chosen with ``FOR UPDATE SKIP LOCKED`` so tasks purging at the
same time split the work instead of waiting on each other or deleting the same rows.

- Idempotency records (with their stored responses): ``idempotency_ttl_s`` after the request started
  (24 h by default), the same age after which a key may be used again. A claim still open (its request
  has not answered) is never purged: deleting it would let a retry run the request a second time.
- Outbox rows: ``outbox_sent_retention_s`` after they were sent (24 h by default). Dead-lettered rows
  stay for an operator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import ColumnElement, delete, func, select, tuple_

from .db import Database
from .schema import idempotency_keys, outbox

log = logging.getLogger("reference_api.retention")


def _older_than(column: ColumnElement[object], seconds: int) -> ColumnElement[bool]:
    return column < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, seconds)


async def _purge_idempotency(db: Database, limit: int) -> int:
    k = idempotency_keys.c
    victims = (
        select(k.owner_id, k.key)
        .where(k.completed_at.is_not(None), _older_than(k.created_at, db.settings.idempotency_ttl_s))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    async with db.transaction() as conn:
        result = await conn.execute(
            delete(idempotency_keys).where(tuple_(k.owner_id, k.key).in_(victims.subquery().select()))
        )
    return int(result.rowcount)


async def _purge_outbox(db: Database, limit: int) -> int:
    victims = (
        select(outbox.c.id)
        .where(
            outbox.c.sent_at.is_not(None), _older_than(outbox.c.sent_at, db.settings.outbox_sent_retention_s)
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    async with db.transaction() as conn:
        result = await conn.execute(delete(outbox).where(outbox.c.id.in_(victims.scalar_subquery())))
    return int(result.rowcount)


async def purge(db: Database) -> dict[str, int]:
    """Delete everything past its retention, one bounded batch per transaction; returns the counts."""
    limit = db.settings.retention_batch
    counts = {"idempotency_keys": 0, "outbox": 0}
    for table, step in (("idempotency_keys", _purge_idempotency), ("outbox", _purge_outbox)):
        while True:
            deleted = await step(db, limit)
            counts[table] += deleted
            if deleted < limit:
                break
    return counts


async def run_retention(db: Database, stop: asyncio.Event) -> None:
    """Purge now and then every ``retention_interval_s`` until ``stop`` is set; failures wait a round."""
    while not stop.is_set():
        try:
            counts = await purge(db)
            if any(counts.values()):
                log.info("retention purge", extra={"deleted": counts})
        except Exception:
            log.exception("retention purge failed; retrying after the interval")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=db.settings.retention_interval_s)
    log.info("retention task stopped")
