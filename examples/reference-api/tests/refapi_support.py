"""Helpers shared by the reference API's tests (a module name of its own, unlike `conftest`)."""

from __future__ import annotations

from typing import Any

from reference_api.db import Database
from reference_api.settings import Settings


def database_url(server_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def create_database(server_url: str, name: str) -> str:
    """(Re)create an empty database on the server and return its URL."""
    admin = Database(Settings(environment="test", database_url=server_url))
    from sqlalchemy import text

    async with admin.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return database_url(server_url, name)


def stop_embedded(server: Any) -> None:
    """Stop an embedded (pgserver) PostgreSQL for sure.

    pgserver's own cleanup stops the server only when its shared per-user handle list says this
    process holds the last handle, which left servers running after some runs; pg_ctl stop is final.
    """
    import contextlib
    import subprocess

    from pgserver._commands import pg_ctl

    try:
        server.cleanup()
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user, timeout=20)
