"""Outbox rows are claimed with a lease (who holds them, until when) instead of a transaction's row lock.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("lease_id", sa.UUID(), nullable=True))
    op.add_column("outbox", sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "leased_until")
    op.drop_column("outbox", "lease_id")
