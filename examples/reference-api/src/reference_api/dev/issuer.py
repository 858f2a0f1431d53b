"""The development token issuer: access tokens shaped like Cognito's, signed with a local RSA key.

Its tokens carry exactly the claims of a Cognito access token (``ACCESS_TOKEN_CLAIMS``) and go through
the same :class:`~reference_api.auth.TokenVerifier` as Cognito's (signature,
``iss``, ``token_use``, ``client_id``, ``exp``, ``cognito:groups``); only the key set differs, handed in
instead of fetched. The key is kept in ``API_DEV_KEY_PATH`` so that tokens survive a restart.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from ..auth import JwksSource, TokenVerifier
from ..settings import Settings

ACCESS_TOKEN_CLAIMS = frozenset(
    {
        "sub", "cognito:groups", "iss", "client_id", "origin_jti", "event_id", "token_use", "scope",
        "auth_time", "exp", "iat", "jti", "username",
    }
)  # fmt: skip
"""The claims of a Cognito user pool access token (without device tracking or a pre-token-generation
trigger), as the Cognito developer guide's "Understanding the access token" lists them."""


class DevIssuer:
    """Signs tokens shaped like Cognito access tokens with a local RSA key (development only)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.allows_dev_tools:
            raise RuntimeError("the development token issuer is refused outside development")
        self.settings = settings
        self._key = _load_or_create_key(Path(settings.dev_key_path))
        public = self._key.public_key()
        jwk = json.loads(RSAAlgorithm.to_jwk(public))
        # RFC 7638 thumbprint: stable for the key, so tokens survive a restart.
        canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        self.jwks = {"keys": [jwk]}

    def verifier(self) -> TokenVerifier:
        """A verifier that trusts this issuer's key and client id only."""
        s = self.settings
        jwks = JwksSource(None, cache_s=s.jwks_cache_s, static=self.jwks)
        return TokenVerifier(
            issuer=s.dev_issuer, client_ids=[s.dev_client_id], jwks=jwks, cache_size=s.token_cache_size
        )

    def token(
        self,
        sub: str,
        role: str,
        *,
        ttl_s: int = 3600,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        """An access token with exactly the claims of a Cognito access token (no ``email``: Cognito's
        access tokens carry none, so nothing may depend on one); ``extra_claims`` replace some of them."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": sub,
            "cognito:groups": [role],
            "iss": self.settings.dev_issuer,
            "client_id": self.settings.dev_client_id,
            "origin_jti": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": now,
            "exp": now + ttl_s,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "username": sub,
        }
        claims.update(extra_claims or {})
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})


def _load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise RuntimeError(f"{path} is not an RSA private key")
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key
