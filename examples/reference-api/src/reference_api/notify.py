"""Notifications: rows in the outbox, written in the caller's transaction (the transactional outbox).

A worker (reference_api.worker) sends them; since the row commits or rolls back with the change it
announces, no e-mail is ever sent for a change that did not happen, and none is lost for one that did.

A row names its recipient by user id, not by address: the API learns no address from a request (Cognito's
access tokens carry none), so :class:`AddressedMailer` asks the directory (:mod:`reference_api.directory`)
when the worker sends. A directory that cannot answer fails the send, which the outbox retries with its
backoff; a user without a (verified) address gets no mail, and the row is dead-lettered at once with that
reason (``Undeliverable``): no retry would find an address, and the row must not say it was sent.
"""

from __future__ import annotations

import dataclasses
import logging

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .directory import Directory
from .schema import outbox, users
from .worker import Mailer, Message, Undeliverable

log = logging.getLogger("reference_api.notify")


async def enqueue(conn: AsyncConnection, kind: str, user_id: str | None, subject: str, body: str) -> None:
    """Queue an e-mail to a user the service knows (has seen a token of); others are skipped."""
    if user_id is None:
        return
    source = select(literal(kind), users.c.id, literal(subject), literal(body)).where(users.c.id == user_id)
    await conn.execute(outbox.insert().from_select(["kind", "recipient", "subject", "body"], source))


class AddressedMailer:
    """Sends a queued message (recipient: a user id) to the address the directory has for that user."""

    def __init__(self, mailer: Mailer, directory: Directory) -> None:
        self.mailer = mailer
        self.directory = directory

    async def send(self, message: Message) -> None:
        address = await self.directory.address(message.recipient)  # DirectoryUnavailable: retried
        if address is None:
            raise Undeliverable("the recipient has no verified e-mail address")
        await self.mailer.send(dataclasses.replace(message, recipient=address))
