"""Fixtures: one real PostgreSQL per xdist worker (pgserver, or a database in DATABASE_URL's server),
migrated once; every test runs inside a transaction that is rolled back (handlers get savepoints)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from refapi_support import create_database, stop_embedded
from reference_api.app import create_app
from reference_api.db import Database, ReadStatement
from reference_api.migrate import migrate
from reference_api.settings import Settings
from sqlalchemy.ext.asyncio import AsyncConnection

HERE = Path(__file__).parent
# pgserver keeps its lock file under the user runtime dir; without XDG_RUNTIME_DIR platformdirs warns.
if not os.environ.get("XDG_RUNTIME_DIR"):
    _runtime = Path(tempfile.gettempdir()) / f"refapi-runtime-{os.getuid()}"
    _runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A PostgreSQL server: DATABASE_URL's, or an embedded one owned by this worker."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    import pgserver

    # Not under pytest's tmp dirs: those are 0700 and shared by workers, and as root pgserver runs
    # PostgreSQL as an unprivileged user that must traverse the path.
    data = Path(tempfile.mkdtemp(prefix=f"refapi-pg-{_worker()}-"))
    server = pgserver.get_server(data, cleanup_mode="stop")
    # A throwaway server: durability buys nothing here and fsync dominates commit-heavy tests.
    server.psql(
        "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off;"
        " ALTER SYSTEM SET full_page_writes = off; SELECT pg_reload_conf();"
    )
    try:
        yield server.get_uri()
    finally:
        stop_embedded(server)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def settings_factory(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Settings]:
    key = tmp_path_factory.mktemp("keys") / "dev-signing-key.pem"
    docs = tmp_path_factory.mktemp("documents")
    mail = tmp_path_factory.mktemp("mail")

    def make(url: str, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": url,
            "dev_key_path": str(key),
            "documents_dir": str(docs),
            "mail_dir": str(mail),
            "cursor_secret": "test-cursor-secret-" + "x" * 20,
            **overrides,
        }
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
async def app_db(pg_server_url: str, settings_factory: Callable[..., Settings]) -> AsyncIterator[Database]:
    """This worker's migrated database and engine."""
    url = await create_database(pg_server_url, f"refapi_{_worker()}")
    db = Database(settings_factory(url))
    await migrate(db)
    yield db
    await db.dispose()


class RollbackDatabase(Database):
    """Runs every handler's unit of work as a savepoint inside one outer transaction."""

    def __init__(self, base: Database, conn: AsyncConnection) -> None:
        self.settings = base.settings
        self.credentials = base.credentials
        self.engine = base.engine
        self.known_users = {}
        self._conn = conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self._conn.begin_nested():
            yield self._conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        yield self._conn

    async def ping(self) -> None:
        await self._conn.exec_driver_sql("SELECT 1")

    async def fetch(self, stmt: ReadStatement, params: dict[str, Any]) -> list[Any]:
        """Hot reads see the test's uncommitted rows: same SQL, on the test's own connection."""
        raw = await self._conn.get_raw_connection()
        rows: list[Any] = await raw.driver_connection.fetch(stmt.sql, *stmt.args(params))
        return rows


@pytest.fixture
async def db(app_db: Database) -> AsyncIterator[RollbackDatabase]:
    async with app_db.engine.connect() as conn:
        outer = await conn.begin()
        try:
            yield RollbackDatabase(app_db, conn)
        finally:
            await outer.rollback()


@pytest.fixture(scope="session")
def app(app_db: Database) -> Any:
    return create_app(app_db.settings, db=app_db)


@pytest.fixture
async def client(app: Any, db: RollbackDatabase) -> AsyncIterator[httpx.AsyncClient]:
    app.state.db = db
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="session")
def token(app: Any) -> Callable[..., str]:
    def make(sub: str, role: str, **kw: Any) -> str:
        issued: str = app.state.dev_issuer.token(sub, role, **kw)
        return issued

    return make


@pytest.fixture(scope="session")
def auth(token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    def headers(sub: str, role: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(sub, role)}", **extra}

    return headers


@pytest.fixture
async def case_id(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> str:
    """A case opened by max (manager), assigned to alice (agent) and requested by carla (client), all three
    signed in once before (a user exists from their first request)."""
    for sub, role in (("max", "manager"), ("alice", "agent"), ("carla", "client")):
        await client.get("/api/me", headers=auth(sub, role))
    r = await client.post(
        "/api/cases",
        json={"title": "assigned work", "assignee_id": "alice", "requester_id": "carla"},
        headers=auth("max", "manager"),
    )
    assert r.status_code == 201, r.text
    cid: str = r.json()["id"]
    return cid


def unique(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
async def live(pg_server_url: str, settings_factory: Callable[..., Settings]) -> AsyncIterator[Any]:
    """An app on a database of its own with real commits (each request its own transaction)."""
    url = await create_database(pg_server_url, f"refapi_race_{_worker()}")
    db = Database(settings_factory(url, db_pool_size=4))
    await migrate(db)
    app = create_app(db.settings, db=db)
    yield app
    await db.dispose()


@pytest.fixture
async def live_client(live: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=live, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
