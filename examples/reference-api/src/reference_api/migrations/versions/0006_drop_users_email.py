"""Users lose the e-mail column: it was never written, and notifications read addresses from the user pool."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.drop_column("users", "email")


def downgrade() -> None:
    # Comes back empty, as it always was: nothing ever wrote it.
    op.add_column("users", sa.Column("email", sa.Text(), nullable=True))
