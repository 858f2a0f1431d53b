"""The roles are defined once (reference_api.roles); the copies that cannot import it are held to it here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from reference_api.roles import ROLES, STAFF
from sqlalchemy import text

WEB = Path(__file__).resolve().parents[1] / "web"

pytestmark = pytest.mark.anyio


async def test_the_database_accepts_exactly_the_roles(db: Any) -> None:
    """The migration wrote its CHECK constraint out by hand, as migrations must: it still lists the roles."""
    async with db.read() as conn:
        definition = (
            await conn.execute(
                text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ck_users_role'")
            )
        ).scalar_one()
    assert re.findall(r"'(\w+)'::text", definition) == list(ROLES)


def test_the_web_front_end_knows_the_one_role_that_is_not_staff() -> None:
    """web/app.js shows the staff controls to every role but one; that one is the only non-staff role."""
    script = (WEB / "app.js").read_text()
    (rule,) = re.findall(r"const isStaff = \(\) => Boolean\(me\) && me\.role !== \"(\w+)\";", script)
    assert {rule} == set(ROLES) - STAFF
