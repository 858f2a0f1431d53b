"""The web front end served by the API in development (in AWS, CdnFrontend serves it from S3).

``web/`` is served at ``/`` and ``/runtime-config.json`` points the front end at this API (``/api``)
and at the development sign-in (``/dev-issuer``, see :mod:`reference_api.dev.signin`), so ``make api``
shows the same front end, on the same code path, that CloudFront serves in AWS. Every file is sent
with the Content-Security-Policy that CdnFrontend sends by default
(``ContentSecurityPolicy.for_single_page_app()``; the sign-in is on this origin here, so no identity
provider origin is added): scripts from this origin only, no inline script, so a regression that adds
one fails here as it would in AWS. ``upgrade-insecure-requests`` is left out: this server is plain HTTP.

One route per file found at start (no catch-all), so nothing under ``/api`` is shadowed and unknown
paths keep their problem+json 404. Never in production: the container image excludes ``web/`` and the
routes are only added when the environment is development or test and the development issuer exists.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import orjson
from fastapi import APIRouter
from starlette.responses import FileResponse, Response

from ..settings import Settings
from .signin import PREFIX

# CdnFrontend's default policy without upgrade-insecure-requests (see the module docstring).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-src 'none'; form-action 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cache-Control": "no-cache",
}
SCOPES = ["openid", "email", "profile"]
# The example's web/ beside src/ when the package is installed in place (editable, as `make install`
# does); an installed wheel has no such folder, so nothing is served.
DEFAULT_WEB_DIR = Path(__file__).resolve().parents[3] / "web"


def web_dir(settings: Settings) -> Path | None:
    """The folder to serve, or None (``API_WEB_DIR=""`` turns serving off)."""
    if settings.web_dir is not None:
        return Path(settings.web_dir) if settings.web_dir else None
    return DEFAULT_WEB_DIR


def runtime_config(settings: Settings) -> dict[str, object]:
    """What CdnFrontend writes at deploy time, pointed at this server."""
    return {
        "apiBaseUrl": "/api",
        "auth": {"hostedUiUrl": PREFIX, "clientId": settings.dev_client_id, "scopes": SCOPES},
    }


def build_router(settings: Settings, root: Path) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    config = orjson.dumps(runtime_config(settings))

    @router.get("/runtime-config.json")
    async def get_runtime_config() -> Response:
        return Response(config, media_type="application/json", headers=HEADERS)

    def add(url: str, path: Path) -> None:
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"

        async def send_file() -> FileResponse:
            return FileResponse(path, media_type=media_type, headers=HEADERS)

        router.add_api_route(url, send_file, methods=["GET", "HEAD"], name=f"web:{url}")

    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        hidden = any(part.startswith(".") for part in relative.parts)
        if path.is_file() and not hidden and relative.as_posix() != "runtime-config.json":
            add(f"/{relative.as_posix()}", path)
            if relative.as_posix() == "index.html":
                add("/", path)
    return router
