"""Documents record the storage version checked at confirm, which downloads serve."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.add_column("documents", sa.Column("version_id", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("documents", "version_id")
