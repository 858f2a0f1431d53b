"""Helpers shared by the reference API's tests (a module name of its own, unlike `conftest`)."""

from __future__ import annotations

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
