"""Database access: one async engine, credentials that follow secret rotation, a transaction helper
and helpers that take a statement's rows as mappings (``one_row``, ``first_row``, ``all_rows``).

Handlers never share a connection: each unit of work runs in ``async with db.transaction() as conn``.
The pool is sized from settings; every connection carries ``statement_timeout`` and an application
name. Credentials come from ``DATABASE_URL`` or from a Secrets Manager secret, never from a password
in the environment (it would go stale at the first rotation); when PostgreSQL rejects the password
the secret is read again and the connection retried once, so a rotation never needs a redeploy.
``pool_pre_ping`` drops connections that died with a database restart, so the service recovers by
itself.

Hot reads (get case, list cases) skip SQLAlchemy's execution layer and run on a small asyncpg pool of
their own (``fetch``): one round trip per read, where a pooled SQLAlchemy connection costs four
(pre-ping, BEGIN, the query, ROLLBACK on return) plus statement cache-key generation, about 2 ms of
CPU per read on the 2-core test machine against well under 1 ms of SQL. The statements are still
written with SQLAlchemy Core and compiled once (``ReadStatement``), so the one access rule stays the
one SQL predicate. A read is a single autocommit statement and is retried once on a dropped
connection, which replaces the pre-ping after a database restart; connections come from the same
``_connect`` (credentials re-read on a password error, ``statement_timeout``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import RowMapping, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import ClauseElement, Executable

from .settings import Settings

log = logging.getLogger("reference_api.db")


@dataclass(frozen=True)
class Credentials:
    host: str
    port: int
    database: str
    user: str
    password: str | None


class CredentialSource:
    """Where the database credentials come from; ``refresh`` re-reads them after an auth failure."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._current: Credentials | None = None
        self._loaded_at = -1e9
        self._lock = asyncio.Lock()

    async def get(self) -> Credentials:
        if self._current is None:
            async with self._lock:
                if self._current is None:
                    self._current = await self._load()
                    self._loaded_at = time.monotonic()
        return self._current

    async def refresh(self, stale: Credentials) -> Credentials:
        """Re-read after an auth failure; failures that wait together share one read.

        Between Secrets Manager's ``setSecret`` (the role has the new password) and ``finishSecret``
        (the secret's AWSCURRENT has it) every new connection fails; a burst of them must not read
        the secret once each, but a failure after the secret changed must always read it again.
        """
        failed_at = time.monotonic()
        async with self._lock:
            if self._current is None or (self._current == stale and self._loaded_at < failed_at):
                self._current = await self._load()
                self._loaded_at = time.monotonic()
                log.warning("database credentials re-read after an authentication failure")
        return self._current

    async def _load(self) -> Credentials:
        s = self._settings
        if s.database_url is not None:
            url = make_url(s.database_url.get_secret_value())
            socket_dir = url.query.get("host")  # e.g. pgserver's unix socket directory
            if isinstance(socket_dir, tuple):
                socket_dir = socket_dir[0]
            return Credentials(
                host=url.host or socket_dir or "127.0.0.1",
                port=url.port or 5432,
                database=url.database or "postgres",
                user=url.username or "postgres",
                password=url.password,
            )
        if not (s.db_host and s.db_secret_arn):
            raise RuntimeError("no database configured: set DATABASE_URL or API_DB_HOST + API_DB_SECRET_ARN")
        secret = await asyncio.to_thread(_read_secret, s.db_secret_arn, s.aws_region)
        # Where to connect comes from the configuration, which names an RDS Proxy when there is one; an
        # RDS-managed secret's host and port are the database's own, which only the proxy may reach.
        return Credentials(
            host=s.db_host,
            port=s.db_port,
            database=s.db_name,
            user=str(secret["username"]),
            password=str(secret["password"]),
        )


def _read_secret(arn: str, region: str) -> dict[str, Any]:
    import boto3  # imported lazily: local development never needs it
    from botocore.config import Config

    client = boto3.client(
        "secretsmanager", region_name=region, config=Config(retries={"mode": "standard", "max_attempts": 5})
    )
    value = client.get_secret_value(SecretId=arn)["SecretString"]
    data = orjson.loads(value)
    if not isinstance(data, dict):
        raise RuntimeError("database secret is not a JSON object")
    return data


class ReadStatement:
    """A Core statement with named ``bindparam``s compiled once to asyncpg's ``$n`` SQL."""

    _dialect = asyncpg_dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves dialect constructors untyped

    def __init__(self, stmt: ClauseElement) -> None:
        compiled = stmt.compile(dialect=self._dialect)
        self.sql = compiled.string
        self.names: tuple[str, ...] = tuple(getattr(compiled, "positiontup", None) or ())

    def args(self, params: dict[str, Any]) -> list[Any]:
        return [params[name] for name in self.names]


# The connection died under the statement (database restart or failover, pg_terminate_backend, network):
# nothing ran to completion, so a read may be retried on a fresh connection, and a request that still
# fails is a 503, not a 500 (problems.py). asyncpg raises InternalClientError ("cannot switch to state
# 12; another operation is in progress") when the server's "terminating connection" message arrived
# while the connection sat idle in the pool; which error a dead connection gives is a race.
CONNECTION_LOST: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.AdminShutdownError,  # 57P01
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.CannotConnectNowError,  # 57P03
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    ConnectionError,
)


class _Connection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg ships no type information
    """A connection whose ``close`` does not raise when the server already closed it.

    After a failover or ``pg_terminate_backend`` the pools drop their dead connections (the read pool
    expires them, which makes asyncpg close each one in a task of its own); closing politely writes a
    Terminate message to a socket the server already closed, and the BrokenPipeError ended in
    "Task exception was never retrieved" errors. There is nothing left to close: abort the transport.
    """

    async def close(self, *, timeout: float | None = None) -> None:
        try:
            await super().close(timeout=timeout)
        except (ConnectionError, TimeoutError):
            self.terminate()


class Database:
    """The process-wide engine plus the transaction helper handlers use."""

    def __init__(self, settings: Settings, credentials: CredentialSource | None = None) -> None:
        self.settings = settings
        self.credentials = credentials or CredentialSource(settings)
        self.known_users: dict[str, tuple[str | None, str]] = {}
        self.engine: AsyncEngine = create_async_engine(
            "postgresql+asyncpg://",
            async_creator=self._connect,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_s,
            pool_pre_ping=True,
            pool_recycle=1800,
            hide_parameters=True,  # bound values are users' text: never in an error message or a log
            json_serializer=lambda value: orjson.dumps(value).decode(),
            json_deserializer=orjson.loads,
        )
        self._read_pool: asyncpg.Pool | None = None
        self._read_pool_lock = asyncio.Lock()

    async def _reads(self) -> asyncpg.Pool:
        if self._read_pool is None:
            async with self._read_pool_lock:
                if self._read_pool is None:
                    s = self.settings

                    async def connect(*_: Any, **__: Any) -> asyncpg.Connection:
                        return await self._connect()

                    async def keep(_: asyncpg.Connection) -> None:
                        """Single autocommit reads leave no session state: nothing to reset."""

                    self._read_pool = await asyncpg.create_pool(
                        connect=connect,
                        reset=keep,
                        min_size=0,
                        max_size=s.db_pool_size,
                        max_inactive_connection_lifetime=300,
                    )
        return self._read_pool

    async def fetch(self, stmt: ReadStatement, params: dict[str, Any]) -> list[asyncpg.Record]:
        """Run one read statement on the read pool; retried once if the connection was dropped."""
        args = stmt.args(params)
        pool = self._read_pool or await self._reads()
        try:
            async with pool.acquire(timeout=self.settings.db_pool_timeout_s) as conn:
                rows: list[asyncpg.Record] = await conn.fetch(stmt.sql, *args)
                return rows
        except CONNECTION_LOST as exc:
            log.warning("read retried after a dropped connection: %s", type(exc).__name__)
            await pool.expire_connections()  # the others died with it: reconnect them on next use
            async with pool.acquire(timeout=self.settings.db_pool_timeout_s) as conn:
                rows = await conn.fetch(stmt.sql, *args)
                return rows

    async def _connect(self) -> asyncpg.Connection:
        creds = await self.credentials.get()
        try:
            return await self._open(creds)
        except asyncpg.InvalidPasswordError:
            fresh = await self.credentials.refresh(creds)
            return await self._open(fresh)

    async def _open(self, creds: Credentials) -> asyncpg.Connection:
        s = self.settings
        return await asyncpg.connect(
            host=creds.host,
            port=creds.port,
            user=creds.user,
            password=creds.password,
            database=creds.database,
            timeout=s.db_connect_timeout_s,
            connection_class=_Connection,
            server_settings={
                "statement_timeout": str(s.db_statement_timeout_ms),
                "idle_in_transaction_session_timeout": str(max(s.db_statement_timeout_ms * 4, 10000)),
                "application_name": "reference-api",
            },
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One committed unit of work; rolled back when the block raises."""
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (autocommit-free, no explicit transaction block)."""
        async with self.engine.connect() as conn:
            yield conn

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if self._read_pool is not None:
            try:
                await asyncio.wait_for(self._read_pool.close(), timeout=10)
            except TimeoutError:
                self._read_pool.terminate()
            self._read_pool = None
        await self.engine.dispose()


async def one_row(conn: AsyncConnection, stmt: Executable) -> RowMapping:
    """The single row ``stmt`` returns (an error when it returns none or several)."""
    return (await conn.execute(stmt)).mappings().one()


async def first_row(conn: AsyncConnection, stmt: Executable) -> RowMapping | None:
    """The first row ``stmt`` returns, or None."""
    return (await conn.execute(stmt)).mappings().first()


async def all_rows(conn: AsyncConnection, stmt: Executable) -> Sequence[RowMapping]:
    """Every row ``stmt`` returns."""
    return (await conn.execute(stmt)).mappings().all()
