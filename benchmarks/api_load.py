"""Load test of the reference API on embedded PostgreSQL: fixed arrival rate plus maximum throughput.

    .venv/bin/python benchmarks/api_load.py [--rate 200] [--seconds 10] [--cases 5000]
                                            [--token-cache-size N] [--serve]

Starts PostgreSQL (pgserver) in a temporary directory, migrates, seeds cases, runs the API as it runs
in a container (`python -m reference_api serve`, one uvicorn process) and drives four endpoints:
list cases (50 per page), get case, create case, log time. For each it reports

- the fixed-arrival-rate run (open model): requests are scheduled every 1/rate s whatever the server
  does and latency is measured from the scheduled send time, so a slow server cannot hide its queue
  (no coordinated omission); p50/p99/max and errors. The client is a minimal HTTP/1.1 client on
  uvloop (keep-alive, a new connection only when all are busy): an httpx client in one Python
  process tops out near 100-150 requests/s on the 2-core machine and would measure itself;
- the maximum throughput: `wrk` (1 thread, 16 connections) when it is on PATH (Debian's `wrk`),
  else the same minimal client closed-loop with 16 connections (which then shares the CPU with the
  server and reports less).

`--token-cache-size 0` makes the API verify the RS256 signature of every request (the comparison
figure for implementations that do); by default a verified token is remembered until its expiry.
`--serve` only starts PostgreSQL and the API and prints the URL, a token and a case id.

The load generator shares the machine's cores with the server and PostgreSQL; the figures are for
comparing changes on one machine, not absolute capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str  # "{id}" is replaced by a random seeded case id
    body: dict[str, Any] | None = None


SCENARIOS = (
    Scenario("list cases (50)", "GET", "/api/cases?limit=50"),
    Scenario("get case", "GET", "/api/cases/{id}"),
    Scenario("create case", "POST", "/api/cases", {"title": "Load test case", "priority": "high"}),
    Scenario("log time", "POST", "/api/cases/{id}/time-entries", {"duration_s": 900}),
)
WRK_CONNECTIONS = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def prepare(url: str, key_path: str, cases: int) -> tuple[list[str], str]:
    from reference_api.db import Database
    from reference_api.dev.issuer import DevIssuer
    from reference_api.migrate import migrate
    from reference_api.settings import Settings
    from sqlalchemy import text

    settings = Settings(environment="development", database_url=url, dev_key_path=key_path)
    db = Database(settings)
    await migrate(db)
    async with db.transaction() as conn:
        await conn.execute(text("INSERT INTO users (id, role) VALUES ('bench-agent', 'agent')"))
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
    token = DevIssuer(settings).token("bench-agent", "agent", ttl_s=3600)
    return ids, token


# --- a minimal HTTP/1.1 client --------------------------------------------------------------------


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await self.reader.readexactly(length)
        return status


class Client:
    """Keep-alive connections to one host; a new one only when all are busy."""

    def __init__(self, base: str, token: str, ids: list[str]) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.token, self.ids = token, ids
        self.idle: list[Conn] = []
        self.rnd = random.Random(7)

    def request(self, s: Scenario) -> bytes:
        path = s.path.replace("{id}", self.rnd.choice(self.ids))
        body = orjson.dumps(s.body) if s.body is not None else b""
        head = (
            f"{s.method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {self.token}\r\n"
            + (f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else "")
            + "\r\n"
        )
        return head.encode() + body

    async def send(self, s: Scenario) -> bool:
        """True for a 2xx; a connection that failed is dropped."""
        conn = self.idle.pop() if self.idle else Conn(*await asyncio.open_connection(self.host, self.port))
        try:
            status = await conn.send(self.request(s))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            conn.writer.close()
            return False
        self.idle.append(conn)
        return 200 <= status < 300

    async def close(self) -> None:
        for conn in self.idle:
            conn.writer.close()


def pct(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


async def fixed_rate(client: Client, s: Scenario, rate: float, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0

    async def one(scheduled: float) -> None:
        nonlocal errors
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            ok = await client.send(s)
        except OSError:
            ok = False
        errors += not ok
        latencies.append((time.perf_counter() - scheduled) * 1000)

    for _ in range(50):  # warm connections and the server's caches
        await one(time.perf_counter())
    latencies.clear()
    errors = 0
    total = int(rate * seconds)
    start = time.perf_counter() + 0.1
    await asyncio.gather(*(one(start + i / rate) for i in range(total)))
    ordered = sorted(latencies)
    p50, p99 = pct(ordered, 50), pct(ordered, 99)
    return {"n": total, "p50": p50, "p99": p99, "max": ordered[-1], "errors": errors}


async def closed_loop(client: Client, s: Scenario, seconds: float) -> tuple[float, int, int]:
    """Requests/s, failures and requests sent, with WRK_CONNECTIONS concurrent senders."""
    done = errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done, errors
        while time.perf_counter() < deadline:
            errors += not await client.send(s)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(WRK_CONNECTIONS)))
    return done / (time.perf_counter() - started), errors, done


def wrk(
    base: str, token: str, ids: list[str], s: Scenario, seconds: float, work: Path
) -> tuple[float, int, int]:
    """Requests/s, non-2xx count and requests sent, from wrk; a Lua script picks a case per request."""
    script = work / "wrk.lua"
    body = orjson.dumps(s.body).decode() if s.body is not None else ""
    script.write_text(
        "local ids = {" + ",".join(f'"{i}"' for i in ids[:2000]) + "}\n"
        f"local headers = {{['Authorization'] = 'Bearer {token}', ['Content-Type'] = 'application/json'}}\n"
        f"local body = {body!r}\n"
        "if body == '' then body = nil end\n"
        "request = function()\n"
        f"  local path = string.gsub('{s.path}', '{{id}}', ids[math.random(#ids)])\n"
        f"  return wrk.format('{s.method}', path, headers, body)\n"
        "end\n"
    )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{seconds:.0f}s", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    sent = re.search(r"(\d+) requests in", out)
    if rps is None or sent is None:
        raise SystemExit(f"wrk printed no request count:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return float(rps.group(1)), int(bad.group(1)) if bad else 0, int(sent.group(1))


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None where there is no /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(
    base: str, token: str, ids: list[str], rate: float, seconds: float, work: Path, api_pid: int
) -> list[tuple[Scenario, dict[str, Any], float, int, float | None]]:
    """Per scenario: the fixed-rate figures, max req/s, non-2xx count, and the API process's CPU
    microseconds per request during the maximum run (steadier than req/s on a shared machine)."""
    results = []
    use_wrk = shutil.which("wrk") is not None
    for s in SCENARIOS:
        client = Client(base, token, ids)
        fixed = await fixed_rate(client, s, rate, seconds)
        cpu_before = cpu_seconds(api_pid)
        if use_wrk:
            await client.close()
            peak, bad, requests = await asyncio.to_thread(wrk, base, token, ids, s, min(seconds, 5), work)
        else:
            peak, bad, requests = await closed_loop(client, s, min(seconds, 5))
            await client.close()
        cpu_after = cpu_seconds(api_pid)
        cpu_us = None
        if cpu_before is not None and cpu_after is not None and requests:
            cpu_us = (cpu_after - cpu_before) / requests * 1e6
        results.append((s, fixed, peak, bad, cpu_us))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0, help="arrival rate, requests/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each fixed-rate run")
    parser.add_argument("--cases", type=int, default=5000, help="cases seeded before the run")
    parser.add_argument(
        "--token-cache-size", type=int, default=None, help="API_TOKEN_CACHE_SIZE (0: verify every token)"
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="only start PostgreSQL and the API, print the URL, a token and a case id, serve until Ctrl-C",
    )
    args = parser.parse_args()

    import pgserver
    import uvloop

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
        if args.token_cache_size is not None:
            env["API_TOKEN_CACHE_SIZE"] = str(args.token_cache_size)
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
        if args.serve:
            print(f"url {base}\ntoken {token}\ncase {ids[0]}", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                api.wait()
            return 0
        results = uvloop.run(drive(base, token, ids, args.rate, args.seconds, work, api.pid))
    finally:
        if api is not None:
            api.send_signal(signal.SIGTERM)
            api.wait(timeout=30)
        server.cleanup()
        if (Path(server.pgdata) / "postmaster.pid").exists():  # cleanup can leave it running
            from pgserver._commands import pg_ctl

            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user, timeout=20)
        shutil.rmtree(work, ignore_errors=True)

    cache = "app default" if args.token_cache_size is None else str(args.token_cache_size)
    print(
        f"\nreference API, one uvicorn process, embedded PostgreSQL 16, {args.cases} seeded cases,"
        f" {os.cpu_count()} cores, token cache size {cache}"
    )
    peak_by = "wrk" if shutil.which("wrk") else "closed loop"
    print(
        f"fixed arrival rate {args.rate:.0f} req/s for {args.seconds:.0f} s (latency from the scheduled"
        f" send time); max: {peak_by}, {WRK_CONNECTIONS} connections\n"
    )
    print(
        f"{'endpoint':18s} {'p50 ms':>7s} {'p99 ms':>7s} {'max ms':>7s} {'errors':>7s} {'max req/s':>10s}"
        f" {'API CPU us/req':>15s}"
    )
    for s, fixed, peak, bad, cpu_us in results:
        cpu = f"{cpu_us:15.0f}" if cpu_us is not None else f"{'n/a':>15s}"
        print(
            f"{s.name:18s} {fixed['p50']:7.1f} {fixed['p99']:7.1f} {fixed['max']:7.1f}"
            f" {fixed['errors']:7d} {peak:10.0f} {cpu}" + (f"  ({bad} non-2xx)" if bad else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
