"""Identity: verifying Cognito access tokens (RS256, cached JWKS) and the principal they name.

Library: PyJWT. It is the most used JWT library on PyPI, verifies RS256 through ``cryptography``, checks
``exp``/``iss``/required claims itself, and parses JWKS documents (``PyJWKSet``). We fetch the JWKS
ourselves, off the event loop, at start-up and then cached by ``kid`` (refreshed every
``jwks_cache_s``, on an unknown ``kid`` no more than once a minute, with a backoff while fetches fail),
so no request ever waits on a synchronous fetch inside the loop — the mistake Netflix Dispatch makes.

Cognito access tokens carry no ``aud``: the checks are the signature, ``iss``, ``token_use ==
"access"``, ``client_id`` among the allowed app clients, and ``exp``. The role is the highest of the
token's ``cognito:groups`` (:mod:`reference_api.roles`). Outside production the development issuer
(:mod:`reference_api.dev.issuer`) signs tokens of the same shape, checked by the same verifier.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from .problems import ProblemError, problem_type, unavailable
from .roles import ROLES, STAFF, SUPERVISORS
from .settings import Settings

log = logging.getLogger("reference_api.auth")


@dataclass(frozen=True)
class Principal:
    sub: str
    role: str
    username: str | None = None

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


UNKNOWN_KID_REFRESH_S = 60.0
"""An unknown ``kid`` fetches the key set again at most this often (forged kids cannot make us hammer)."""
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 60.0
"""After a failed fetch no other is tried for 1 s, then 2, 4, ... up to a minute, until one succeeds."""


class JwksSource:
    """Keys by ``kid``: fetched over HTTPS (Cognito) or handed in (development issuer).

    The set is fetched at start-up (:meth:`load`, from the app's lifespan) and again when it is older
    than ``cache_s`` or a token names a ``kid`` it lacks (at most every ``UNKNOWN_KID_REFRESH_S``). "Never
    fetched" is its own state, not a time: a fresh task's monotonic clock starts near zero, so a
    timestamp of 0 would look recent. A failed fetch keeps the keys already verified (tokens they sign
    are still accepted) and backs off exponentially; until a fetch succeeds, a token whose key is not
    known gets 503 ``signing-keys-unavailable`` (the identity provider, not the token or the database, is
    the problem) and :meth:`problem` says so for the readiness check.
    """

    def __init__(
        self,
        url: str | None,
        *,
        cache_s: int,
        static: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        fetch: Callable[[str], dict[str, Any]] | None = None,
    ) -> None:
        self._url = url
        self._cache_s = cache_s
        self._clock = clock
        self._fetch = fetch or _fetch_json
        self._keys: dict[str, Any] = {}
        self.generation = 0  # bumped whenever the key set is (re)installed
        self.fetched_at: float | None = None  # last successful fetch; None: never
        self._attempted_at: float | None = None
        self._retry_at = -math.inf  # no fetch before this (backoff after failures)
        self.failures = 0  # consecutive failed fetches
        self.last_error: str | None = None
        self.attempts = 0
        self._lock = asyncio.Lock()
        if static is not None:
            self._install(static)

    def _install(self, document: dict[str, Any]) -> None:
        keys: dict[str, Any] = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid") and jwk.get("use", "sig") == "sig":
                keys[jwk["kid"]] = RSAAlgorithm.from_jwk(json.dumps(jwk))
        if not keys:
            raise ValueError("the JWKS holds no RSA signing key")
        self._keys = keys
        self.generation += 1

    async def load(self) -> None:
        """Fetch the key set now (start-up). A failure is recorded and backed off, never raised."""
        if self._url:
            await self._refresh(self.attempts)

    def _due(self, kid: str, now: float) -> bool:
        if not self._url or now < self._retry_at:
            return False
        if self.fetched_at is None or now - self.fetched_at >= self._cache_s:
            return True
        last = self._attempted_at if self._attempted_at is not None else -math.inf
        return kid not in self._keys and now - last >= UNKNOWN_KID_REFRESH_S

    async def _refresh(self, seen: int) -> None:
        async with self._lock:
            if self.attempts != seen:  # another request fetched while this one waited
                return
            self.attempts += 1
            self._attempted_at = self._clock()
            try:
                assert self._url is not None
                document = await asyncio.to_thread(self._fetch, self._url)
                self._install(document)
            except Exception as exc:  # any failure: keep the verified keys, back off
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                delay = min(BACKOFF_FIRST_S * 2 ** (self.failures - 1), BACKOFF_MAX_S)
                self._retry_at = self._clock() + delay
                log.warning(
                    "signing keys could not be fetched; keeping the verified ones",
                    extra={"error": self.last_error, "retry_in_s": delay, "keys": len(self._keys)},
                )
            else:
                self.failures = 0
                self.last_error = None
                self._retry_at = -math.inf
                self.fetched_at = self._clock()

    async def key(self, kid: str) -> Any:
        if self._due(kid, self._clock()):
            await self._refresh(self.attempts)
        try:
            return self._keys[kid]
        except KeyError:
            if self.failures:
                raise unavailable(
                    "signing-keys-unavailable",
                    "the identity provider's signing keys cannot be fetched right now; retry shortly",
                    retry_after_s=5,
                ) from None
            raise unauthorized("token signed by an unknown key") from None

    def problem(self) -> str | None:
        """What keeps tokens from being verified, for the readiness check; None when nothing does."""
        if self._keys:
            return None
        return f"the identity provider's signing keys are not fetched yet ({self.last_error or 'no attempt'})"

    def degraded(self) -> str | None:
        """Serving with keys fetched earlier while refreshing them fails; None otherwise."""
        if self._keys and self.failures:
            return f"signing keys could not be refreshed {self.failures} time(s): {self.last_error}"
        return None


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
