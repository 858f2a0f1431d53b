"""Request bodies above the limit are refused with 413 before they are read in full and before
authentication; the largest legitimate request still fits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest
from refapi_support import ApiProcess, api_env, create_database, migrate_with_own_handle
from reference_api.settings import Settings

pytestmark = pytest.mark.anyio

CHUNK = 64 * 1024
HUGE = 200 * 1024 * 1024


class CountedBody:
    """A HUGE request body, streamed in CHUNK pieces, that counts the bytes the server pulled from it."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(HUGE // CHUNK):
            self.sent += CHUNK
            yield b"x" * CHUNK


def _largest_comment() -> bytes:
    """The biggest body a comment may have: 20,000 characters, each a non-BMP character escaped as a
    surrogate pair (12 bytes of JSON per character), the most bytes a client can spend per character."""
    body = b'{"body":"' + b"\\ud83d\\ude00" * 20_000 + b'","internal":false}'
    assert len(orjson.loads(body)["body"]) == 20_000  # code points, as the model counts them
    return body


async def test_the_largest_legitimate_request_fits(client: httpx.AsyncClient, auth: Any) -> None:
    h = auth("max", "manager")
    case = (await client.post("/api/cases", json={"title": "big comment"}, headers=h)).json()
    body = _largest_comment()
    app = client._transport.app  # type: ignore[attr-defined]  # the fixture's ASGITransport
    assert 240_000 < len(body) <= app.state.settings.max_body_bytes
    r = await client.post(
        f"/api/cases/{case['id']}/comments",
        content=body,
        headers={**h, "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    assert len(r.json()["body"]) == 20_000


async def test_a_declared_oversized_body_is_refused_unread_and_anonymous(client: httpx.AsyncClient) -> None:
    body = CountedBody()
    r = await client.post(
        "/api/cases",
        content=body,
        headers={"Content-Length": str(HUGE), "Content-Type": "application/json"},
    )
    assert r.status_code == 413  # not 401: refused before authentication
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "urn:reference-api:problem:body-too-large"
    assert body.sent <= CHUNK  # nothing (beyond what the transport pre-reads) was read


async def test_a_chunked_oversized_body_is_refused_after_the_limit(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = CountedBody()
    r = await client.post("/api/cases", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["type"] == "urn:reference-api:problem:body-too-large"
    limit = client._transport.app.state.settings.max_body_bytes  # type: ignore[attr-defined]  # ASGITransport
    assert body.sent <= limit + 2 * CHUNK  # read up to the limit, then refused: 200 MB never held
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # a refusal, not a fault


@pytest.fixture
async def server(pg_server_url: str, settings_factory: Callable[..., Settings]) -> AsyncIterator[ApiProcess]:
    url = await create_database(
        pg_server_url, f"refapi_body_limit_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    )
    settings = settings_factory(url)
    await migrate_with_own_handle(settings)
    with ApiProcess(api_env(settings, DATABASE_URL=url, API_OUTBOX_WORKER="false")) as api:
        await api.wait_ready()
        yield api


def _raw_post(port: int, headers: str, total: int, *, chunked: bool = False) -> tuple[bytes, int]:
    """Send a POST over a real socket and stop at the server's answer; (answer, bytes sent by then)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        f"POST /api/cases HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n{headers}\r\n".encode()
    )
    sent = 0
    chunk = b"x" * CHUNK
    if chunked:
        chunk = b"%x\r\n" % CHUNK + chunk + b"\r\n"
    sock.setblocking(False)
    answer = b""
    try:
        while sent < total:
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
            if answer:
                break
            try:
                sent += sock.send(chunk)
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    finally:
        sock.close()
    return answer, sent


async def test_a_real_server_answers_413_before_the_client_finished_sending(server: ApiProcess) -> None:
    answer, sent = await asyncio.to_thread(_raw_post, server.port, f"Content-Length: {HUGE}\r\n", HUGE)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert sent < HUGE // 10, sent  # answered long before the 200 MB were sent
    answer, sent = await asyncio.to_thread(
        _raw_post, server.port, "Transfer-Encoding: chunked\r\n", HUGE, chunked=True
    )
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert sent < HUGE // 10, sent
    async with httpx.AsyncClient(base_url=server.url) as c:
        assert (await c.get("/health")).status_code == 200
