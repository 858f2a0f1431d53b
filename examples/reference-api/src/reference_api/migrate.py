"""Schema migrations (Alembic) under a PostgreSQL advisory lock.

``python -m reference_api migrate`` is the deploy-time step: the non-essential ``migrate`` container of
each API task, which the app container waits for, so new code never serves before its schema exists
and no separate job has to be run. Several tasks starting at once serialize on the lock; the ones that
come second find the schema at head and do nothing.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from .db import Database

# Any constant unique to this application: the 64-bit key of pg_advisory_lock.
MIGRATION_LOCK_KEY = 0x7265666170690001


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.attributes["connection"] = connection
    return cfg


def _run(connection: Connection, target: str, direction: str) -> None:
    cfg = alembic_config(connection)
    if direction == "up":
        command.upgrade(cfg, target)
    else:
        command.downgrade(cfg, target)


async def migrate(db: Database, target: str = "head", direction: str = "up") -> None:
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        try:
            await conn.commit()
            await conn.run_sync(_run, target, direction)
            await conn.commit()
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            await conn.commit()


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        exists = (await conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL"))).scalar()
        if not exists:
            return None
        rev = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        return str(rev) if rev is not None else None
