"""Load test of the reference API on embedded PostgreSQL: open-model fixed arrival rate plus max rate.

    .venv/bin/python benchmarks/api_load.py [--rate 200] [--seconds 10] [--cases 5000]

Starts PostgreSQL (pgserver) in a temporary directory, migrates, seeds cases, runs the API as it runs
in a container (`python -m reference_api serve`, one uvicorn process) and drives four endpoints:
list cases (50 per page), get case, create case, log time. For each it reports

- the fixed-arrival-rate run: requests are scheduled every 1/rate s whatever the server does
  (open model), and latency is measured from the scheduled time, so a slow server cannot hide its
  queueing (no coordinated omission); p50/p99 and errors;
- the closed-loop maximum: 32 concurrent clients for a few seconds, requests/s.

The load generator shares the machine's cores with the server and PostgreSQL; the figures are for
comparing changes on one machine, not absolute capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

Scenario = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def prepare(url: str, key_path: str, cases: int) -> tuple[list[str], str]:
    from reference_api.auth import DevIssuer
    from reference_api.db import Database
    from reference_api.migrate import migrate
    from reference_api.settings import Settings
    from sqlalchemy import text

    settings = Settings(environment="development", database_url=url, dev_key_path=key_path)
    db = Database(settings)
    await migrate(db)
    async with db.transaction() as conn:
        await conn.execute(
            text("INSERT INTO users (id, role, email) VALUES ('bench-agent', 'agent', 'bench@example.com')")
        )
        await conn.execute(
            text(
                """
                INSERT INTO cases (title, description, priority, status, assignee_id, created_by, tags)
                SELECT 'Case ' || i, 'Seeded case number ' || i || ' about invoices and refunds',
                       (ARRAY['low','normal','high','urgent'])[1 + i % 4],
                       (ARRAY['new','open','pending','resolved'])[1 + i % 4],
                       'bench-agent', 'bench-agent', ARRAY['seed']
                FROM generate_series(1, :n) AS i
                """
            ),
            {"n": cases},
        )
        ids = [str(r[0]) for r in await conn.execute(text("SELECT id FROM cases"))]
    await db.dispose()
    token = DevIssuer(settings).token("bench-agent", "agent", email="bench@example.com", ttl_s=3600)
    return ids, token


def scenarios(ids: list[str]) -> dict[str, Scenario]:
    rnd = random.Random(7)

    async def list_cases(c: httpx.AsyncClient) -> httpx.Response:
        return await c.get("/api/cases", params={"limit": 50})

    async def get_case(c: httpx.AsyncClient) -> httpx.Response:
        return await c.get(f"/api/cases/{rnd.choice(ids)}")

    async def create_case(c: httpx.AsyncClient) -> httpx.Response:
        return await c.post(
            "/api/cases", json={"title": "Load test case", "priority": "high", "tags": ["load"]}
        )

    async def log_time(c: httpx.AsyncClient) -> httpx.Response:
        return await c.post(f"/api/cases/{rnd.choice(ids)}/time-entries", json={"duration_s": 900})

    return {
        "list cases (50)": list_cases,
        "get case": get_case,
        "create case": create_case,
        "log time": log_time,
    }


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


async def fixed_rate(client: httpx.AsyncClient, run: Scenario, rate: float, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05

    async def one(i: int) -> None:
        nonlocal errors
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            r = await run(client)
            if r.status_code >= 400:
                errors += 1
        except httpx.HTTPError:
            errors += 1
        latencies.append((time.perf_counter() - scheduled) * 1000)

    await asyncio.gather(*(one(i) for i in range(total)))
    return {"n": total, "p50": pct(latencies, 50), "p99": pct(latencies, 99), "errors": errors}


async def max_rate(client: httpx.AsyncClient, run: Scenario, seconds: float, concurrency: int = 32) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await run(client)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


async def drive(
    base: str, token: str, ids: list[str], rate: float, seconds: float
) -> list[tuple[str, Any, float]]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    results = []
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=10) as client:
        for name, run in scenarios(ids).items():
            for _ in range(20):  # warm up connections and caches
                await run(client)
            fixed = await fixed_rate(client, run, rate, seconds)
            peak = await max_rate(client, run, min(seconds, 5))
            results.append((name, fixed, peak))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0, help="arrival rate, requests/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each fixed-rate run")
    parser.add_argument("--cases", type=int, default=5000, help="cases seeded before the run")
    args = parser.parse_args()

    import pgserver

    work = Path(tempfile.mkdtemp(prefix="refapi-bench-"))
    server = pgserver.get_server(work / "pgdata", cleanup_mode="stop")
    api = None
    try:
        url = server.get_uri()
        key = str(work / "dev-key.pem")
        ids, token = asyncio.run(prepare(url, key, args.cases))
        port = free_port()
        env = {
            **os.environ,
            "API_ENVIRONMENT": "development",
            "DATABASE_URL": url,
            "API_DEV_KEY_PATH": key,
            "API_OUTBOX_WORKER": "false",
            "API_PORT": str(port),
            "API_DB_POOL_SIZE": "10",
        }
        api = subprocess.Popen(
            [sys.executable, "-m", "reference_api", "serve"], env=env, cwd=work, stdout=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("API did not become ready within 20 s")
            time.sleep(0.1)
        results = asyncio.run(drive(base, token, ids, args.rate, args.seconds))
    finally:
        if api is not None:
            api.send_signal(signal.SIGTERM)
            api.wait(timeout=30)
        server.cleanup()
        try:  # pgserver's cleanup can leave the server running; pg_ctl stop is final
            from pgserver._commands import pg_ctl

            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user, timeout=20)
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\nreference API, one uvicorn process, embedded PostgreSQL 16, {args.cases} seeded cases,"
        f" {os.cpu_count()} cores"
    )
    print(
        f"fixed arrival rate {args.rate:.0f} req/s for {args.seconds:.0f} s"
        " (latency from the scheduled send time)\n"
    )
    print(f"{'endpoint':18s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>7s} {'max req/s (32 conc.)':>22s}")
    for name, fixed, peak in results:
        print(f"{name:18s} {fixed['p50']:8.1f} {fixed['p99']:8.1f} {fixed['errors']:7d} {peak:22.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
