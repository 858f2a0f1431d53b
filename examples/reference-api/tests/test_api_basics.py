"""Health, readiness, identity and the problem+json contract."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

pytestmark = pytest.mark.anyio

PROBLEM = "application/problem+json"


async def test_health_is_shallow_and_public(client: httpx.AsyncClient) -> None:
    r = await client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert r.headers["x-request-id"]


async def test_ready_checks_the_database(client: httpx.AsyncClient) -> None:
    r = await client.get("/ready")
    assert r.status_code == 200
    assert r.json() == {"status": "ready"}


async def test_request_id_is_kept_when_sane(client: httpx.AsyncClient) -> None:
    r = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/health", headers={"X-Request-ID": "bad id\x01"})
    assert r.headers["x-request-id"] != "bad id\x01"


async def test_no_api_response_may_be_cached_or_sniffed(client: httpx.AsyncClient, auth: Any) -> None:
    """Case data must not stay in a browser, proxy or CDN cache, errors included."""
    for response in (
        await client.get("/api/me", headers=auth("cache-1", "agent")),
        await client.get("/api/cases", headers=auth("cache-1", "agent")),
        await client.get("/api/me"),  # 401 problem
        await client.get("/api/nowhere", headers=auth("cache-1", "agent")),  # 404 problem
    ):
        assert response.headers["cache-control"] == "no-store", response.request.url
        assert response.headers["x-content-type-options"] == "nosniff"
    health = await client.get("/health")
    assert "cache-control" not in health.headers and health.headers["x-content-type-options"] == "nosniff"


async def test_missing_token_is_a_401_problem(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/me")
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == 401
    assert body["title"] == "Unauthorized"
    assert body["instance"] == "/api/me"
    assert body["request_id"] == r.headers["x-request-id"]
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_me_reports_the_role_from_cognito_groups(client: httpx.AsyncClient, auth: Any) -> None:
    r = await client.get("/api/me", headers=auth("alice", "agent"))
    assert r.status_code == 200
    assert r.json() == {"sub": "alice", "role": "agent", "username": "alice", "email": "alice@example.com"}


async def test_highest_group_wins(client: httpx.AsyncClient, token: Any) -> None:
    t = token("bob", "client", extra_claims={"cognito:groups": ["client", "manager"]})
    r = await client.get("/api/me", headers={"Authorization": f"Bearer {t}"})
    assert r.json()["role"] == "manager"


async def test_user_without_a_role_is_forbidden(client: httpx.AsyncClient, token: Any) -> None:
    t = token("nobody", "client", extra_claims={"cognito:groups": ["other"]})
    r = await client.get("/api/me", headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 403
    assert r.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("issued", "detail"),
    [
        pytest.param({"extra_claims": {"token_use": "id"}}, "an access token is required", id="id-token"),
        pytest.param(
            {"extra_claims": {"client_id": "someone-else"}},
            "token issued to an unknown client",
            id="other-client",
        ),
        pytest.param({"ttl_s": -60}, "token expired", id="expired"),
    ],
)
async def test_tokens_are_refused_naming_why(
    client: httpx.AsyncClient, token: Any, issued: dict[str, Any], detail: str
) -> None:
    t = token("alice", "agent", **issued)
    r = await client.get("/api/me", headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 401
    assert r.json()["detail"] == detail


async def test_wrong_issuer_is_refused(client: httpx.AsyncClient, token: Any) -> None:
    t = token("alice", "agent", extra_claims={"iss": "https://evil.example.com"})
    r = await client.get("/api/me", headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 401
    assert r.json()["detail"].startswith("invalid token")


async def test_forged_signature_is_refused(client: httpx.AsyncClient, app: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    good = jwt.decode(app.state.dev_issuer.token("alice", "admin"), options={"verify_signature": False})
    forged = jwt.encode(good, other_key, algorithm="RS256", headers={"kid": app.state.dev_issuer.kid})
    r = await client.get("/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


async def test_hs256_tokens_are_refused(client: httpx.AsyncClient, app: Any) -> None:
    good = jwt.decode(app.state.dev_issuer.token("alice", "admin"), options={"verify_signature": False})
    forged = jwt.encode(good, "x" * 32, algorithm="HS256", headers={"kid": app.state.dev_issuer.kid})
    r = await client.get("/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    assert r.json()["detail"] == "token must be RS256 with a kid"


async def test_unknown_route_is_a_problem(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/nope")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM


async def test_validation_errors_are_problems(client: httpx.AsyncClient, auth: Any) -> None:
    r = await client.post("/api/cases", json={"title": ""}, headers=auth("alice", "agent"))
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["type"] == "urn:reference-api:problem:validation"
    assert body["errors"][0]["loc"] == ["body", "title"]


async def test_malformed_json_is_a_problem(client: httpx.AsyncClient, auth: Any) -> None:
    r = await client.post(
        "/api/cases",
        content=b"{not json",
        headers={**auth("alice", "agent"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM


async def test_an_unhandled_error_is_answered_inside_the_app(app_db: Any) -> None:
    """The 500 is sent by the app, not re-raised to the server, which would log it again and close the
    keep-alive connection under the client's next request (a 502 behind the ALB)."""
    from reference_api.app import create_app

    app = create_app(app_db.settings, db=app_db)

    async def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom, include_in_schema=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)  # a re-raise fails the test
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        r = await c.get("/boom", headers={"X-Request-ID": "boom-1"})
    assert r.status_code == 500
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["x-request-id"] == "boom-1"
    assert r.json()["request_id"] == "boom-1"
    assert "a bug" not in r.text


async def test_large_responses_are_compressed_for_clients_that_ask(
    client: httpx.AsyncClient, auth: Any
) -> None:
    """/api/* is never cached by CloudFront, which then does not compress: the API does."""
    h = auth("gzip-1", "admin")
    for i in range(12):
        created = await client.post("/api/cases", headers=h, json={"title": f"Compressible case {i}"})
        assert created.status_code == 201
    page = await client.get("/api/cases", headers={**h, "Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip" and page.headers["vary"] == "Accept-Encoding"
    assert int(page.headers["content-length"]) < len(page.content) / 2  # httpx decoded it
    assert len(page.json()["items"]) >= 12
    assert page.headers["cache-control"] == "no-store"
    plain = await client.get("/api/cases", headers={**h, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == page.json()
    small = await client.get("/api/me", headers={**h, "Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # under 1 KB: not worth it
