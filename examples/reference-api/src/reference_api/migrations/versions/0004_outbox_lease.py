"""Outbox rows are claimed with a lease (who holds them, until when) instead of a transaction's row lock."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reference_api.migrations.columns import TIMESTAMP

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.add_column("outbox", sa.Column("lease_id", sa.UUID(), nullable=True))
    op.add_column("outbox", sa.Column("leased_until", TIMESTAMP, nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "leased_until")
    op.drop_column("outbox", "lease_id")
