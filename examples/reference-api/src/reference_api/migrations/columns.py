"""Column and constraint helpers for the migration scripts in ``versions/``.

FROZEN. A migration is history: the schema it creates must be the same on every database it ever runs on,
so nothing here may change what it returns once a migration uses it. A migration that needs something else
spells it out or adds a new helper; no helper is edited.

(This module sits outside ``versions/`` because Alembic loads every file there as a revision.)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)
"""Every point in time is a ``timestamp with time zone``."""


def random_uuid(name: str) -> sa.Column[Any]:
    """A required UUID column that the database fills with ``gen_random_uuid()``."""
    return sa.Column(name, sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False)


def clock_timestamp(name: str) -> sa.Column[Any]:
    """A required timestamp column that the database fills with ``clock_timestamp()``: the moment of the
    insert itself, where ``now()`` would give every row of a transaction its start time."""
    return sa.Column(name, TIMESTAMP, server_default=sa.text("clock_timestamp()"), nullable=False)


def case_foreign_key(table: str, *, ondelete: str) -> sa.ForeignKeyConstraint:
    """``table.case_id`` references ``cases.id``, named ``fk_<table>_case_id_cases``."""
    return sa.ForeignKeyConstraint(
        ["case_id"], ["cases.id"], name=op.f(f"fk_{table}_case_id_cases"), ondelete=ondelete
    )
