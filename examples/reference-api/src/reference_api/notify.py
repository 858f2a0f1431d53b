"""Notifications: rows in the outbox, written in the caller's transaction (the transactional outbox).

A worker (reference_api.worker) sends them; since the row commits or rolls back with the change it
announces, no e-mail is ever sent for a change that did not happen, and none is lost for one that did.
"""

from __future__ import annotations

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .schema import outbox, users


async def enqueue(conn: AsyncConnection, kind: str, user_id: str | None, subject: str, body: str) -> None:
    """Queue an e-mail to a user; users without a known address are skipped."""
    if user_id is None:
        return
    source = select(literal(kind), users.c.email, literal(subject), literal(body)).where(
        users.c.id == user_id, users.c.email.is_not(None)
    )
    await conn.execute(outbox.insert().from_select(["kind", "recipient", "subject", "body"], source))
