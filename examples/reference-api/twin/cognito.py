"""Signing in to a Cognito user pool as a browser client does: SRP, then the TOTP challenge of MFA.

The web app client the stack defines allows ``USER_SRP_AUTH`` (and refresh) only, and the user pool
requires TOTP MFA, so that is the flow used here: ``InitiateAuth`` with SRP_A, ``PASSWORD_VERIFIER``
answered with the password claim signature, then ``MFA_SETUP`` (first sign-in: associate an
authenticator and verify a code) or ``SOFTWARE_TOKEN_MFA``. Codes are RFC 6238 TOTP computed from
the secret Cognito handed out. (moto checks the TOTP codes but not the SRP proof: see docs/twin.md.)
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# RFC 5054's 3072-bit group, the one Cognito's SRP uses; generator 2.
N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
INFO = b"Caldera Derived Key"


def _hex(n: int) -> str:
    """Cognito's padding: even length, and a leading 00 when the high bit is set."""
    text = f"{n:x}"
    if len(text) % 2:
        text = "0" + text
    elif text[0] in "89abcdef":
        text = "00" + text
    return text


def _hash_hex(hex_text: str) -> int:
    return int(hashlib.sha256(bytes.fromhex(hex_text)).hexdigest(), 16)


K = _hash_hex("00" + N_HEX + "0" + f"{G:x}")


def totp(secret_b32: str, at: float | None = None, digits: int = 6, step_s: int = 30) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), what an authenticator app shows for Cognito's secret."""
    padded = secret_b32 + "=" * (-len(secret_b32) % 8)
    key = base64.b32decode(padded, casefold=True)
    counter = int((time.time() if at is None else at) // step_s)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


@dataclass
class SrpClient:
    pool_id: str
    username: str
    password: str

    def __post_init__(self) -> None:
        self.a = int.from_bytes(os.urandom(128), "big") % N
        self.A = pow(G, self.a, N)

    @property
    def srp_a(self) -> str:
        return f"{self.A:x}"

    def password_claim(
        self, challenge: dict[str, str], now: datetime.datetime | None = None
    ) -> dict[str, str]:
        user_id = challenge["USER_ID_FOR_SRP"]
        B = int(challenge["SRP_B"], 16)
        salt = int(challenge["SALT"], 16)
        u = _hash_hex(_hex(self.A) + _hex(B))
        pool_name = self.pool_id.split("_", 1)[1]
        identity = hashlib.sha256(f"{pool_name}{user_id}:{self.password}".encode()).hexdigest()
        x = _hash_hex(_hex(salt) + identity)
        S = pow(B - K * pow(G, x, N), self.a + u * x, N)
        prk = hmac.new(bytes.fromhex(_hex(u)), bytes.fromhex(_hex(S)), hashlib.sha256).digest()
        key = hmac.new(prk, INFO + b"\x01", hashlib.sha256).digest()[:16]
        now = now or datetime.datetime.now(datetime.timezone.utc)
        timestamp = f"{now:%a %b} {now.day} {now:%H:%M:%S} UTC {now:%Y}"
        try:
            secret_block = base64.b64decode(challenge["SECRET_BLOCK"], validate=True)
        except binascii.Error:  # moto's secret block is a plain session id
            secret_block = challenge["SECRET_BLOCK"].encode()
        message = pool_name.encode() + user_id.encode() + secret_block + timestamp.encode()
        signature = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
        return {
            "USERNAME": user_id,
            "PASSWORD_CLAIM_SECRET_BLOCK": challenge["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": signature,
            "TIMESTAMP": timestamp,
        }


class TotpRefused(Exception):
    pass


def sign_in(
    idp: Any,
    pool_id: str,
    client_id: str,
    username: str,
    password: str,
    authenticator: dict[str, str],
    code: Callable[[str], str] = totp,
) -> dict[str, Any]:
    """Sign in through the client's SRP flow; ``authenticator`` keeps the TOTP secret between sign-ins,
    ``code`` is what the user types from the authenticator (by default: the right code).

    Returns Cognito's ``AuthenticationResult`` (AccessToken, IdToken, RefreshToken, ExpiresIn).
    """
    srp = SrpClient(pool_id, username, password)
    started = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": username, "SRP_A": srp.srp_a},
    )
    responses: dict[str, str] = srp.password_claim(started["ChallengeParameters"])
    user_id = responses["USERNAME"]
    step = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=started["Session"],
        ChallengeResponses=responses,
    )
    for _ in range(3):
        if "AuthenticationResult" in step:
            result: dict[str, Any] = step["AuthenticationResult"]
            return result
        challenge = step["ChallengeName"]
        if challenge == "MFA_SETUP":
            associated = idp.associate_software_token(Session=step["Session"])
            authenticator["secret"] = associated["SecretCode"]
            verified = idp.verify_software_token(
                Session=associated.get("Session", step["Session"]), UserCode=code(authenticator["secret"])
            )
            step = idp.respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName="MFA_SETUP",
                Session=verified.get("Session", step["Session"]),
                ChallengeResponses={"USERNAME": user_id},
            )
        elif challenge == "SOFTWARE_TOKEN_MFA":
            if "secret" not in authenticator:
                raise TotpRefused("the user has no authenticator set up")
            step = idp.respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=step["Session"],
                ChallengeResponses={
                    "USERNAME": user_id,
                    "SOFTWARE_TOKEN_MFA_CODE": code(authenticator["secret"]),
                },
            )
        else:
            raise RuntimeError(f"unexpected challenge {challenge}: {step}")
    raise RuntimeError(f"sign-in did not finish: {step}")
