"""Open-model load at a fixed arrival rate with a minimal HTTP/1.1 client (no httpx).

    .venv/bin/python benchmarks/open_rate.py URL --token T [--rate 200] [--seconds 10]

`api_load.py` drives the API with httpx in the same Python process, and that client tops out near
100-150 requests/s on the 2-core machine, so its fixed-rate runs measure the client's queue. This
generator keeps keep-alive connections (a new one only when all are busy), writes the request bytes
itself and reads only the status line, headers and Content-Length body, on uvloop: enough to hold
200 requests/s with CPU to spare. Latency is measured from the scheduled send time (no coordinated
omission). GET only; `{id}` in the path is replaced by one of the `--ids`, round-robin.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from urllib.parse import urlsplit


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def get(self, request: bytes) -> int:
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


async def run(url: str, token: str, ids: list[str], rate: float, seconds: float) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    cycle = itertools.cycle(ids or [""])
    idle: list[Conn] = []
    latencies: list[float] = []
    errors = 0

    async def one(scheduled: float) -> None:
        nonlocal errors
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        conn = idle.pop() if idle else Conn(*await asyncio.open_connection(host, port))
        request = (
            f"GET {path.replace('{id}', next(cycle))} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        try:
            if await conn.get(request) >= 400:
                errors += 1
            idle.append(conn)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
        latencies.append((time.perf_counter() - scheduled) * 1000)

    for warm in range(50):  # connections and the server's caches
        await one(time.perf_counter() + warm * 0)
    latencies.clear()
    total = int(rate * seconds)
    start = time.perf_counter() + 0.1
    await asyncio.gather(*(one(start + i / rate) for i in range(total)))
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    print(
        f"{path}: {total} requests at {rate:.0f}/s: p50 {pct(50):.1f} ms, p90 {pct(90):.1f} ms,"
        f" p99 {pct(99):.1f} ms, max {ordered[-1]:.1f} ms, errors {errors}, connections {len(idle)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url")
    parser.add_argument("--token", required=True)
    parser.add_argument("--ids", default="", help="comma-separated values for {id}")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    import uvloop

    uvloop.run(run(args.url, args.token, [i for i in args.ids.split(",") if i], args.rate, args.seconds))


if __name__ == "__main__":
    main()
