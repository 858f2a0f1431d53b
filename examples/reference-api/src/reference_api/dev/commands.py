"""The development commands of ``python -m reference_api``: ``demo`` (what ``make api`` runs) and
``devtoken``. Both refuse to run in production, where the development issuer does not exist."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from ..db import Database
from ..migrate import migrate
from ..settings import Settings, get_settings
from .demo import DEMO_USERS, load_demo_data
from .issuer import DevIssuer
from .web import web_dir

TOKEN_TTL_S = 12 * 3600
"""Lifetime of the tokens these commands print."""


def devtoken(settings: Settings, sub: str, role: str, *, ttl_s: int) -> int:
    """Print a development access token for ``sub`` with ``role``; 2 when refused."""
    if not settings.allows_dev_tools:
        print(
            f"devtoken: refused outside development (API_ENVIRONMENT={settings.environment})", file=sys.stderr
        )
        return 2
    print(DevIssuer(settings).token(sub, role, ttl_s=ttl_s))
    return 0


def start_embedded_postgres(data_dir: Path) -> str:
    import pgserver  # the `embedded` extra: development and tests only

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode=None)  # type: ignore[attr-defined]  # keeps running between `make api` runs
    uri: str = server.get_uri()
    return uri


def prepare_demo() -> int:
    """Everything ``make api`` does before serving: an embedded PostgreSQL when ``DATABASE_URL`` is not
    set, migrations, demo data, a token per demo user. 0 when the API may be served, 2 when refused."""
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = start_embedded_postgres(Path(".reference-api/pgdata").resolve())
        print("embedded PostgreSQL (pgserver) in .reference-api/pgdata", file=sys.stderr)
    get_settings.cache_clear()
    settings = get_settings()
    if not settings.allows_dev_tools:
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
        token = issuer.token(sub, role, ttl_s=TOKEN_TTL_S)
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
    return 0
