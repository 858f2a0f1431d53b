"""``make api``: embedded PostgreSQL (when no DATABASE_URL), migrations, demo data, dev tokens, serve."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from .auth import DevIssuer
from .db import Database
from .dev_web import web_dir
from .migrate import migrate
from .roles import Role
from .schema import case_history, case_members, cases, comments, users
from .settings import Settings, get_settings

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


def start_embedded_postgres(data_dir: Path) -> str:
    import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode=None)  # type: ignore[attr-defined]  # keeps running between `make api` runs
    uri: str = server.get_uri()
    return uri


async def load_demo_data(db: Database) -> int:
    async with db.transaction() as conn:
        for sub, role in DEMO_USERS:
            await conn.execute(
                insert(users)
                .values(id=sub, role=role, email=f"{sub}@example.com", display_name=sub)
                .on_conflict_do_nothing()
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


def run_demo() -> int:
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = start_embedded_postgres(Path(".reference-api/pgdata").resolve())
        print("embedded PostgreSQL (pgserver) in .reference-api/pgdata", file=sys.stderr)
    get_settings.cache_clear()
    settings: Settings = get_settings()
    if not settings.is_development:
        print("make api is for development only", file=sys.stderr)
        return 2

    async def prepare() -> int:
        db = Database(settings)
        try:
            await migrate(db)
            return await load_demo_data(db)
        finally:
            await db.dispose()

    count = asyncio.run(prepare())
    issuer = DevIssuer(settings)
    print(f"\n{count} demo cases. Development tokens (valid 12 h):", file=sys.stderr)
    for sub, role in DEMO_USERS:
        token = issuer.token(sub, role, email=f"{sub}@example.com", ttl_s=12 * 3600)
        print(f"  {role:8s} {sub:14s} {token}", file=sys.stderr)
    print("\ncurl -H 'Authorization: Bearer <token>' http://127.0.0.1:8000/api/cases", file=sys.stderr)
    print("OpenAPI: http://127.0.0.1:8000/api/docs", file=sys.stderr)
    web = web_dir(settings)
    if web is not None and web.is_dir() and not settings.cognito_issuer:
        print(
            "Web front end: http://127.0.0.1:8000/ (Sign in opens the development sign-in: pick a demo"
            " user, or type a user id and a role; no password)",
            file=sys.stderr,
        )
    print(file=sys.stderr)
    from .server import serve

    serve("127.0.0.1", 8000)
    return 0
