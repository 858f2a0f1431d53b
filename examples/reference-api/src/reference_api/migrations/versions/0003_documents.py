"""Documents uploaded in two phases (pending, then available after a size/type check).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, server_default=sa.text("clock_timestamp()"), nullable=False),
        sa.Column("confirmed_at", _TS, nullable=True),
        sa.CheckConstraint("status IN ('pending', 'available')", name=op.f("ck_documents_status")),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_documents_size")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_documents_case_id_cases"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_documents_storage_key")),
    )
    op.create_index("ix_documents_case_id_created_at", "documents", ["case_id", "created_at"])


def downgrade() -> None:
    op.drop_table("documents")
