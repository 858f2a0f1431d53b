"""Documents uploaded in two phases (pending, then available after a size/type check)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reference_api.migrations.columns import TIMESTAMP, case_foreign_key, clock_timestamp, random_uuid

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "documents",
        random_uuid("id"),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        clock_timestamp("created_at"),
        sa.Column("confirmed_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint("status IN ('pending', 'available')", name=op.f("ck_documents_status")),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_documents_size")),
        case_foreign_key("documents", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_documents_storage_key")),
    )
    op.create_index("ix_documents_case_id_created_at", "documents", ["case_id", "created_at"])


def downgrade() -> None:
    op.drop_table("documents")
