"""E-mail addresses without an ``email`` claim: the development issuer mints Cognito's access token
claims and no others, and notifications find addresses in the user pool (moto's Cognito in-process),
cached, with failures retried by the outbox and never answered to a client as an error."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from moto import mock_aws
from reference_api.dev.directory import DevDirectory
from reference_api.directory import CognitoDirectory, DirectoryUnavailable
from reference_api.notify import AddressedMailer, enqueue
from reference_api.schema import users
from reference_api.worker import Message, process_batch
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

pytestmark = pytest.mark.anyio

# The access token payload in the Cognito developer guide ("Understanding the access token"), without
# the claims only device tracking (device_key) or a pre-token-generation trigger (version) adds.
COGNITO_ACCESS_TOKEN_CLAIMS = {
    "sub", "cognito:groups", "iss", "client_id", "origin_jti", "event_id", "token_use", "scope",
    "auth_time", "exp", "iat", "jti", "username",
}  # fmt: skip


async def test_development_tokens_carry_exactly_cognitos_access_token_claims(app: Any) -> None:
    claims = jwt.decode(app.state.dev_issuer.token("claims-1", "agent"), options={"verify_signature": False})
    assert set(claims) == COGNITO_ACCESS_TOKEN_CLAIMS
    assert claims["token_use"] == "access" and claims["cognito:groups"] == ["agent"]
    assert "email" not in claims


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Pool:
    """A moto user pool with a client, and helpers to add users as an administrator would."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.id = client.create_user_pool(PoolName="twin", UsernameAttributes=["email"])["UserPool"]["Id"]

    def add(self, email: str, *, verified: bool = True) -> str:
        created = self.client.admin_create_user(
            UserPoolId=self.id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true" if verified else "false"},
            ],
            MessageAction="SUPPRESS",
        )["User"]
        return str(next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub"))

    def directory(self, clock: Clock, **kw: Any) -> CognitoDirectory:
        options = {"cache_s": 300, "cache_size": 100, **kw}
        return CognitoDirectory(self.id, region="us-east-1", client=self.client, clock=clock, **options)


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pool]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    import boto3

    with mock_aws():
        yield Pool(boto3.client("cognito-idp", region_name="us-east-1"))


async def test_the_address_is_the_pools_verified_email_of_the_sub(pool: Pool) -> None:
    carla, unverified = pool.add("carla@example.org"), pool.add("mallory@example.org", verified=False)
    directory = pool.directory(Clock())
    assert await directory.address(carla) == "carla@example.org"
    assert await directory.address(unverified) is None  # mail only where the user proved they receive it
    assert await directory.address(str(uuid.uuid4())) is None  # no such user
    before = directory.lookups
    assert await directory.address('x" or email ^= "') is None  # not a sub: never put in a filter
    assert directory.lookups == before


async def test_answers_are_cached_for_the_ttl_in_a_bounded_cache(pool: Pool) -> None:
    subs = [pool.add(f"user{i}@example.org") for i in range(3)]
    clock = Clock()
    directory = pool.directory(clock, cache_s=60, cache_size=2)
    for _ in range(3):
        assert await directory.address(subs[0]) == "user0@example.org"
    assert directory.lookups == 1
    missing = str(uuid.uuid4())
    assert await directory.address(missing) is None
    assert await directory.address(missing) is None  # "no address" is an answer too
    assert directory.lookups == 2
    clock.now += 61
    assert await directory.address(subs[0]) == "user0@example.org"
    assert directory.lookups == 3  # expired: asked again
    await directory.address(subs[1])
    await directory.address(subs[2])  # the cache holds two: the oldest (subs[0]) goes
    lookups = directory.lookups
    await directory.address(subs[2])
    assert directory.lookups == lookups
    await directory.address(subs[0])
    assert directory.lookups == lookups + 1


async def test_a_directory_that_cannot_answer_raises_and_nothing_is_cached(pool: Pool) -> None:
    carla = pool.add("carla@example.org")
    broken = CognitoDirectory(
        "us-east-1_Missing0", region="us-east-1", client=pool.client, cache_s=300, cache_size=100
    )
    for _ in range(2):
        with pytest.raises(DirectoryUnavailable, match="ResourceNotFoundException"):
            await broken.address(carla)
    assert broken.lookups == 2


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)


class Down:
    lookups = 0

    async def address(self, user_id: str) -> str | None:
        self.lookups += 1
        raise DirectoryUnavailable("ThrottlingException: Rate exceeded")


async def _queue_for(db: Any, user_id: str) -> None:
    async with db.transaction() as conn:
        await conn.execute(insert(users).values(id=user_id, role="client").on_conflict_do_nothing())
        await enqueue(conn, "test", user_id, f"to {user_id}", "body")


async def test_the_worker_sends_to_the_address_the_pool_has(db: Any, pool: Pool) -> None:
    carla, unverified = pool.add("carla@example.org"), pool.add("mallory@example.org", verified=False)
    await _queue_for(db, carla)
    await _queue_for(db, unverified)
    sent = Recorder()
    assert await process_batch(db, AddressedMailer(sent, pool.directory(Clock()))) == 2
    assert [(m.recipient, m.subject) for m in sent.sent] == [("carla@example.org", f"to {carla}")]
    # The unverified user's row says it was not sent, and why; it is not retried.
    async with db.read() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT recipient, attempts, sent_at IS NOT NULL, dead_at IS NOT NULL, last_error"
                    " FROM outbox"
                )
            )
        ).all()
    assert sorted(tuple(r) for r in rows) == sorted(
        [
            (carla, 1, True, False, None),
            (unverified, 1, False, True, "Undeliverable: the recipient has no verified e-mail address"),
        ]
    )
    assert await process_batch(db, AddressedMailer(sent, pool.directory(Clock()))) == 0


async def test_a_directory_outage_is_retried_by_the_outbox(db: Any) -> None:
    await _queue_for(db, "outage-user")
    assert await process_batch(db, AddressedMailer(Recorder(), Down())) == 1
    async with db.read() as conn:
        row = (
            await conn.execute(
                text("SELECT attempts, last_error, sent_at, next_attempt_at > clock_timestamp() FROM outbox")
            )
        ).one()
    assert row[0] == 1 and row[1].startswith("DirectoryUnavailable: ThrottlingException")
    assert row[2] is None and row[3] is True  # not sent; due again after the backoff
    async with db.transaction() as conn:
        await conn.execute(text("UPDATE outbox SET next_attempt_at = clock_timestamp()"))  # time passes
    sent = Recorder()
    assert await process_batch(db, AddressedMailer(sent, DevDirectory())) == 1
    assert [m.recipient for m in sent.sent] == ["outage-user@example.com"]


async def test_me_answers_without_an_address_when_the_directory_cannot(
    client: Any, app: Any, auth: Any
) -> None:
    # Not monkeypatch.setattr: pytest restores what it finds in the target's __dict__, and Starlette's
    # State keeps its values elsewhere, so the undo would delete the session app's directory for every
    # later test on this worker.
    directory = app.state.directory
    app.state.directory = Down()
    try:
        me = await client.get("/api/me", headers=auth("me-down", "client"))
    finally:
        app.state.directory = directory
    assert me.status_code == 200
    assert me.json() == {"sub": "me-down", "role": "client", "username": "me-down", "email": None}
    back = await client.get("/api/me", headers=auth("me-back", "client"))  # the directory is restored
    assert back.status_code == 200 and back.json()["email"] == "me-back@example.com"
