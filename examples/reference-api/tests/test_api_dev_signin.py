"""The development sign-in (Cognito's /oauth2/authorize, /oauth2/token, /logout mirrored under /dev-issuer)
and the front end served in development: the whole code + PKCE round trip, every refusal, and nothing of
it in production."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from reference_api.app import create_app
from reference_api.dev.signin import CODE_TTL_S, is_loopback_redirect
from reference_api.dev.web import CONTENT_SECURITY_POLICY
from reference_api.settings import Settings

pytestmark = pytest.mark.anyio

CLIENT = "reference-api-dev"
REDIRECT = "http://127.0.0.1:8000/"
WEB = Path(__file__).resolve().parents[1] / "web"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(challenge: str, **overrides: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "scope": "openid email profile",
        "state": "st-" + secrets.token_hex(4),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }


async def sign_in(client: httpx.AsyncClient, sub: str, role: str, challenge: str, **overrides: str) -> str:
    """The browser's part: the form, then the redirect back with a code; returns the code."""
    params = authorize_params(challenge, **overrides)
    page = await client.get("/dev-issuer/oauth2/authorize", params=params)
    assert page.status_code == 200, page.text
    assert 'name="username"' in page.text
    response = await client.post(
        "/dev-issuer/oauth2/authorize", data={**params, "username": sub, "role": role}
    )
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == params["redirect_uri"]
    query = parse_qs(location.query)
    assert query["state"] == [params["state"]]
    return query["code"][0]


async def exchange(client: httpx.AsyncClient, code: str, verifier: str, **overrides: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": CLIENT,
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": REDIRECT,
        **overrides,
    }
    return await client.post("/dev-issuer/oauth2/token", data=form)


def assert_oauth_error(response: httpx.Response, error: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(("sub", "role"), [("agent-alice", "agent"), ("client-carla", "client")])
async def test_code_and_pkce_round_trip_gives_a_token_the_api_accepts(
    client: httpx.AsyncClient, sub: str, role: str
) -> None:
    verifier, challenge = pkce()
    code = await sign_in(client, sub, role, challenge)
    response = await exchange(client, code, verifier)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert response.headers["cache-control"] == "no-store"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = await client.get("/api/me", headers=headers)
    assert me.status_code == 200
    assert me.json() == {"sub": sub, "role": role, "username": sub, "email": f"{sub}@example.com"}
    assert (await client.get("/api/cases", headers=headers)).status_code == 200


async def test_a_demo_user_button_signs_in_with_that_users_role(client: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    params = authorize_params(challenge)
    page = await client.get("/dev-issuer/oauth2/authorize", params=params)
    for sub in ("admin-ada", "manager-max", "agent-alice", "agent-arno", "client-carla", "client-cole"):
        assert f'value="{sub}"' in page.text
    response = await client.post("/dev-issuer/oauth2/authorize", data={**params, "demo_user": "manager-max"})
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    token = (await exchange(client, code, verifier)).json()["access_token"]
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "manager"


async def test_wrong_verifier_is_refused_and_spends_the_code(client: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    code = await sign_in(client, "agent-alice", "agent", challenge)
    assert_oauth_error(await exchange(client, code, pkce()[0]), "invalid_grant")
    assert_oauth_error(await exchange(client, code, verifier), "invalid_grant")


async def test_a_code_is_single_use(client: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    code = await sign_in(client, "agent-alice", "agent", challenge)
    assert (await exchange(client, code, verifier)).status_code == 200
    assert_oauth_error(await exchange(client, code, verifier), "invalid_grant")


async def test_an_expired_code_is_refused(client: httpx.AsyncClient, app: Any) -> None:
    codes = app.state.dev_codes
    now = [1000.0]
    real_clock, codes.clock = codes.clock, lambda: now[0]
    try:
        verifier, challenge = pkce()
        code = await sign_in(client, "agent-alice", "agent", challenge)
        now[0] += CODE_TTL_S - 1
        fresh_verifier, fresh_challenge = pkce()
        fresh = await sign_in(client, "agent-alice", "agent", fresh_challenge)
        now[0] += 2  # the first code is now CODE_TTL_S + 1 s old, the second 2 s
        assert_oauth_error(await exchange(client, code, verifier), "invalid_grant")
        assert (await exchange(client, fresh, fresh_verifier)).status_code == 200
    finally:
        codes.clock = real_clock


async def test_an_unknown_code_is_refused(client: httpx.AsyncClient) -> None:
    assert_oauth_error(await exchange(client, "no-such-code", pkce()[0]), "invalid_grant")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/",
        "http://127.0.0.1.evil.example/",
        "http://localhost.evil.example:8000/",
        "http://evil.example@127.0.0.1/",
        "http://10.0.0.1:8000/",
        "javascript:alert(1)",
        "/relative",
        "http://127.0.0.1:8000/#fragment",
        "",
    ],
)
async def test_a_redirect_uri_off_loopback_is_refused_without_redirecting(
    client: httpx.AsyncClient, redirect_uri: str
) -> None:
    params = authorize_params(pkce()[1], redirect_uri=redirect_uri)
    page = await client.get("/dev-issuer/oauth2/authorize", params=params)
    assert page.status_code == 400 and "location" not in page.headers
    posted = await client.post(
        "/dev-issuer/oauth2/authorize", data={**params, "username": "u", "role": "admin"}
    )
    assert posted.status_code == 400 and "location" not in posted.headers


@pytest.mark.parametrize(
    "uri",
    ["http://127.0.0.1:8000/", "http://localhost:5173/cb?x=1", "http://[::1]:8000/", "https://127.0.0.2/"],
)
def test_loopback_redirects_are_accepted(uri: str) -> None:
    assert is_loopback_redirect(uri)


async def test_the_token_request_must_repeat_the_redirect_uri(client: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    code = await sign_in(client, "agent-alice", "agent", challenge)
    other = await exchange(client, code, verifier, redirect_uri="http://127.0.0.1:9999/")
    assert_oauth_error(other, "invalid_grant")


async def test_a_wrong_client_is_refused(client: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    page = await client.get("/dev-issuer/oauth2/authorize", params=authorize_params(challenge, client_id="x"))
    assert page.status_code == 400 and "location" not in page.headers
    code = await sign_in(client, "agent-alice", "agent", challenge)
    assert_oauth_error(await exchange(client, code, verifier, client_id="other-client"), "invalid_client")
    assert_oauth_error(
        await exchange(client, code, verifier, grant_type="password"), "unsupported_grant_type"
    )
    assert_oauth_error(await exchange(client, code, ""), "invalid_request")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
async def test_pkce_s256_and_the_code_flow_are_required(
    client: httpx.AsyncClient, overrides: dict[str, str], error: str
) -> None:
    params = authorize_params(pkce()[1], **overrides)
    response = await client.get("/dev-issuer/oauth2/authorize", params=params)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == [error] and query["state"] == [params["state"]]
    assert "code" not in query


async def test_a_bad_user_id_or_role_shows_the_form_again(client: httpx.AsyncClient) -> None:
    params = authorize_params(pkce()[1])
    for username, role in (("", "agent"), ("alice", "root"), ("<script>", "agent")):
        response = await client.post(
            "/dev-issuer/oauth2/authorize", data={**params, "username": username, "role": role}
        )
        assert response.status_code == 400 and "location" not in response.headers
        assert 'role="alert"' in response.text and "<script>" not in response.text


async def test_the_sign_in_page_allows_no_script_and_posts_only_to_itself_and_the_app(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/dev-issuer/oauth2/authorize", params=authorize_params(pkce()[1]))
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "form-action 'self' http://127.0.0.1:8000;" in csp
    assert "<script" not in page.text


async def test_logout_returns_to_a_loopback_logout_uri_only(client: httpx.AsyncClient) -> None:
    ok = await client.get("/dev-issuer/logout", params={"client_id": CLIENT, "logout_uri": REDIRECT})
    assert ok.status_code == 302 and ok.headers["location"] == REDIRECT
    for params in ({"client_id": CLIENT, "logout_uri": "https://evil.example/"}, {"client_id": "x"}):
        refused = await client.get("/dev-issuer/logout", params=params)
        assert refused.status_code == 400 and "location" not in refused.headers


async def test_development_serves_the_front_end_with_the_cdn_policy(client: httpx.AsyncClient) -> None:
    config = await client.get("/runtime-config.json")
    assert config.status_code == 200
    assert config.json() == {
        "apiBaseUrl": "/api",
        "auth": {"hostedUiUrl": "/dev-issuer", "clientId": CLIENT, "scopes": ["openid", "email", "profile"]},
    }
    index = await client.get("/")
    assert index.status_code == 200 and index.text == (WEB / "index.html").read_text()
    assert index.headers["content-type"].startswith("text/html")
    for name, media in (("app.js", "javascript"), ("style.css", "text/css")):
        response = await client.get(f"/{name}")
        assert response.status_code == 200 and media in response.headers["content-type"]
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
    assert index.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    unknown = await client.get("/api/no-such-thing")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


def test_the_development_policy_is_cdn_frontends_default() -> None:
    """Same policy CdnFrontend sends (the sign-in is on this origin, so no identity provider origin),
    less upgrade-insecure-requests, which would send a plain-HTTP development server's requests to https."""
    from cdk_casemgmt import ContentSecurityPolicy

    expected = ContentSecurityPolicy.for_single_page_app().without("upgrade-insecure-requests")
    assert CONTENT_SECURITY_POLICY == expected.render()


def test_the_schema_holds_none_of_the_development_routes(app: Any) -> None:
    paths = app.openapi()["paths"]
    assert not [p for p in paths if not p.startswith("/api/") and p not in ("/health", "/ready")]


@pytest.fixture
async def production_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        environment="production",
        database_url="postgresql+asyncpg://app:s3cr3t-value@127.0.0.1:1/app",
        cognito_issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE",
        cognito_client_ids=["abc"],
        cognito_user_pool_id="us-east-1_EXAMPLE",
        cursor_secret=secrets.token_urlsafe(32),
        web_dir=str(WEB),  # even when pointed at the folder explicitly
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_production_has_no_sign_in_and_serves_no_front_end(
    production_client: httpx.AsyncClient,
) -> None:
    for method, path in [
        ("GET", "/dev-issuer/oauth2/authorize"),
        ("POST", "/dev-issuer/oauth2/authorize"),
        ("POST", "/dev-issuer/oauth2/token"),
        ("GET", "/dev-issuer/logout"),
        ("GET", "/runtime-config.json"),
        ("GET", "/"),
        ("GET", "/index.html"),
        ("GET", "/app.js"),
    ]:
        response = await production_client.request(method, path)
        assert response.status_code == 404, (method, path)
        assert response.headers["content-type"] == "application/problem+json"


async def test_no_front_end_without_its_folder(settings_factory: Any, tmp_path: Path) -> None:
    for web_dir in ("", str(tmp_path / "missing")):
        app = create_app(settings_factory("postgresql+asyncpg://u@127.0.0.1:1/x", web_dir=web_dir))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            assert (await c.get("/")).status_code == 404
            assert (await c.get("/runtime-config.json")).status_code == 404
            assert (await c.get("/dev-issuer/oauth2/authorize")).status_code == 400  # sign-in stays


async def test_a_cognito_issuer_turns_the_development_sign_in_off(settings_factory: Any) -> None:
    issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE"
    settings = settings_factory("postgresql+asyncpg://u@127.0.0.1:1/x", cognito_issuer=issuer)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        for path in ("/dev-issuer/oauth2/authorize", "/runtime-config.json", "/"):
            assert (await c.get(path)).status_code == 404
    assert re.search(r"dev-issuer", str(app.openapi())) is None


async def test_production_serves_the_openapi_document_but_not_the_swagger_page(
    production_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    assert (await production_client.get("/api/docs")).status_code == 404
    document = await production_client.get("/api/openapi.json")
    assert document.status_code == 200 and "/api/cases" in document.json()["paths"]
    assert (await client.get("/api/docs")).status_code == 200  # development keeps it
