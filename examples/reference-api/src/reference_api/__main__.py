"""Command line: ``python -m reference_api {migrate,serve,demo,devtoken}``.

``demo`` and ``devtoken`` are development commands (:mod:`reference_api.dev.commands`), imported only
when one of them runs, so ``migrate`` and ``serve`` never load the development package.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from pydantic import ValidationError

from . import logs
from .roles import ROLES
from .settings import check_host, configuration_problems, get_settings

log = logging.getLogger("reference_api.cli")


async def _migrate(target: str, direction: str) -> None:
    from .db import Database
    from .migrate import current_revision, migrate

    db = Database(get_settings())
    try:
        await migrate(db, target, direction)
        log.info("migrations done", extra={"revision": await current_revision(db)})
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reference_api")
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("migrate", help="apply Alembic migrations under an advisory lock")
    m.add_argument("target", nargs="?", default="head")
    m.add_argument("--down", action="store_true", help="downgrade to TARGET instead")
    s = sub.add_parser("serve", help="run the API with uvicorn")
    s.add_argument("--host", help="default: API_HOST, else 127.0.0.1")
    s.add_argument("--port", type=int, help="default: API_PORT, else 8000")
    sub.add_parser("demo", help="embedded PostgreSQL + migrate + demo data + serve (make api)")
    t = sub.add_parser("devtoken", help="print a development access token (refused in production)")
    t.add_argument("--sub", required=True, help="user id (the token's sub)")
    t.add_argument("--role", required=True, choices=ROLES)
    t.add_argument("--ttl", type=int, default=12 * 3600, help="lifetime in seconds")
    args = parser.parse_args(argv)

    if args.command == "demo":  # the development command: asking for it is asking for development
        os.environ.setdefault("API_ENVIRONMENT", "development")
    try:
        settings = get_settings()
    except ValidationError as error:
        print(f"reference_api: {configuration_problems(error)}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    if args.command == "migrate":
        asyncio.run(_migrate(args.target, "down" if args.down else "up"))
        return 0
    if args.command == "devtoken":
        from .dev.commands import devtoken

        return devtoken(settings, args.sub, args.role, ttl_s=args.ttl)
    if args.command == "demo":
        from .dev.commands import prepare_demo

        refused = prepare_demo()
        if refused:
            return refused
        args.host, args.port = "127.0.0.1", 8000
    from .server import serve

    host = settings.host if args.host is None else args.host
    bad_host = check_host(settings, host)
    if bad_host:
        print(f"reference_api: {bad_host}", file=sys.stderr)
        return 2
    serve(host, settings.port if args.port is None else args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
