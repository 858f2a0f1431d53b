"""Users' e-mail addresses: looked up where they live, the Cognito user pool, and cached.

Cognito's access tokens carry no ``email`` claim (only ``sub``, ``username``, ``cognito:groups``, the
client, scopes and times), so the API cannot learn an address from a request. The outbox names the
recipient by user id, and the worker asks the directory for the address when it sends
(:mod:`reference_api.notify`): a changed address is used from the next cache expiry on, and a directory
that cannot answer only delays the message, which the outbox retries.

:class:`CognitoDirectory` calls ``ListUsers`` filtered by ``sub`` (the task role may call exactly that,
on its own pool) and answers only verified addresses: a user who could set an unverified address would
otherwise have mail about cases sent wherever they like. Answers, "no address" included, are cached for
``API_DIRECTORY_CACHE_S`` in at most ``API_DIRECTORY_CACHE_SIZE`` entries (the oldest go first); failures
are not cached. Development uses :class:`reference_api.dev.directory.DevDirectory`, which has the same
interface.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from .settings import Settings

_SUB = re.compile(r"^[A-Za-z0-9-]{1,128}$")
"""A Cognito ``sub`` is a UUID; anything else cannot be one and is not looked up (nor put in a filter)."""


class DirectoryUnavailable(Exception):
    """The directory could not answer; the caller retries later."""


class Directory(Protocol):
    async def address(self, user_id: str) -> str | None:
        """The user's e-mail address; None when they have none (or no such user). Raises
        :class:`DirectoryUnavailable` when the directory cannot answer now."""
        ...


class CognitoDirectory:
    """Addresses from a Cognito user pool (``ListUsers`` by ``sub``), cached with a TTL and a bound."""

    def __init__(
        self,
        user_pool_id: str,
        *,
        region: str,
        cache_s: float,
        cache_size: int,
        client: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if client is None:
            import boto3
            from botocore.config import Config

            # Short timeouts, few retries: a send that waits on the directory holds a claimed outbox row.
            client = boto3.client(
                "cognito-idp",
                region_name=region,
                config=Config(
                    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5
                ),
            )
        self.user_pool_id = user_pool_id
        self.client = client
        self.cache_s = cache_s
        self.cache_size = cache_size
        self._clock = clock
        self._cache: OrderedDict[str, tuple[str | None, float]] = OrderedDict()
        self.lookups = 0  # calls to Cognito (for tests and the curious)

    async def address(self, user_id: str) -> str | None:
        now = self._clock()
        hit = self._cache.get(user_id)
        if hit is not None and hit[1] > now:
            return hit[0]
        if not _SUB.match(user_id):
            return None
        try:
            self.lookups += 1
            found = await asyncio.to_thread(self._lookup, user_id)
        except Exception as exc:  # throttling, network, permissions: answer later, never cache
            raise DirectoryUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc
        self._cache.pop(user_id, None)
        while self.cache_size and len(self._cache) >= self.cache_size:
            self._cache.popitem(last=False)
        if self.cache_size:
            self._cache[user_id] = (found, now + self.cache_s)
        return found

    def _lookup(self, sub: str) -> str | None:
        response = self.client.list_users(
            UserPoolId=self.user_pool_id,
            Filter=f'sub = "{sub}"',
            AttributesToGet=["email", "email_verified"],
            Limit=1,
        )
        for user in response.get("Users", []):
            attributes = {a["Name"]: a.get("Value") for a in user.get("Attributes", [])}
            if attributes.get("email") and attributes.get("email_verified") == "true":
                return str(attributes["email"])
        return None


def build_directory(settings: Settings) -> Directory | None:
    """The user pool's directory when ``API_COGNITO_USER_POOL_ID`` is set; None otherwise (development
    installs its own)."""
    if not settings.cognito_user_pool_id:
        return None
    return CognitoDirectory(
        settings.cognito_user_pool_id,
        region=settings.aws_region,
        cache_s=settings.directory_cache_s,
        cache_size=settings.directory_cache_size,
    )
