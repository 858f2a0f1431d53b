"""The verified-token memory (auth.TokenVerifier): it saves the PyJWT work and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from reference_api import auth
from reference_api.dev.issuer import DevIssuer

pytestmark = pytest.mark.anyio


async def test_a_remembered_token_still_expires(
    client: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier: auth.TokenVerifier = app.state.verifier
    token = app.state.dev_issuer.token("cache-exp", "agent", ttl_s=60)
    first = await verifier.verify(token)
    assert await verifier.verify(token) is first  # answered from memory
    real_time = auth.time.time
    monkeypatch.setattr(auth.time, "time", lambda: real_time() + 3600)
    calls = []
    original = verifier._verify

    async def spy(t: str) -> Any:
        calls.append(t)
        return await original(t)

    monkeypatch.setattr(verifier, "_verify", spy)
    await verifier.verify(token)  # past exp: verified again (PyJWT's own clock then decides)
    assert calls == [token]


async def test_memory_is_forgotten_when_the_keys_change(
    client: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier: auth.TokenVerifier = app.state.verifier
    token = app.state.dev_issuer.token("cache-jwks", "agent")
    await verifier.verify(token)
    monkeypatch.setattr(verifier.jwks, "generation", verifier.jwks.generation + 1)
    monkeypatch.setattr(verifier.jwks, "_keys", {})  # the signing key was withdrawn
    with pytest.raises(auth.ProblemError) as refused:
        await verifier.verify(token)
    assert refused.value.detail == "token signed by an unknown key"


async def test_failures_are_not_remembered(app: Any) -> None:
    verifier: auth.TokenVerifier = app.state.verifier
    token = app.state.dev_issuer.token("cache-fail", "agent", ttl_s=-60)
    for _ in range(2):
        with pytest.raises(auth.ProblemError):
            await verifier.verify(token)
    assert token not in verifier._verified


async def test_cache_size_zero_verifies_every_request(app: Any, settings_factory: Any) -> None:
    """``API_TOKEN_CACHE_SIZE=0`` turns the memory off (how the benchmark measures full RS256 checks)."""
    settings = settings_factory("postgresql://unused/db", token_cache_size=0)
    dev = DevIssuer(settings)
    verifier = dev.verifier()
    assert verifier.cache_size == 0
    token = dev.token("cache-off", "agent")
    first = await verifier.verify(token)
    second = await verifier.verify(token)
    assert first == second and first is not second  # verified twice, nothing remembered
    assert verifier._verified == {}
