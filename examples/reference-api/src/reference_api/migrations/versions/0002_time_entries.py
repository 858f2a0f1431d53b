"""Time entries: one running timer per user (partial unique index), approved entries locked (trigger)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reference_api.migrations.columns import case_foreign_key, clock_timestamp, random_uuid

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "time_entries",
        random_uuid("id"),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        clock_timestamp("started_at"),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("billable", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.Text(), server_default="draft", nullable=False),
        sa.Column("approved_by", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        clock_timestamp("created_at"),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved')", name=op.f("ck_time_entries_status")
        ),
        sa.CheckConstraint(
            "duration_s IS NULL OR duration_s BETWEEN 0 AND 86400", name=op.f("ck_time_entries_duration")
        ),
        sa.CheckConstraint(
            "duration_s IS NOT NULL OR status = 'draft'", name=op.f("ck_time_entries_running_is_draft")
        ),
        case_foreign_key("time_entries", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entries")),
    )
    op.create_index("ix_time_entries_case_id", "time_entries", ["case_id"])
    op.create_index("ix_time_entries_user_id_started_at", "time_entries", ["user_id", "started_at"])
    op.create_index(
        "uq_time_entries_running_timer",
        "time_entries",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("duration_s IS NULL"),
    )
    op.execute(
        """
        CREATE FUNCTION time_entries_locked() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF OLD.status = 'approved' THEN
            RAISE EXCEPTION 'time entry % is approved and locked', OLD.id USING ERRCODE = 'check_violation';
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END $$;
        """
    )
    op.execute(
        "CREATE TRIGGER time_entries_locked BEFORE UPDATE OR DELETE ON time_entries "
        "FOR EACH ROW EXECUTE FUNCTION time_entries_locked()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER time_entries_locked ON time_entries")
    op.execute("DROP FUNCTION time_entries_locked()")
    op.drop_table("time_entries")
