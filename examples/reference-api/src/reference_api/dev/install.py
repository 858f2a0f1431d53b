"""The one call that adds the development pieces to the app (see :mod:`reference_api.dev`)."""

from __future__ import annotations

import orjson
from fastapi import FastAPI
from starlette.responses import Response

from ..jsonutil import JSON
from ..settings import Settings
from . import signin, storage, web
from .directory import DevDirectory
from .issuer import DevIssuer


def install(app: FastAPI, settings: Settings) -> None:
    """Add to ``app`` the development pieces ``settings`` call for.

    Without ``API_COGNITO_ISSUER``: the development issuer becomes the app's token verifier, with its
    public keys at ``/api/dev/jwks.json``, the sign-in under ``/dev-issuer`` and, when its folder
    exists, the web front end at ``/``. Without ``API_COGNITO_USER_POOL_ID``: the development directory
    (users' addresses). With ``API_DOCUMENTS_BACKEND=local``: the storage endpoints.
    None of these routes is in the OpenAPI schema.
    """
    if not settings.allows_dev_tools:
        raise RuntimeError("the development pieces are refused in production")
    if app.state.directory is None:
        app.state.directory = DevDirectory()
    if not settings.cognito_issuer:
        issuer = DevIssuer(settings)
        app.state.dev_issuer = issuer
        app.state.verifier = issuer.verifier()

        async def dev_jwks() -> Response:
            """The development issuer's public keys."""
            return Response(orjson.dumps(issuer.jwks), media_type=JSON)

        app.add_api_route(
            "/api/dev/jwks.json",
            dev_jwks,
            methods=["GET"],
            operation_id="getDevJwks",
            tags=["identity"],
            include_in_schema=False,
        )
        app.state.dev_codes = signin.AuthorizationCodes()
        app.include_router(signin.build_router(settings, issuer, app.state.dev_codes))
        folder = web.web_dir(settings)
        if folder is not None and folder.is_dir():
            app.include_router(web.build_router(settings, folder))
    if settings.documents_backend == "local":
        app.include_router(storage.router)
