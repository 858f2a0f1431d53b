"""Tables (SQLAlchemy Core). Alembic migrations must match this metadata exactly (tested: no drift)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID

from .roles import ROLES

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _now() -> Column[object]:
    return Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )


def _uuid_id() -> Column[object]:
    """A UUID primary key the database draws."""
    return Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def _case_id(*, ondelete: str) -> Column[object]:
    """The case a row belongs to; ``ondelete`` says what deleting the case does to the row."""
    return Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id", ondelete=ondelete), nullable=False)


# People known to the service: upserted from verified tokens, used for assignment checks and as the
# recipients of notifications (their addresses come from the user pool, never from here).
users = Table(
    "users",
    metadata,
    Column("id", Text, primary_key=True),
    Column("display_name", Text),
    Column("role", Text, nullable=False),
    _now(),
    CheckConstraint(f"role IN ({', '.join(repr(role) for role in ROLES)})", name="role"),
)

cases = Table(
    "cases",
    metadata,
    _uuid_id(),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("status", Text, nullable=False, server_default="new"),
    Column("priority", Text, nullable=False, server_default="normal"),
    Column("due_date", Date),
    Column("assignee_id", Text),
    Column("team", Text),
    Column("requester_id", Text),
    Column("created_by", Text, nullable=False),
    Column("tags", ARRAY(Text), nullable=False, server_default="{}"),
    Column("version", Integer, nullable=False, server_default="1"),
    _now(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()),
    Column("deleted_at", DateTime(timezone=True)),
    Column(
        "search",
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('english'::regconfig, title), 'A') || "
            "setweight(to_tsvector('english'::regconfig, description), 'B')",
            persisted=True,
        ),
        nullable=False,
    ),
    CheckConstraint("status IN ('new', 'open', 'pending', 'resolved', 'closed')", name="status"),
    CheckConstraint("priority IN ('low', 'normal', 'high', 'urgent')", name="priority"),
    CheckConstraint("char_length(title) BETWEEN 1 AND 200", name="title_length"),
    Index("ix_cases_search", "search", postgresql_using="gin"),
    Index("ix_cases_tags", "tags", postgresql_using="gin"),
    Index("ix_cases_created_at_id", "created_at", "id"),
    Index("ix_cases_updated_at_id", "updated_at", "id"),
    Index("ix_cases_assignee_id", "assignee_id"),
    Index("ix_cases_requester_id", "requester_id"),
)

case_members = Table(
    "case_members",
    metadata,
    _case_id(ondelete="CASCADE"),
    Column("user_id", Text, nullable=False),
    Column("added_by", Text, nullable=False),
    _now(),
    PrimaryKeyConstraint("case_id", "user_id"),
    Index("ix_case_members_user_id", "user_id"),
)

comments = Table(
    "comments",
    metadata,
    _uuid_id(),
    _case_id(ondelete="CASCADE"),
    Column("author_id", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("internal", Boolean, nullable=False, server_default="false"),
    _now(),
    Index("ix_comments_case_id_created_at", "case_id", "created_at"),
)

# Append-only: a trigger (migration 0001) rejects UPDATE and DELETE.
case_history = Table(
    "case_history",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    _case_id(ondelete="RESTRICT"),
    Column("actor_id", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("before", JSONB),
    Column("after", JSONB),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()),
    Index("ix_case_history_case_id_id", "case_id", "id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("owner_id", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("request_hash", LargeBinary, nullable=False),
    Column("status_code", Integer),
    Column("response_body", LargeBinary),
    Column("response_headers", JSONB),
    _now(),
    Column("completed_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("owner_id", "key"),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

# Transactional outbox: written in the same transaction as the change it announces.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column(
        "event_id", UUID(as_uuid=True), nullable=False, unique=True, server_default=text("gen_random_uuid()")
    ),
    Column("kind", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()),
    Column("sent_at", DateTime(timezone=True)),
    Column("dead_at", DateTime(timezone=True)),
    Column("last_error", Text),
    _now(),
    # The worker's claim: which batch holds the row (a fresh id per claim) and until when; see worker.py.
    Column("lease_id", UUID(as_uuid=True)),
    Column("leased_until", DateTime(timezone=True)),
    Index(
        "ix_outbox_pending",
        "next_attempt_at",
        postgresql_where=text("sent_at IS NULL AND dead_at IS NULL"),
    ),
)

# Time entries: duration_s is NULL exactly while a timer runs; at most one running timer per user
# (partial unique index); a trigger (migration 0002) refuses to change or delete an approved entry.
time_entries = Table(
    "time_entries",
    metadata,
    _uuid_id(),
    _case_id(ondelete="RESTRICT"),
    Column("user_id", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()),
    Column("duration_s", Integer),
    Column("billable", Boolean, nullable=False, server_default="true"),
    Column("note", Text, nullable=False, server_default=""),
    Column("status", Text, nullable=False, server_default="draft"),
    Column("approved_by", Text),
    Column("version", Integer, nullable=False, server_default="1"),
    _now(),
    CheckConstraint("status IN ('draft', 'submitted', 'approved')", name="status"),
    CheckConstraint("duration_s IS NULL OR duration_s BETWEEN 0 AND 86400", name="duration"),
    CheckConstraint("duration_s IS NOT NULL OR status = 'draft'", name="running_is_draft"),
    Index("ix_time_entries_case_id", "case_id"),
    Index("ix_time_entries_user_id_started_at", "user_id", "started_at"),
    Index(
        "uq_time_entries_running_timer",
        "user_id",
        unique=True,
        postgresql_where=text("duration_s IS NULL"),
    ),
)

# Documents: a row is created pending with the declared size and type; the client uploads straight to
# storage (presigned URL) and confirms; confirmation checks the stored object against the declaration.
documents = Table(
    "documents",
    metadata,
    _uuid_id(),
    _case_id(ondelete="RESTRICT"),
    Column("uploaded_by", Text, nullable=False),
    Column("filename", Text, nullable=False),
    Column("content_type", Text, nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("storage_key", Text, nullable=False, unique=True),
    _now(),
    Column("confirmed_at", DateTime(timezone=True)),
    # The version of the object that was checked at confirm and is served on download.
    Column("version_id", Text),
    CheckConstraint("status IN ('pending', 'available')", name="status"),
    CheckConstraint("size_bytes > 0", name="size"),
    Index("ix_documents_case_id_created_at", "case_id", "created_at"),
)
