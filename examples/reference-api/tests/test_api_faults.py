"""Fault tests with real processes: PostgreSQL killed and restarted under the running app."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from refapi_support import stop_embedded
from reference_api.app import create_app
from reference_api.db import Database
from reference_api.migrate import migrate
from reference_api.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_recovers_after_postgres_is_killed_and_restarted(
    settings_factory: Callable[..., Settings],
) -> None:
    import pgserver
    from pgserver._commands import pg_ctl

    data = Path(tempfile.mkdtemp(prefix="refapi-fault-"))
    server: Any = pgserver.get_server(data, cleanup_mode="stop")
    url = server.get_uri()
    socket_dir = parse_qs(urlsplit(url).query)["host"][0]

    def ctl(*args: str) -> None:
        pg_ctl(["-w", *args], pgdata=server.pgdata, user=server.system_user, timeout=20)

    db = Database(settings_factory(url, db_pool_size=3, db_max_overflow=0))
    try:
        await migrate(db)
        app = create_app(db.settings, db=db)
        h = {"Authorization": f"Bearer {app.state.dev_issuer.token('fault-admin', 'admin')}"}
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for _ in range(5):  # the pool now holds live connections
                assert (await client.get("/api/cases", headers=h)).status_code == 200

            ctl("-m", "immediate", "stop")  # a crash: no clean shutdown
            down = await client.get("/api/cases", headers=h)
            assert down.status_code == 503
            assert down.headers["content-type"] == "application/problem+json"
            assert down.headers["retry-after"] == "2"
            assert (await client.get("/ready")).status_code == 503
            assert (await client.get("/health")).status_code == 200  # liveness does not follow the database

            ctl("-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(server.log), "start")
            restarted = time.monotonic()
            # Stale pooled connections are dropped by the pre-ping: the very next request succeeds.
            statuses = [(await client.get("/api/cases", headers=h)).status_code for _ in range(20)]
            recovered_in = time.monotonic() - restarted
            assert statuses == [200] * 20
            assert recovered_in < 5
    finally:
        await db.dispose()
        stop_embedded(server)
        shutil.rmtree(data, ignore_errors=True)
