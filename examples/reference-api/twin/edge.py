"""Stand-ins for what sits around the task: CloudFront, the Cognito hosted UI, and ECS's credentials endpoint.

One HTTP server on the loopback interface, told apart by the ``Host`` header the proxy passes on:

- the distribution's domain: the web front end from the site assets the template deploys (with the
  deployment's markers filled in, as the BucketDeployment does), under the response headers policy's
  headers (Content-Security-Policy and the rest, as synthesized), and ``/api/*`` forwarded to the tasks;
- the user pool domain's hosted UI: ``/oauth2/authorize``, ``/oauth2/token`` and ``/logout`` for the
  authorization code flow with PKCE, which moto does not have. It signs the user in against the stand-in
  Cognito's own API (SRP, then the TOTP challenge) and hands out the tokens Cognito issued, after the
  checks the hosted UI makes: known client, registered callback and logout URLs, allowed flow and scopes,
  S256 PKCE;
- ``/task-credentials``: the container credentials endpoint (``AWS_CONTAINER_CREDENTIALS_FULL_URI``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.client
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-authorization", "host"}


@dataclass
class Site:
    """What CloudFront serves: files by path, the response headers policy, and the API's origins."""

    files: dict[str, bytes]
    headers: dict[str, str]
    api_origins: list[tuple[str, int]]
    api_path: str = "/api/"


@dataclass
class HostedUi:
    """The hosted UI's state: the app client's registration, and codes waiting for their exchange."""

    client: dict[str, Any]
    sign_in: Callable[[str, str, str], dict[str, Any]]  # (username, password, totp) -> AuthenticationResult
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Edge:
    cloudfront_domain: str
    hosted_ui_domain: str
    site: Site | None = None
    hosted_ui: HostedUi | None = None
    credentials: dict[str, str] = field(default_factory=dict)
    api_requests: int = 0
    port: int = 0

    def start(self) -> None:
        edge = self

        class Handler(_Handler):
            pass

        Handler.edge = edge
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="twin-edge", daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()

    @property
    def credentials_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/task-credentials"


class _Handler(BaseHTTPRequestHandler):
    edge: Edge
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _dispatch(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        if host == self.edge.cloudfront_domain:
            self._cloudfront()
        elif host == self.edge.hosted_ui_domain:
            self._hosted_ui()
        elif self.path == "/task-credentials" and host == "127.0.0.1":
            body = json.dumps(self.edge.credentials).encode()
            self._send(200, body, {"Content-Type": "application/json"})
        else:
            self._send(404, b"no such host in the twin")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    # --- CloudFront --------------------------------------------------------------------------------

    def _cloudfront(self) -> None:
        site = self.edge.site
        assert site is not None
        if self.path.startswith(site.api_path):
            self._forward(site)
            return
        path = urlsplit(self.path).path
        if path.endswith("/"):
            path += "index.html"
        body = site.files.get(path.lstrip("/"))
        if body is None or self.command not in ("GET", "HEAD"):
            self._send(404 if body is None else 405, b"", site.headers)
            return
        suffix = Path(path).suffix
        self._send(
            200, body, {**site.headers, "Content-Type": CONTENT_TYPES.get(suffix, "application/octet-stream")}
        )

    def _forward(self, site: Site) -> None:
        """The /api/* behaviour: the request to a task (round robin, as the target group would)."""
        self.edge.api_requests += 1
        host, port = site.api_origins[self.edge.api_requests % len(site.api_origins)]
        body = self._body()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["X-Forwarded-Proto"] = "https"
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            data = response.read()
            out = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP | {"content-length"}}
        except OSError as exc:
            self._send(502, f"origin unreachable: {exc}".encode())
            return
        finally:
            connection.close()
        self._send(response.status, data, out)

    # --- the hosted UI -----------------------------------------------------------------------------

    def _hosted_ui(self) -> None:
        ui = self.edge.hosted_ui
        assert ui is not None
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/oauth2/authorize" and self.command == "GET":
            problem = _authorize_problem(ui.client, query)
            if problem:
                self._send(400, problem.encode(), {"Content-Type": "text/plain"})
                return
            self._send(200, _sign_in_page(query).encode(), {"Content-Type": "text/html; charset=utf-8"})
        elif url.path == "/login" and self.command == "POST":
            form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
            request = json.loads(base64.urlsafe_b64decode(form["request"]))
            problem = _authorize_problem(ui.client, request)
            if problem:
                self._send(400, problem.encode(), {"Content-Type": "text/plain"})
                return
            try:
                tokens = ui.sign_in(form["username"], form["password"], form["totp"])
            except Exception as exc:  # the page says why, as the hosted UI does
                self._send(401, f"sign-in refused: {exc}".encode(), {"Content-Type": "text/plain"})
                return
            code = secrets.token_urlsafe(24)
            ui.codes[code] = {"tokens": tokens, "request": request, "at": time.time()}
            target = (
                f"{request['redirect_uri']}?{urlencode({'code': code, 'state': request.get('state', '')})}"
            )
            self._send(302, b"", {"Location": target})
        elif url.path == "/oauth2/token" and self.command == "POST":
            self._token(ui)
        elif url.path == "/oauth2/token" and self.command == "OPTIONS":
            self._send(204, b"", self._cors())
        elif url.path == "/logout" and self.command == "GET":
            if query.get("client_id") != ui.client["ClientId"] or query.get(
                "logout_uri"
            ) not in ui.client.get("LogoutURLs", []):
                self._send(400, b"logout_uri is not a registered sign-out URL of this client")
                return
            self._send(302, b"", {"Location": query["logout_uri"]})
        else:
            self._send(404, b"")

    def _cors(self) -> dict[str, str]:
        origin = self.headers.get("Origin")
        return {
            "Access-Control-Allow-Origin": origin or "*",
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "content-type",
        }

    def _token(self, ui: HostedUi) -> None:
        form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
        pending = ui.codes.pop(form.get("code", ""), None)
        error = ""
        if form.get("grant_type") != "authorization_code" or pending is None:
            error = "invalid_grant"
        else:
            request = pending["request"]
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                form.get("client_id") != request["client_id"]
                or form.get("redirect_uri") != request["redirect_uri"]
                or challenge != request.get("code_challenge")
                or time.time() - pending["at"] > 300
            ):
                error = "invalid_grant"
        headers = {**self._cors(), "Content-Type": "application/json"}
        if error or pending is None:
            self._send(400, json.dumps({"error": error}).encode(), headers)
            return
        tokens = pending["tokens"]
        body = {
            "access_token": tokens["AccessToken"],
            "id_token": tokens["IdToken"],
            "refresh_token": tokens.get("RefreshToken"),
            "token_type": "Bearer",
            "expires_in": tokens["ExpiresIn"],
        }
        self._send(200, json.dumps(body).encode(), headers)


def _authorize_problem(client: dict[str, Any], query: dict[str, str]) -> str | None:
    """The hosted UI's checks of an authorization request against the app client's registration."""
    if query.get("client_id") != client["ClientId"]:
        return "unknown client_id"
    if query.get("response_type") != "code" or "code" not in client.get("AllowedOAuthFlows", []):
        return "response_type must be code, and the client must allow the code flow"
    if query.get("redirect_uri") not in client.get("CallbackURLs", []):
        return f"redirect_uri {query.get('redirect_uri')} is not a callback URL of this client"
    scopes = set((query.get("scope") or "").split())
    if not scopes <= set(client.get("AllowedOAuthScopes", [])):
        return f"scopes {sorted(scopes)} not all allowed"
    if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
        return "PKCE with S256 is required for a public client"
    return None


def _sign_in_page(query: dict[str, str]) -> str:
    request = base64.urlsafe_b64encode(json.dumps(query).encode()).decode()
    return f"""<!doctype html><title>Sign in (twin)</title><link rel="icon" href="data:,">
<form method="post" action="/login">
<input type="hidden" name="request" value="{html.escape(request)}">
<label>E-mail <input id="username" name="username" autocomplete="username"></label>
<label>Password <input id="password" name="password" type="password"></label>
<label>Authenticator code <input id="totp" name="totp" inputmode="numeric"></label>
<button id="submit" type="submit">Sign in</button>
</form>"""
