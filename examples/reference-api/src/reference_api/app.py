"""The ASGI application: FastAPI with problem+json errors, JSON logs and pure-ASGI middleware only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response

from . import __version__, problems
from .auth import cognito_verifier
from .cases import router as cases_router
from .comments import router as comments_router
from .db import Database
from .deps import PrincipalDep, Replay, reject_nul, replay_handler
from .directory import DirectoryUnavailable, build_directory
from .documents import router as documents_router
from .history import router as history_router
from .jsonutil import JSON, json_response
from .limits import BodyLimit
from .logs import RequestContextMiddleware
from .members import router as members_router
from .models import Health, Me
from .notify import AddressedMailer
from .problems import Problem, problem_response, problem_type
from .retention import run_retention
from .settings import Settings, get_settings
from .storage import LOCAL_STORAGE_PATH, build_storage
from .time_entries import router as time_router
from .worker import build_mailer, run_worker
from .workflow import router as workflow_router


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_db = app.state.db is None
        if own_db:
            app.state.db = Database(settings)
        await app.state.verifier.jwks.load()  # keys before the first request, not after a minute
        stop = asyncio.Event()
        background = []
        if settings.outbox_worker:
            mailer = AddressedMailer(build_mailer(settings), app.state.directory)
            background.append(asyncio.create_task(run_worker(app.state.db, mailer, stop)))
        if settings.retention_worker:
            background.append(asyncio.create_task(run_retention(app.state.db, stop)))
        try:
            yield
        finally:
            stop.set()
            for task in background:
                await task
            if own_db:
                await app.state.db.dispose()

    app = FastAPI(
        title="Reference case-management API",
        version=__version__,
        lifespan=lifespan,
        # The Swagger UI page loads its script from a CDN, which the production CSP (CdnFrontend's)
        # rightly blocks: development only. The OpenAPI document itself is served everywhere.
        docs_url="/api/docs" if settings.allows_dev_tools else None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(reject_nul)],  # U+0000 in a query or path: 422 (request bodies: models.py)
    )
    app.state.settings = settings
    app.state.db = db
    # Without a user pool (outside production only) the development issuer's verifier replaces this.
    app.state.verifier = cognito_verifier(settings) if settings.cognito_issuer else None
    app.state.dev_issuer = None
    app.state.directory = build_directory(settings)  # development installs its own without a pool
    app.state.storage = build_storage(settings)
    problems.install(app)
    app.add_exception_handler(Replay, replay_handler)
    # Inside RequestContextMiddleware (added last, so outermost): the 500 gets the request id.
    app.add_middleware(problems.UnhandledErrors)
    # CloudFront does not compress what it does not cache (/api/* is never cached), so the API does:
    # a 50-case page goes from 21 KB to 2.5 KB for about 0.12 ms of CPU at level 5; only for clients
    # that send Accept-Encoding: gzip, and only bodies of 1 KB or more.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    # Before authentication and any handler; inside RequestContextMiddleware, so the 413 is logged with
    # its request id. Only the development stand-in for S3 takes documents (plus its form fields).
    larger: tuple[tuple[str, int], ...] = ()
    if settings.allows_dev_tools and settings.documents_backend == "local":
        larger = ((LOCAL_STORAGE_PATH + "/", settings.documents_max_bytes + 64 * 1024),)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, larger=larger)
    app.add_middleware(RequestContextMiddleware)

    @app.get("/health", operation_id="health", response_model=Health, tags=["ops"], include_in_schema=True)
    async def health() -> Response:
        """Shallow liveness for the load balancer: touches no dependency."""
        return Response(b'{"status":"ok"}', media_type=JSON)

    @app.get(
        "/ready",
        operation_id="ready",
        response_model=Health,
        tags=["ops"],
        responses=problems.responses(503),
    )
    async def ready() -> Response:
        """Readiness: the database answers within its timeout and the token signing keys are known.

        Each cause is named as it is; a task that serves with signing keys it fetched earlier while
        refreshing them fails is ready, and says so in ``detail``.
        """
        jwks = app.state.verifier.jwks
        causes: list[tuple[str, str]] = []
        keys = jwks.problem()
        if keys is not None:
            causes.append(("signing-keys-unavailable", keys))
        try:
            await app.state.db.ping()
        except Exception as exc:  # any failure means not ready
            causes.append(("database-unavailable", f"database not reachable: {type(exc).__name__}"))
        if causes:
            detail = "; ".join(d for _, d in causes)
            return problem_response(None, 503, detail=detail, type_=problem_type(causes[0][0]))
        degraded = jwks.degraded()
        if degraded is not None:
            return json_response({"status": "ready", "detail": degraded})
        return Response(b'{"status":"ready"}', media_type=JSON)

    @app.get(
        "/api/me",
        operation_id="getMe",
        response_model=Me,
        tags=["identity"],
        responses=problems.responses(401, 403),
    )
    async def me(p: PrincipalDep) -> Response:
        """Who the token names; ``email`` from the user directory (null when it has none or cannot answer)."""
        try:
            email = await app.state.directory.address(p.sub)
        except DirectoryUnavailable:
            email = None
        return json_response({"sub": p.sub, "role": p.role, "username": p.username, "email": email})

    for router in (
        cases_router,
        workflow_router,
        history_router,
        comments_router,
        members_router,
        time_router,
        documents_router,
    ):
        app.include_router(router)
    if settings.allows_dev_tools:
        from .dev.install import install  # here, not at the top: production never imports reference_api.dev

        install(app, settings)
    if app.state.verifier is None:
        raise RuntimeError("no token issuer: API_COGNITO_ISSUER is required in production")
    if app.state.directory is None:
        raise RuntimeError("no user directory: API_COGNITO_USER_POOL_ID is required in production")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in components["Problem"].pop("$defs", {}).items():
                components.setdefault(name, sub)
            # Any operation that takes a body answers 400 when the body cannot be parsed (not JSON, not
            # UTF-8): documented once here rather than on each route.
            (unparsable,) = problems.responses(400).values()
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    if isinstance(operation, dict) and "requestBody" in operation:
                        operation.setdefault("responses", {}).setdefault("400", unparsable)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI documents replacing openapi() this way
    return app
