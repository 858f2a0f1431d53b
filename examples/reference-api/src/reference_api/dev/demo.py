"""Demo data for ``make api`` and the browser tests: six users (every role) and four cases.

The users are also the development sign-in's one-click choices (:mod:`reference_api.dev.signin`).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from ..db import Database
from ..roles import Role
from ..schema import case_history, case_members, cases, comments, users

DEMO_USERS = [
    ("admin-ada", Role.admin.value),
    ("manager-max", Role.manager.value),
    ("agent-alice", Role.agent.value),
    ("agent-arno", Role.agent.value),
    ("client-carla", Role.client.value),
    ("client-cole", Role.client.value),
]

DEMO_CASES = [
    (
        "Invoice 2041 charged twice",
        "The card was charged twice for invoice 2041.",
        "high",
        "agent-alice",
        "client-carla",
        ["billing"],
    ),
    (
        "Cannot upload signed contract",
        "Upload stops at 99 percent with a timeout.",
        "normal",
        "agent-arno",
        "client-cole",
        ["documents"],
    ),
    (
        "Change of address",
        "Please update the postal address on the account.",
        "low",
        None,
        "client-carla",
        [],
    ),
    (
        "Data export request",
        "A full export of my case history for our auditors.",
        "normal",
        "agent-alice",
        "client-cole",
        ["privacy", "export"],
    ),
]


async def load_demo_data(db: Database) -> int:
    async with db.transaction() as conn:
        for sub, role in DEMO_USERS:
            await conn.execute(
                insert(users).values(id=sub, role=role, display_name=sub).on_conflict_do_nothing()
            )
        existing = (await conn.execute(select(func.count()).select_from(cases))).scalar_one()
        if existing:
            return int(existing)
        for title, description, priority, assignee, requester, tags in DEMO_CASES:
            case_id = (
                await conn.execute(
                    cases.insert()
                    .values(
                        title=title,
                        description=description,
                        priority=priority,
                        assignee_id=assignee,
                        requester_id=requester,
                        created_by="manager-max",
                        tags=tags,
                        status="open" if assignee else "new",
                    )
                    .returning(cases.c.id)
                )
            ).scalar_one()
            await conn.execute(
                case_history.insert().values(
                    case_id=case_id, actor_id="manager-max", action="created", after={"title": title}
                )
            )
            await conn.execute(
                comments.insert().values(
                    case_id=case_id, author_id=requester, body="Thanks for looking into this."
                )
            )
            if assignee:
                await conn.execute(
                    comments.insert().values(
                        case_id=case_id,
                        author_id=assignee,
                        body="Checked the logs; see ticket notes.",
                        internal=True,
                    )
                )
        first = (await conn.execute(select(cases.c.id).order_by(cases.c.created_at).limit(1))).scalar_one()
        await conn.execute(
            case_members.insert().values(case_id=first, user_id="agent-arno", added_by="manager-max")
        )
        return len(DEMO_CASES)
