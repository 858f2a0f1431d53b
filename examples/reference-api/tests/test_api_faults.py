"""Fault tests with real processes: PostgreSQL killed and restarted under the running app, SIGTERM while
requests are in flight (what ECS does on every deployment), and a database password rotated through a
Secrets Manager secret (moto's server) while the API serves."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import orjson
import pytest
from refapi_support import ApiProcess, api_env, create_database, migrate_with_own_handle, stop_embedded
from reference_api.app import create_app
from reference_api.db import Database
from reference_api.dev.issuer import DevIssuer
from reference_api.migrate import migrate
from reference_api.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@contextlib.asynccontextmanager
async def _admin_client(db: Database, sub: str) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """``db`` migrated, an app on it whose faults become answers (not re-raised into the test), a client of
    it, and the headers of an admin named ``sub``; the caller disposes of ``db``."""
    await migrate(db)
    app = create_app(db.settings, db=db)
    h = {"Authorization": f"Bearer {app.state.dev_issuer.token(sub, 'admin')}"}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, h


async def test_recovers_after_postgres_is_killed_and_restarted(
    settings_factory: Callable[..., Settings],
) -> None:
    import pgserver
    from pgserver._commands import pg_ctl

    data = Path(tempfile.mkdtemp(prefix="refapi-fault-"))
    server: Any = pgserver.get_server(data, cleanup_mode="stop")
    url = server.get_uri()
    socket_dir = parse_qs(urlsplit(url).query)["host"][0]

    def ctl(*args: str) -> None:
        pg_ctl(["-w", *args], pgdata=server.pgdata, user=server.system_user, timeout=20)

    db = Database(settings_factory(url, db_pool_size=3, db_max_overflow=0))
    try:
        async with _admin_client(db, "fault-admin") as (client, h):
            for _ in range(5):  # the pool now holds live connections
                assert (await client.get("/api/cases", headers=h)).status_code == 200

            ctl("-m", "immediate", "stop")  # a crash: no clean shutdown
            down = await client.get("/api/cases", headers=h)
            assert down.status_code == 503
            assert down.headers["content-type"] == "application/problem+json"
            assert down.headers["retry-after"] == "2"
            assert (await client.get("/ready")).status_code == 503
            assert (await client.get("/health")).status_code == 200  # liveness does not follow the database

            ctl("-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(server.log), "start")
            restarted = time.monotonic()
            # Stale pooled connections are dropped by the pre-ping: the very next request succeeds.
            statuses = [(await client.get("/api/cases", headers=h)).status_code for _ in range(20)]
            recovered_in = time.monotonic() - restarted
            assert statuses == [200] * 20
            assert recovered_in < 5
    finally:
        await db.dispose()
        stop_embedded(server)
        shutil.rmtree(data, ignore_errors=True)


# --- real API processes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_pg() -> Iterator[Any]:
    """A PostgreSQL server of this module's own: its log is read and its pg_hba.conf changed."""
    import pgserver

    data = Path(tempfile.mkdtemp(prefix="refapi-fault-proc-"))
    server: Any = pgserver.get_server(data, cleanup_mode="stop")
    server.psql(
        "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off; SELECT pg_reload_conf();"
    )
    try:
        yield server
    finally:
        stop_embedded(server)
        shutil.rmtree(data, ignore_errors=True)


def _socket(server: Any) -> tuple[str, int]:
    parts = urlsplit(server.get_uri())
    return parse_qs(parts.query)["host"][0], parts.port or 5432


async def _superuser(server: Any, database: str = "postgres") -> asyncpg.Connection:
    host, port = _socket(server)
    return await asyncpg.connect(
        host=host,
        port=port,
        user="postgres",
        database=database,
        server_settings={"application_name": "fault-test"},
    )


async def _bounded(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """Poll ``check`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.02)


def _local_port(response: httpx.Response) -> int:
    port: int = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    return port


async def test_sigterm_under_load_finishes_in_flight_requests_and_stops_accepting(
    own_pg: Any, settings_factory: Callable[..., Settings]
) -> None:
    url = await create_database(own_pg.get_uri(), "refapi_sigterm")
    settings = settings_factory(url)
    await migrate_with_own_handle(settings)
    su = await _superuser(own_pg, "refapi_sigterm")
    # An unclean disconnect ("unexpected EOF on client connection") is logged at DEBUG1 only.
    await su.execute("ALTER DATABASE refapi_sigterm SET log_min_messages = debug1")
    log_offset = own_pg.log.stat().st_size
    grace = 10
    env = api_env(
        settings,
        DATABASE_URL=url,
        API_GRACEFUL_SHUTDOWN_S=str(grace),
        API_DB_STATEMENT_TIMEOUT_MS="30000",  # the test's lock, not the statement timeout, decides
        API_OUTBOX_POLL_S="0.2",
    )
    issuer = DevIssuer(settings)
    admin = {"Authorization": f"Bearer {issuer.token('sigterm-admin', 'admin')}"}
    agent = {"Authorization": f"Bearer {issuer.token('sigterm-agent', 'agent')}"}
    clients: list[httpx.AsyncClient] = []
    ports: list[list[int]] = [[] for _ in range(6)]  # each client's local port per response
    with ApiProcess(env) as api:
        await api.wait_ready()
        for i in range(6):  # one keep-alive connection per client, like the ALB's to a target

            async def seen(response: httpx.Response, i: int = i) -> None:
                ports[i].append(_local_port(response))

            clients.append(
                httpx.AsyncClient(
                    base_url=api.url,
                    headers=admin,
                    limits=httpx.Limits(max_connections=1),
                    timeout=30,
                    event_hooks={"response": [seen]},
                )
            )
        try:
            assert (await clients[0].get("/api/me", headers=agent)).status_code == 200  # a known assignee
            a = await clients[0].post("/api/cases", json={"title": "sigterm A"})
            b = await clients[1].post("/api/cases", json={"title": "sigterm B"})
            assert a.status_code == b.status_code == 201
            assert all([(await c.get("/api/me")).status_code == 200 for c in clients[2:]])
            case_a, case_b = a.json()["id"], b.json()["id"]
            keys = [f"sigterm-{uuid.uuid4()}", f"sigterm-{uuid.uuid4()}"]

            locker = await _superuser(own_pg, "refapi_sigterm")
            lock = locker.transaction()
            await lock.start()
            # Every request below touches `cases`: each waits in PostgreSQL until the test lets go.
            await locker.execute("LOCK TABLE cases IN ACCESS EXCLUSIVE MODE")
            calls = [
                clients[0].patch(
                    f"/api/cases/{case_a}", json={"priority": "high"}, headers={"If-Match": a.headers["etag"]}
                ),
                clients[1].patch(
                    f"/api/cases/{case_b}",
                    json={"title": "sigterm B2"},
                    headers={"If-Match": b.headers["etag"]},
                ),
                clients[2].post(
                    "/api/cases", json={"title": "sigterm C"}, headers={"Idempotency-Key": keys[0]}
                ),
                clients[3].post(
                    "/api/cases",
                    json={"title": "sigterm D", "assignee_id": "sigterm-agent"},
                    headers={"Idempotency-Key": keys[1]},
                ),
                clients[4].get("/api/cases"),
                clients[5].get(f"/api/cases/{case_a}"),
            ]
            in_flight = [asyncio.ensure_future(call) for call in calls]

            async def all_waiting() -> bool:
                waiting = await su.fetchval(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE application_name = 'reference-api' AND wait_event_type = 'Lock'"
                )
                return bool(waiting == len(in_flight))

            await _bounded(all_waiting, 10, "every request waits on the test's lock")
            api.proc.send_signal(signal.SIGTERM)
            sigterm_at = time.monotonic()

            async def refused() -> bool:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", api.port)
                except ConnectionRefusedError:
                    return True
                writer.close()
                return False

            await _bounded(refused, 5, "new connections are refused after SIGTERM")

            async def draining() -> bool:
                return "Waiting for connections to close. (CTRL+C to force quit)" in api.output()

            await _bounded(draining, 5, "uvicorn waits for the in-flight requests")
            assert api.proc.poll() is None, "the process must wait for its in-flight requests"
            assert not any(task.done() for task in in_flight)
            await lock.rollback()
            await locker.close()
            responses = await asyncio.wait_for(asyncio.gather(*in_flight), timeout=grace)
            code = await asyncio.to_thread(api.wait_exit, grace)
            stopped_in = time.monotonic() - sigterm_at
        finally:
            for c in clients:
                await c.aclose()

    statuses = [r.status_code for r in responses]
    assert statuses == [200, 200, 201, 201, 200, 200], api.output()
    # Each in-flight request rode the keep-alive connection its client had opened before, and the server
    # told the client to open a new one elsewhere.
    assert all(len(set(p)) == 1 for p in ports), ports
    assert all(r.headers.get("connection") == "close" for r in responses)
    assert code == 0, api.output()
    assert stopped_in < grace

    # Nothing lost, nothing doubled, nothing written without an answer.
    assert responses[0].json()["priority"] == "high" and responses[0].json()["version"] == 2
    assert responses[1].json()["title"] == "sigterm B2"
    rows = {
        r["title"]: r
        for r in await su.fetch(
            "SELECT id::text, title, priority, version FROM cases WHERE title LIKE 'sigterm%'"
        )
    }
    assert sorted(rows) == ["sigterm A", "sigterm B2", "sigterm C", "sigterm D"]
    assert rows["sigterm A"]["priority"] == "high" and rows["sigterm A"]["version"] == 2
    assert rows["sigterm C"]["id"] == responses[2].json()["id"]
    assert rows["sigterm D"]["id"] == responses[3].json()["id"]
    claims = await su.fetch("SELECT key, status_code, completed_at FROM idempotency_keys")
    assert sorted((c["key"], c["status_code"]) for c in claims) == sorted((k, 201) for k in keys)
    assert all(c["completed_at"] is not None for c in claims)
    assert await su.fetchval("SELECT count(*) FROM outbox WHERE recipient = 'sigterm-agent'") == 1

    records = api.records()
    messages = [r["message"] for r in records]
    assert not [r for r in records if r["level"] in ("error", "critical", "raw")], api.output()
    assert "Application shutdown complete." in messages  # lifespan ran: worker stopped, pools disposed
    assert "outbox worker stopped" in messages
    writes = sorted(r["status"] for r in records if r["message"] == "request" and r["method"] != "GET")
    assert writes == [200, 200, 201, 201, 201, 201]
    # The pools closed their connections with a Terminate message before the process exited.
    pg_log = own_pg.log.read_bytes()[log_offset:].decode(errors="replace")
    for symptom in (
        "unexpected EOF on client connection",
        "terminating connection",
        "could not receive data",
    ):
        assert symptom not in pg_log

    async def app_gone() -> bool:
        left = await su.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'reference-api'"
        )
        return bool(left == 0)

    await _bounded(app_gone, 5, "the app's backends are gone")
    await su.close()


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    """moto's server in a thread: the API process reaches Secrets Manager over HTTP, as in AWS."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


async def test_password_rotation_rereads_the_secret_without_a_failed_request(
    own_pg: Any, settings_factory: Callable[..., Settings], moto_endpoint: str
) -> None:
    import boto3

    role, database = "refapi_rotating", "refapi_rotation"
    socket_dir, port = _socket(own_pg)
    su = await _superuser(own_pg)
    await su.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    await su.execute(f"DROP ROLE IF EXISTS {role}")
    await su.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'first-password'")
    await su.execute(f"CREATE DATABASE {database} OWNER {role}")
    # pgserver trusts local connections; this role must prove its password (what RDS does for all).
    hba = Path(await su.fetchval("SHOW hba_file"))
    rule = f"local {database} {role} scram-sha-256\n"
    if rule not in hba.read_text():
        hba.write_text(rule + hba.read_text())
    await su.execute("SELECT pg_reload_conf()")

    async def password_required() -> bool:
        try:
            conn = await asyncpg.connect(
                host=socket_dir, port=port, user=role, password="wrong", database=database
            )
        except asyncpg.InvalidPasswordError:
            return True
        await conn.close()
        return False

    await _bounded(password_required, 5, "pg_hba.conf asks the role for its password")

    secrets: Any = boto3.client(
        "secretsmanager",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    value = {  # the shape of an RDS-managed secret
        "engine": "postgres",
        "host": socket_dir,
        "port": port,
        "dbname": database,
        "username": role,
        "password": "first-password",
    }
    arn = secrets.create_secret(Name="refapi/rotation", SecretString=orjson.dumps(value).decode())["ARN"]
    url = f"postgresql://{role}:first-password@/{database}?host={socket_dir}&port={port}"
    settings = settings_factory(url)
    await migrate_with_own_handle(settings)

    env = api_env(
        settings,
        API_DB_HOST=socket_dir,
        API_DB_PORT=str(port),
        API_DB_NAME=database,
        API_DB_SECRET_ARN=arn,
        API_AWS_REGION="us-east-1",
        AWS_ENDPOINT_URL_SECRETS_MANAGER=moto_endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        API_OUTBOX_WORKER="false",  # only requests use the pools: every reconnection below is theirs
    )
    issuer = DevIssuer(settings)
    headers = {"Authorization": f"Bearer {issuer.token('rotation-admin', 'admin')}"}
    reread = "database credentials re-read after an authentication failure"
    with ApiProcess(env) as api:
        await api.wait_ready()
        async with httpx.AsyncClient(base_url=api.url, headers=headers, timeout=20) as client:
            case = (await client.post("/api/cases", json={"title": "rotation 0"})).json()["id"]

            async def round_trip(n: str) -> list[int]:
                """The write path (SQLAlchemy engine) and both hot reads (asyncpg read pool)."""
                calls = await asyncio.gather(
                    client.post("/api/cases", json={"title": f"rotation {n}"}),
                    client.get("/api/cases"),
                    client.get(f"/api/cases/{case}"),
                )
                return [r.status_code for r in calls]

            assert await round_trip("1") == [201, 200, 200]
            backends = (
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE application_name = 'reference-api' AND usename = $1"
            )

            async def terminate_app_connections() -> None:
                """What a failover, a pool recycle or RDS restarting does to open connections."""
                await su.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = 'reference-api' AND usename = $1",
                    role,
                )

                async def all_gone() -> bool:
                    return bool(await su.fetchval(backends, role) == 0)

                await _bounded(all_gone, 5, "the app's connections are terminated")

            async def rotate(password: str, reconnect_before_the_secret: bool = False) -> list[str]:
                """Secrets Manager's rotation steps; returns the ids of the requests that got a 503."""
                assert await su.fetchval(backends, role) >= 2  # both pools hold connections
                # "setSecret": the database has the new password, the secret not yet. Pooled
                # connections stay logged in, so nothing fails in this window ...
                await su.execute(f"ALTER ROLE {role} PASSWORD '{password}'")
                assert [await round_trip(f"{password} {i}") for i in range(3)] == [[201, 200, 200]] * 3
                unavailable = []
                if reconnect_before_the_secret:
                    # ... unless a connection must be opened in it: nobody knows a valid password
                    # then, so the database is unavailable for the moment: 503 with Retry-After.
                    await terminate_app_connections()
                    for response in (
                        await client.get(f"/api/cases/{case}"),
                        await client.post("/api/cases", json={"title": "rotation window"}),
                    ):
                        assert response.status_code == 503, api.output()
                        assert response.headers["content-type"] == "application/problem+json"
                        assert response.headers["retry-after"] == "2"
                        unavailable.append(response.headers["x-request-id"])
                # "finishSecret": the secret's current value is the new password, and the open
                # connections go away.
                secrets.put_secret_value(
                    SecretId=arn, SecretString=orjson.dumps({**value, "password": password}).decode()
                )
                await terminate_app_connections()
                return unavailable

            # First rotation: the first request after it is a hot read, so the asyncpg read pool meets
            # the rejected password and re-reads the secret.
            await rotate("second-password")
            assert reread not in api.output()
            assert (await client.get(f"/api/cases/{case}")).status_code == 200
            assert (await client.get("/api/cases")).status_code == 200
            assert [await round_trip(f"3.{i}") for i in range(3)] == [[201, 200, 200]] * 3

            # Second rotation, with connections opened between the two steps; after the secret is
            # updated a write comes first (the SQLAlchemy engine's pool).
            window = await rotate("third-password", reconnect_before_the_secret=True)
            assert (await client.post("/api/cases", json={"title": "rotation 5"})).status_code == 201
            burst = await asyncio.gather(*(round_trip(f"6.{i}") for i in range(4)))
            assert burst == [[201, 200, 200]] * 4, api.output()
            assert await su.fetchval(backends, role) >= 2  # logged in again with the new password

    records = api.records()
    assert not [r for r in records if r["level"] in ("error", "critical", "raw")], api.output()
    requests = {r["request_id"]: r for r in records if r["message"] == "request"}
    assert all(r["status"] < 400 for r in requests.values() if r["request_id"] not in window)
    # The secret is re-read by the request that met the rejected password first: once per rotation,
    # and by each request that needed a new connection before the secret was updated.
    rereads = [requests[r["request_id"]] for r in records if r["message"] == reread]
    assert [(r["method"], r["path"]) for r in rereads] == [
        ("GET", f"/api/cases/{case}"),
        ("GET", f"/api/cases/{case}"),
        ("POST", "/api/cases"),
        ("POST", "/api/cases"),
    ], api.output()
    db_check = await asyncpg.connect(
        host=socket_dir, port=port, user=role, password="third-password", database=database
    )
    assert await db_check.fetchval("SELECT count(*) FROM cases WHERE title = 'rotation window'") == 0
    await db_check.close()
    await su.close()


async def test_failed_logins_at_once_share_one_secret_read(
    settings_factory: Callable[..., Settings],
) -> None:
    """Between ALTER ROLE and the secret update every new connection fails: a burst of failures
    reads the secret once, not once each; a later failure reads it again (it may have changed)."""
    from reference_api import db as dbmod

    loads = 0
    stale = dbmod.Credentials("h", 5432, "d", "u", "old")

    class Counting(dbmod.CredentialSource):
        async def _load(self) -> dbmod.Credentials:
            nonlocal loads
            loads += 1
            await asyncio.sleep(0.01)  # a Secrets Manager round trip: the others queue meanwhile
            return stale  # the secret still holds the old password

    source = Counting(settings_factory("postgresql://u:old@h/d"))
    assert await source.get() == stale and loads == 1
    await asyncio.gather(*(source.refresh(stale) for _ in range(50)))
    assert loads == 2
    await source.refresh(stale)
    assert loads == 3


async def test_reads_survive_connections_terminated_under_the_pool(
    own_pg: Any, settings_factory: Callable[..., Settings]
) -> None:
    """An RDS failover or a pg_terminate_backend kills pooled connections while they sit idle. Which error
    asyncpg then raises is a race (ConnectionDoesNotExistError, or InternalClientError when the server's
    "terminating connection" arrived while idle: seen as a 500 before CONNECTION_LOST named it); every
    read must still succeed, on a fresh connection."""
    url = await create_database(own_pg.get_uri(), "refapi_terminate")
    db = Database(settings_factory(url, db_pool_size=3, db_max_overflow=0))
    su = await _superuser(own_pg)
    try:
        async with _admin_client(db, "term-admin") as (client, h):
            created = await client.post("/api/cases", headers=h, json={"title": "survives"})
            case = created.json()["id"]
            statuses = []
            for i in range(30):
                await asyncio.gather(*(client.get(f"/api/cases/{case}", headers=h) for _ in range(3)))
                killed = await su.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = 'reference-api' AND datname = 'refapi_terminate'"
                )
                assert killed >= 1
                if i % 2:  # let the termination reach the idle connections' sockets first, or not
                    await asyncio.sleep(0)
                responses = await asyncio.gather(
                    client.get(f"/api/cases/{case}", headers=h), client.get("/api/cases", headers=h)
                )
                statuses += [r.status_code for r in responses]
            assert statuses == [200] * 60
    finally:
        await su.close()
        await db.dispose()
