"""Identity: verifying Cognito access tokens (RS256, cached JWKS) and the principal they name.

Library: PyJWT. It is the most used JWT library on PyPI, verifies RS256 through ``cryptography``, checks
``exp``/``iss``/required claims itself, and parses JWKS documents (``PyJWKSet``). We fetch the JWKS
ourselves, off the event loop, and cache it by ``kid`` (refreshed at most every ``jwks_cache_s``, and
on an unknown ``kid`` no more than once a minute), so no request ever waits on a synchronous fetch
inside the loop — the mistake Netflix Dispatch makes.

Cognito access tokens carry no ``aud``: the checks are the signature, ``iss``, ``token_use ==
"access"``, ``client_id`` among the allowed app clients, and ``exp``. The role is the highest of the
token's ``cognito:groups`` (:mod:`reference_api.roles`). Outside production the development issuer
(:mod:`reference_api.dev.issuer`) signs tokens of the same shape, checked by the same verifier.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from .problems import ProblemError, problem_type
from .roles import ROLES, STAFF, SUPERVISORS
from .settings import Settings


@dataclass(frozen=True)
class Principal:
    sub: str
    role: str
    username: str | None = None
    email: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    @property
    def is_supervisor(self) -> bool:
        return self.role in SUPERVISORS


def role_from_groups(groups: list[str] | tuple[str, ...]) -> str | None:
    for role in ROLES:
        if role in groups:
            return role
    return None


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(
        401,
        detail,
        type_=problem_type("unauthenticated"),
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


class JwksSource:
    """Keys by ``kid``: fetched over HTTPS (Cognito) or handed in (development issuer)."""

    def __init__(self, url: str | None, *, cache_s: int, static: dict[str, Any] | None = None) -> None:
        self._url = url
        self._cache_s = cache_s
        self._keys: dict[str, Any] = {}
        self.generation = 0  # bumped whenever the key set is (re)installed
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        if static is not None:
            self._install(static)
            self._fetched_at = float("inf")

    def _install(self, document: dict[str, Any]) -> None:
        keys: dict[str, Any] = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid") and jwk.get("use", "sig") == "sig":
                keys[jwk["kid"]] = RSAAlgorithm.from_jwk(json.dumps(jwk))
        self._keys = keys
        self.generation += 1

    async def key(self, kid: str) -> Any:
        now = time.monotonic()
        stale = now - self._fetched_at > self._cache_s
        missing = kid not in self._keys and now - self._fetched_at > 60
        if self._url and (stale or missing):
            async with self._lock:
                if time.monotonic() - self._fetched_at > 1:
                    document = await asyncio.to_thread(_fetch_json, self._url)
                    self._install(document)
                    self._fetched_at = time.monotonic()
        try:
            return self._keys[kid]
        except KeyError:
            raise unauthorized("token signed by an unknown key") from None


def _fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:
        data: dict[str, Any] = json.loads(response.read())
        return data


LEEWAY_S = 5


class TokenVerifier:
    """Verifies an access token and returns the principal. One code path for Cognito and dev tokens.

    A client sends the same access token with every request for its lifetime (an hour for Cognito),
    and PyJWT needs about 0.3 ms of CPU to parse and verify one (measured; a third of it is base64
    decoding), a tenth of a database read's server time. So successful verifications are remembered
    by the exact token string until the token's own ``exp``: a hit re-checks the expiry and nothing
    else, because the string is byte-for-byte the one whose signature and claims were checked. The
    memory is bounded (``cache_size`` entries, emptied when full) and forgotten whenever the JWKS is
    re-installed, so a key Cognito withdraws stops being trusted at the next JWKS refresh. Failures are
    never remembered.
    """

    def __init__(
        self, *, issuer: str, client_ids: list[str], jwks: JwksSource, cache_size: int = 10_000
    ) -> None:
        self.issuer = issuer
        self.client_ids = frozenset(client_ids)
        self.jwks = jwks
        self.cache_size = cache_size
        self._verified: dict[str, tuple[Principal, float]] = {}
        self._generation = jwks.generation

    async def verify(self, token: str) -> Principal:
        hit = self._verified.get(token)
        if hit is not None and self._generation == self.jwks.generation:
            principal, expires_at = hit
            if time.time() < expires_at:
                return principal
            del self._verified[token]
        principal, expires_at = await self._verify(token)
        if self._generation != self.jwks.generation:
            self._verified.clear()
            self._generation = self.jwks.generation
        if self.cache_size:
            if len(self._verified) >= self.cache_size:
                self._verified.clear()
            self._verified[token] = (principal, expires_at)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthorized("malformed token") from None
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise unauthorized("token must be RS256 with a kid")
        key = await self.jwks.key(header["kid"])
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iss", "sub", "token_use", "client_id"], "verify_aud": False},
                leeway=LEEWAY_S,
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("token expired") from None
        except jwt.PyJWTError as exc:
            raise unauthorized(f"invalid token: {exc}") from None
        if claims.get("token_use") != "access":
            raise unauthorized("an access token is required")
        if claims.get("client_id") not in self.client_ids:
            raise unauthorized("token issued to an unknown client")
        groups = claims.get("cognito:groups") or []
        if not isinstance(groups, list):
            raise unauthorized("cognito:groups must be a list")
        role = role_from_groups(groups)
        if role is None:
            raise ProblemError(403, f"no role: the user belongs to none of {', '.join(ROLES)}")
        principal = Principal(
            sub=str(claims["sub"]),
            role=role,
            username=claims.get("username"),
            email=claims.get("email"),
        )
        return principal, float(claims["exp"]) + LEEWAY_S


def cognito_verifier(settings: Settings) -> TokenVerifier:
    """The verifier for the user pool ``API_COGNITO_ISSUER`` names and its app clients."""
    if not settings.cognito_issuer:
        raise RuntimeError("API_COGNITO_ISSUER is not set")
    issuer = settings.cognito_issuer.rstrip("/")
    jwks = JwksSource(f"{issuer}/.well-known/jwks.json", cache_s=settings.jwks_cache_s)
    return TokenVerifier(
        issuer=issuer, client_ids=settings.cognito_client_ids, jwks=jwks, cache_size=settings.token_cache_size
    )
