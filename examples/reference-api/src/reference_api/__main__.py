"""Command line: ``python -m reference_api {migrate,serve,demo}``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from . import logs
from .settings import get_settings

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
    s.add_argument("--host", default=os.environ.get("API_HOST", "127.0.0.1"))
    s.add_argument("--port", type=int, default=int(os.environ.get("API_PORT", "8000")))
    sub.add_parser("demo", help="embedded PostgreSQL + migrate + demo data + serve (make api)")
    args = parser.parse_args(argv)

    settings = get_settings()
    logs.configure(settings.log_level)
    if args.command == "migrate":
        asyncio.run(_migrate(args.target, "down" if args.down else "up"))
        return 0
    if args.command == "serve":
        from .server import serve

        serve(args.host, args.port)
        return 0
    from .demo import run_demo

    return run_demo()


if __name__ == "__main__":
    sys.exit(main())
