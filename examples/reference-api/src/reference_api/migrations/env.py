"""Alembic environment: runs on the caller's connection (see reference_api.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from reference_api.schema import metadata

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `python -m reference_api migrate`")
context.configure(connection=connection, target_metadata=metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
