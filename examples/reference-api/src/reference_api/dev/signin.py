"""Development sign-in that mirrors the Cognito hosted UI's OAuth 2.0 endpoints (development only).

The web front end signs in with the authorization code grant and PKCE against
``{hostedUiUrl}/oauth2/authorize`` and ``{hostedUiUrl}/oauth2/token`` and signs out through
``{hostedUiUrl}/logout``. In development ``hostedUiUrl`` is ``/dev-issuer`` on the API itself, so the
front end runs locally on exactly the code path it runs on in AWS, and the access tokens come from the
development issuer (:class:`~reference_api.dev.issuer.DevIssuer`), verified like Cognito's.

What is checked, as Cognito checks it:

- ``client_id`` is the development app client and ``redirect_uri`` an absolute ``http(s)`` URL on a
  loopback host (127.0.0.0/8, ``[::1]``, ``localhost``), any port: both are checked before anything
  is redirected, and a failure is a 400 page, never a redirect to an unchecked address;
- ``response_type=code`` and a ``code_challenge`` with ``code_challenge_method=S256`` (plain PKCE and
  no PKCE are refused), reported to the ``redirect_uri`` as ``error``/``error_description`` with the
  ``state``;
- codes are random, single-use (any redemption attempt spends the code) and live
  ``CODE_TTL_S`` seconds; the token request must repeat the same ``client_id`` and ``redirect_uri`` and
  carry the verifier whose SHA-256 is the challenge. Errors are OAuth 2.0 JSON (``invalid_grant`` ...)
  with status 400.

There is no password: the form takes a user id and a role. The routes exist only while the development
issuer does (no ``API_COGNITO_ISSUER``, never in production) and are left out of the OpenAPI schema.
"""

from __future__ import annotations

import base64
import hashlib
import html
import ipaddress
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import orjson
from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..roles import ROLES
from ..settings import Settings
from .demo import DEMO_USERS
from .issuer import DevIssuer

PREFIX = "/dev-issuer"
CODE_TTL_S = 300  # Cognito's authorization codes are valid for five minutes
TOKEN_TTL_S = 3600  # like the reference deployment's web client (access tokens: 1 h)
MAX_OUTSTANDING_CODES = 1000
MAX_FORM_BYTES = 16 * 1024
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest, no padding
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1
_USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_loopback_redirect(uri: str) -> bool:
    """An absolute http(s) URL on a loopback host, without credentials or fragment."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018  # raises ValueError on a malformed port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host or parts.fragment or "@" in parts.netloc:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    sub: str
    role: str
    scope: str
    expires_at: float


class AuthorizationCodes:
    """Outstanding authorization codes, in this process's memory (one development server)."""

    def __init__(self, ttl_s: float = CODE_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._codes: dict[str, Grant] = {}

    def issue(self, **grant: Any) -> str:
        now = self.clock()
        self._codes = {c: g for c, g in self._codes.items() if g.expires_at > now}
        if len(self._codes) >= MAX_OUTSTANDING_CODES:
            self._codes.pop(next(iter(self._codes)))
        code = secrets.token_urlsafe(32)
        self._codes[code] = Grant(expires_at=now + self.ttl_s, **grant)
        return code

    def redeem(self, code: str) -> Grant | None:
        """The grant behind ``code``, spending the code; None when unknown, spent or expired."""
        grant = self._codes.pop(code, None)
        if grant is None or grant.expires_at <= self.clock():
            return None
        return grant


def _with_query(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def _oauth_error(error: str, description: str) -> Response:
    body = orjson.dumps({"error": error, "error_description": description})
    return Response(body, status_code=400, media_type="application/json", headers=_NO_STORE)


def _page(title: str, body: str, *, status: int = 200, form_targets: str = "'self'") -> HTMLResponse:
    document = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
        f"{body}\n</body>\n</html>\n"
    )
    csp = (
        f"default-src 'none'; img-src data:; form-action {form_targets}; frame-ancestors 'none'; "
        "base-uri 'none'"
    )
    headers = {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", **_NO_STORE}
    return HTMLResponse(document, status_code=status, headers=headers)


async def _form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body, first value of each field (no python-multipart)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in fields.items()}


def build_router(settings: Settings, issuer: DevIssuer, codes: AuthorizationCodes) -> APIRouter:
    router = APIRouter(prefix=PREFIX, include_in_schema=False)
    client_id = settings.dev_client_id

    def check(params: dict[str, str]) -> Response | None:
        """None when the request may go on; else the refusal (a page, or an error redirect)."""
        if params.get("client_id") != client_id:
            return _page("Sign-in refused", "<p>Unknown client_id.</p>", status=400)
        redirect_uri = params.get("redirect_uri", "")
        if not is_loopback_redirect(redirect_uri):
            return _page(
                "Sign-in refused",
                "<p>redirect_uri must be an http(s) URL on a loopback host in development.</p>",
                status=400,
            )
        error = None
        if params.get("response_type") != "code":
            error = ("unsupported_response_type", "response_type must be code")
        elif params.get("code_challenge_method") != "S256" or not _CHALLENGE.match(
            params.get("code_challenge", "")
        ):
            error = ("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")
        if error is None:
            return None
        reply = {"error": error[0], "error_description": error[1]}
        if params.get("state"):
            reply["state"] = params["state"]
        return RedirectResponse(_with_query(redirect_uri, reply), status_code=302, headers=_NO_STORE)

    def sign_in_form(params: dict[str, str], *, message: str = "", status: int = 200) -> Response:
        carried: tuple[str, ...] = ("response_type", "client_id", "redirect_uri", "state", "scope")
        carried += ("code_challenge", "code_challenge_method")
        hidden = "\n".join(
            f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
            for name in carried
            if name in params
        )
        roles = "".join(f'<option value="{r}">{r}</option>' for r in ROLES)
        demo = "\n".join(
            f'<li><button type="submit" name="demo_user" value="{html.escape(sub)}" formnovalidate>'
            f"{html.escape(sub)}</button> ({role})</li>"
            for sub, role in DEMO_USERS
        )
        error = f'<p role="alert" id="error">{html.escape(message)}</p>' if message else ""
        body = f"""<p>Development sign-in: no password. In AWS this page is Cognito's hosted UI.</p>
{error}
<form method="post" action="{PREFIX}/oauth2/authorize">
{hidden}
<p><label>User id <input name="username" id="username" required autocomplete="username"></label></p>
<p><label>Role <select name="role" id="role">{roles}</select></label></p>
<p><button type="submit" id="submit">Sign in</button></p>
<h2>Demo users</h2>
<ul>
{demo}
</ul>
</form>"""
        targets = "'self'" + (f" {_origin(params['redirect_uri'])}")
        return _page("Sign in", body, status=status, form_targets=targets)

    @router.get("/oauth2/authorize")
    async def authorize(request: Request) -> Response:
        params = dict(request.query_params)
        return check(params) or sign_in_form(params)

    @router.post("/oauth2/authorize")
    async def authorize_submit(request: Request) -> Response:
        params = await _form(request)
        refused = check(params)
        if refused is not None:
            return refused
        demo_roles = dict(DEMO_USERS)
        if params.get("demo_user"):
            sub = params["demo_user"]
            role = demo_roles.get(sub, "")
        else:
            sub, role = params.get("username", "").strip(), params.get("role", "")
        if not _USER_ID.match(sub) or role not in ROLES:
            message = "Enter a user id (letters, digits, . _ @ + -; at most 64) and choose a role."
            return sign_in_form(params, message=message, status=400)
        code = codes.issue(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            code_challenge=params["code_challenge"],
            sub=sub,
            role=role,
            scope=params.get("scope", ""),
        )
        reply = {"code": code}
        if params.get("state"):
            reply["state"] = params["state"]
        location = _with_query(params["redirect_uri"], reply)
        return RedirectResponse(location, status_code=302, headers=_NO_STORE)

    @router.post("/oauth2/token")
    async def token(request: Request) -> Response:
        params = await _form(request)
        if params.get("grant_type") != "authorization_code":
            return _oauth_error("unsupported_grant_type", "grant_type must be authorization_code")
        missing = [n for n in ("code", "code_verifier", "redirect_uri", "client_id") if not params.get(n)]
        if missing:
            return _oauth_error("invalid_request", f"missing {', '.join(missing)}")
        if params["client_id"] != client_id:
            return _oauth_error("invalid_client", "unknown client_id")
        grant = codes.redeem(params["code"])
        if grant is None:
            return _oauth_error("invalid_grant", "the code is unknown, used or expired")
        if grant.client_id != params["client_id"] or grant.redirect_uri != params["redirect_uri"]:
            return _oauth_error("invalid_grant", "client_id or redirect_uri differ from the authorization")
        verifier = params["code_verifier"]
        if not _VERIFIER.match(verifier) or not secrets.compare_digest(s256(verifier), grant.code_challenge):
            return _oauth_error("invalid_grant", "code_verifier does not match the code_challenge")
        access = issuer.token(
            grant.sub,
            grant.role,
            ttl_s=TOKEN_TTL_S,
            extra_claims={"scope": grant.scope} if grant.scope else None,
        )
        body = orjson.dumps({"access_token": access, "token_type": "Bearer", "expires_in": TOKEN_TTL_S})
        return Response(body, media_type="application/json", headers=_NO_STORE)

    @router.get("/logout")
    async def logout(request: Request) -> Response:
        """Cognito's ``/logout``: back to ``logout_uri`` (the dev issuer keeps no session to end)."""
        logout_uri = request.query_params.get("logout_uri", "")
        if request.query_params.get("client_id") != client_id or not is_loopback_redirect(logout_uri):
            return _page("Sign-out refused", "<p>Unknown client_id or logout_uri.</p>", status=400)
        return RedirectResponse(logout_uri, status_code=302, headers=_NO_STORE)

    return router
