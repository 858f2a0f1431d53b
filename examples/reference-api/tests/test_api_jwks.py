"""The signing keys (auth.JwksSource): fetched at start-up, refreshed with a limit, kept through an outage.

A JWKS document is served over HTTP by a thread of the test, which counts the fetches and can fail them.
Tokens are signed by the development issuer's key, named in that document, with the issuer and client
of a user pool, so the verifier is the one a deployed task builds (``auth.cognito_verifier``).
"""

from __future__ import annotations

import base64
import http.server
import itertools
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from reference_api import auth
from reference_api.app import create_app
from reference_api.auth import BACKOFF_MAX_S
from reference_api.dev.issuer import DevIssuer
from reference_api.settings import Settings

pytestmark = pytest.mark.anyio

CLIENT = "pool-web-client"
FRESH_TASK_CLOCK_S = 10.0  # a Fargate task's monotonic clock when its app starts


@dataclass
class JwksServer:
    document: dict[str, Any]
    down: bool = False
    fetches: list[int] = field(default_factory=list)  # the status of each fetch
    url: str = ""

    @property
    def issuer(self) -> str:
        return self.url + "/pool"


@pytest.fixture
def jwks_server(settings_factory: Callable[..., Settings]) -> Iterator[JwksServer]:
    dev = DevIssuer(settings_factory("postgresql://unused/db"))
    server = JwksServer(dev.jwks)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's name
            status = 503 if server.down or self.path != "/pool/.well-known/jwks.json" else 200
            server.fetches.append(status)
            body = json.dumps(server.document).encode() if status == 200 else b"unavailable"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def sign(settings_factory: Callable[..., Settings], jwks_server: JwksServer) -> Callable[..., str]:
    dev = DevIssuer(settings_factory("postgresql://unused/db"))

    def token(sub: str, role: str = "agent", **claims: Any) -> str:
        return dev.token(sub, role, extra_claims={"iss": jwks_server.issuer, "client_id": CLIENT, **claims})

    return token


class Clock:
    """A monotonic clock the test moves: a fresh task's starts near zero."""

    def __init__(self, now: float = FRESH_TASK_CLOCK_S) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _with_kid(token: str, kid: str) -> str:
    """The token under another key id (its signature no longer matters: no key is found for it)."""
    header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": kid}).encode()).rstrip(b"=")
    return ".".join([header.decode(), *token.split(".")[1:]])


def _verifier(server: JwksServer, clock: Clock, cache_s: int = 300) -> auth.TokenVerifier:
    jwks = auth.JwksSource(f"{server.issuer}/.well-known/jwks.json", cache_s=cache_s, clock=clock)
    return auth.TokenVerifier(issuer=server.issuer, client_ids=[CLIENT], jwks=jwks, cache_size=0)


async def test_a_fresh_task_accepts_a_valid_token_at_once(jwks_server: JwksServer, sign: Any) -> None:
    """A task whose clock reads 10 s: the keys are fetched at start-up and the first token is accepted."""
    verifier = _verifier(jwks_server, Clock())
    await verifier.jwks.load()  # what the app's lifespan does
    assert jwks_server.fetches == [200]
    principal = await verifier.verify(sign("fresh-1"))
    assert (principal.sub, principal.role) == ("fresh-1", "agent")
    assert jwks_server.fetches == [200]  # the start-up fetch served it


async def test_without_the_start_up_fetch_the_first_token_fetches_the_keys(
    jwks_server: JwksServer, sign: Any
) -> None:
    """ "Never fetched" is a state of its own, whatever the clock reads."""
    verifier = _verifier(jwks_server, Clock(0.5))
    assert (await verifier.verify(sign("fresh-2"))).sub == "fresh-2"
    assert jwks_server.fetches == [200]


async def test_an_unknown_kid_refreshes_the_keys_at_most_once_a_minute(
    jwks_server: JwksServer, sign: Any
) -> None:
    clock = Clock()
    verifier = _verifier(jwks_server, clock)
    await verifier.jwks.load()
    token = _with_kid(sign("kid-1"), "not-ours")
    for _ in range(5):
        clock.now += 10
        with pytest.raises(auth.ProblemError) as refused:
            await verifier.verify(token)
        assert (refused.value.status, refused.value.detail) == (401, "token signed by an unknown key")
    assert jwks_server.fetches == [200]  # 50 s: no refetch
    clock.now += 20
    with pytest.raises(auth.ProblemError):
        await verifier.verify(token)
    assert jwks_server.fetches == [200, 200]  # a minute after the last fetch: one more


async def test_an_outage_after_the_first_fetch_keeps_the_keys_and_backs_off(
    jwks_server: JwksServer, sign: Any
) -> None:
    clock = Clock()
    verifier = _verifier(jwks_server, clock, cache_s=300)
    jwks = verifier.jwks
    await jwks.load()
    jwks_server.down = True
    clock.now += 301  # the cached set is due for a refresh, which fails
    assert (await verifier.verify(sign("outage-1"))).sub == "outage-1"
    assert jwks_server.fetches == [200, 503]
    assert jwks.problem() is None  # still able to verify: ready
    assert "HTTPError" in (jwks.degraded() or "")
    # Backing off: 1 s, then 2 s, then 4 s between attempts, however many tokens arrive meanwhile.
    attempts_at = []
    for step in range(16):
        clock.now += 0.5
        before = len(jwks_server.fetches)
        assert (await verifier.verify(sign(f"outage-{step}"))).sub == f"outage-{step}"
        if len(jwks_server.fetches) > before:
            attempts_at.append(step)
    assert [t - s for s, t in itertools.pairwise(attempts_at)] == [4, 8]  # 2 s, 4 s
    assert attempts_at[0] == 1  # 1 s after the first failure
    # A kid the kept set lacks cannot be checked during the outage: 503 naming the keys.
    with pytest.raises(auth.ProblemError) as refused:
        await verifier.verify(_with_kid(sign("outage-x"), "rotated-in"))
    assert refused.value.status == 503
    assert refused.value.type == "urn:reference-api:problem:signing-keys-unavailable"
    # An empty set is a failed fetch too: the verified keys stay.
    jwks_server.down, document = False, jwks_server.document
    jwks_server.document = {"keys": []}
    clock.now += BACKOFF_MAX_S
    assert (await verifier.verify(sign("outage-empty"))).sub == "outage-empty"
    assert jwks_server.fetches[-1] == 200 and jwks.degraded() is not None
    # Back: the next due fetch succeeds and the backoff is over.
    jwks_server.document = document
    clock.now += BACKOFF_MAX_S
    assert (await verifier.verify(sign("outage-over"))).sub == "outage-over"
    assert jwks.failures == 0 and jwks.degraded() is None


async def test_a_token_whose_key_cannot_be_fetched_is_503_naming_the_keys(
    jwks_server: JwksServer, sign: Any
) -> None:
    jwks_server.down = True
    verifier = _verifier(jwks_server, Clock())
    await verifier.jwks.load()
    with pytest.raises(auth.ProblemError) as refused:
        await verifier.verify(sign("down-1"))
    problem = refused.value
    assert problem.status == 503
    assert problem.type == "urn:reference-api:problem:signing-keys-unavailable"
    assert "database" not in (problem.detail or "")
    assert verifier.jwks.problem() is not None


@pytest.fixture
async def pool_app(
    jwks_server: JwksServer, settings_factory: Callable[..., Settings], db: Any
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The app as a task runs it against a user pool (lifespan included), on the test's database."""
    settings = settings_factory(
        db.settings.database_url.get_secret_value(),
        cognito_issuer=jwks_server.issuer,
        cognito_client_ids=[CLIENT],
        outbox_worker=False,
        retention_worker=False,  # background tasks would share the test's transaction
    )
    app = create_app(settings, db=db)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield app, client


async def test_the_app_fetches_the_keys_at_start_up(
    jwks_server: JwksServer, sign: Any, pool_app: Any
) -> None:
    _app, client = pool_app
    assert jwks_server.fetches == [200]  # before any request
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {sign('start-1')}"})
    assert me.status_code == 200, me.text
    assert jwks_server.fetches == [200]
    assert (await client.get("/ready")).json() == {"status": "ready"}


@pytest.fixture
def jwks_down(jwks_server: JwksServer) -> JwksServer:
    jwks_server.down = True
    return jwks_server


async def test_a_jwks_outage_at_start_up_is_reported_as_such(
    jwks_down: JwksServer, sign: Any, pool_app: Any
) -> None:
    _app, client = pool_app
    assert jwks_down.fetches == [503]
    ready = await client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["type"] == "urn:reference-api:problem:signing-keys-unavailable"
    assert "signing keys" in ready.json()["detail"] and "database" not in ready.json()["detail"]
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {sign('start-2')}"})
    assert me.status_code == 503
    assert me.json()["type"] == "urn:reference-api:problem:signing-keys-unavailable"
    assert me.headers["retry-after"]
    assert (await client.get("/health")).status_code == 200  # liveness does not follow the keys


async def test_an_outage_after_start_up_keeps_serving_and_readiness_says_so(
    jwks_server: JwksServer, sign: Any, pool_app: Any
) -> None:
    app, client = pool_app
    jwks = app.state.verifier.jwks
    jwks_server.down = True
    assert jwks.fetched_at is not None
    jwks.fetched_at -= 301  # the cached set is due for a refresh (API_JWKS_CACHE_S is 300)
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {sign('later-1')}"})
    assert me.status_code == 200, me.text  # served with the keys verified at start-up
    assert jwks_server.fetches == [200, 503]
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert "could not be refreshed" in ready.json()["detail"] and "HTTPError" in ready.json()["detail"]
    again = await client.get("/api/me", headers={"Authorization": f"Bearer {sign('later-2')}"})
    assert again.status_code == 200
    assert jwks_server.fetches == [200, 503]  # backing off: no second attempt at once
