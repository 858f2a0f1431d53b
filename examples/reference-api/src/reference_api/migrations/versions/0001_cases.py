"""Users, cases, members, comments, append-only history, idempotency keys, outbox."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from reference_api.migrations.columns import TIMESTAMP, case_foreign_key, clock_timestamp, random_uuid

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), nullable=False),
        clock_timestamp("created_at"),
        sa.CheckConstraint("role IN ('admin', 'manager', 'agent', 'client')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_table(
        "cases",
        random_uuid("id"),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.Text(), server_default="new", nullable=False),
        sa.Column("priority", sa.Text(), server_default="normal", nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("assignee_id", sa.Text(), nullable=True),
        sa.Column("team", sa.Text(), nullable=True),
        sa.Column("requester_id", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        clock_timestamp("created_at"),
        clock_timestamp("updated_at"),
        sa.Column("deleted_at", TIMESTAMP, nullable=True),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('english'::regconfig, title), 'A') || "
                "setweight(to_tsvector('english'::regconfig, description), 'B')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('new', 'open', 'pending', 'resolved', 'closed')", name=op.f("ck_cases_status")
        ),
        sa.CheckConstraint("priority IN ('low', 'normal', 'high', 'urgent')", name=op.f("ck_cases_priority")),
        sa.CheckConstraint("char_length(title) BETWEEN 1 AND 200", name=op.f("ck_cases_title_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    op.create_index("ix_cases_search", "cases", ["search"], postgresql_using="gin")
    op.create_index("ix_cases_tags", "cases", ["tags"], postgresql_using="gin")
    op.create_index("ix_cases_created_at_id", "cases", ["created_at", "id"])
    op.create_index("ix_cases_updated_at_id", "cases", ["updated_at", "id"])
    op.create_index("ix_cases_assignee_id", "cases", ["assignee_id"])
    op.create_index("ix_cases_requester_id", "cases", ["requester_id"])

    op.create_table(
        "case_members",
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=False),
        clock_timestamp("created_at"),
        case_foreign_key("case_members", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_members")),
    )
    op.create_index("ix_case_members_user_id", "case_members", ["user_id"])

    op.create_table(
        "comments",
        random_uuid("id"),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("internal", sa.Boolean(), server_default="false", nullable=False),
        clock_timestamp("created_at"),
        case_foreign_key("comments", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index("ix_comments_case_id_created_at", "comments", ["case_id", "created_at"])

    op.create_table(
        "case_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("before", postgresql.JSONB(), nullable=True),
        sa.Column("after", postgresql.JSONB(), nullable=True),
        clock_timestamp("at"),
        case_foreign_key("case_history", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_history")),
    )
    op.create_index("ix_case_history_case_id_id", "case_history", ["case_id", "id"])
    # History is append-only: the database itself refuses to change or remove a row.
    op.execute(
        """
        CREATE FUNCTION case_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'case_history is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$;
        """
    )
    op.execute(
        "CREATE TRIGGER case_history_append_only BEFORE UPDATE OR DELETE ON case_history "
        "FOR EACH ROW EXECUTE FUNCTION case_history_append_only()"
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.LargeBinary(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("response_headers", postgresql.JSONB(), nullable=True),
        clock_timestamp("created_at"),
        sa.Column("completed_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("owner_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        random_uuid("event_id"),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        clock_timestamp("next_attempt_at"),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("dead_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        clock_timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["next_attempt_at"],
        postgresql_where=sa.text("sent_at IS NULL AND dead_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("idempotency_keys")
    op.execute("DROP TRIGGER case_history_append_only ON case_history")
    op.execute("DROP FUNCTION case_history_append_only()")
    op.drop_table("case_history")
    op.drop_table("comments")
    op.drop_table("case_members")
    op.drop_table("cases")
    op.drop_table("users")
