"""Input a client controls never causes a 5xx: U+0000 anywhere, and database errors keep users' text out
of the logs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from reference_api.app import create_app
from reference_api.logs import JsonFormatter
from reference_api.settings import Settings
from sqlalchemy import text

pytestmark = pytest.mark.anyio

SECRET_TEXT = "confidential-words-of-a-user"


def _formatted(caplog: pytest.LogCaptureFixture) -> str:
    """The log lines as the service writes them (JSON, exception text included)."""
    formatter = JsonFormatter()
    ours = [r for r in caplog.records if r.name.startswith(("reference_api", "sqlalchemy", "uvicorn"))]
    return "\n".join(formatter.format(record) for record in ours)


async def test_nul_in_any_kind_of_input_is_a_422(
    client: httpx.AsyncClient, auth: Any, caplog: pytest.LogCaptureFixture
) -> None:
    max_ = auth("max", "manager")
    await client.get("/api/me", headers=auth("alice", "agent"))
    created = await client.post("/api/cases", json={"title": "a case"}, headers=max_)
    case_id = created.json()["id"]
    etag = created.headers["etag"]
    nul = f"{SECRET_TEXT}\x00tail"
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/api/cases", {"json": {"title": nul}}),
        ("POST", "/api/cases", {"json": {"title": "ok", "description": nul}}),
        ("POST", "/api/cases", {"json": {"title": "ok", "team": nul}}),
        ("POST", "/api/cases", {"json": {"title": "ok", "tags": ["a", nul]}}),
        ("PATCH", f"/api/cases/{case_id}", {"json": {"description": nul}, "headers": {"If-Match": etag}}),
        ("POST", f"/api/cases/{case_id}/comments", {"json": {"body": nul}}),
        ("POST", f"/api/cases/{case_id}/time-entries", {"json": {"duration_s": 60, "note": nul}}),
        ("POST", f"/api/cases/{case_id}/timer", {"json": {"note": nul}}),
        (
            "POST",
            f"/api/cases/{case_id}/documents",
            {"json": {"filename": nul, "content_type": "text/plain", "size_bytes": 3}},
        ),
        ("GET", "/api/cases", {"params": {"q": nul}}),
        ("GET", "/api/cases", {"params": {"team": nul}}),
        ("GET", "/api/cases", {"params": {"assignee_id": nul}}),
        ("GET", "/api/cases", {"params": {"requester_id": nul}}),
        ("GET", "/api/cases", {"params": {"tag": nul}}),
        ("GET", "/api/cases", {"params": {"cursor": nul}}),
        ("GET", "/api/timesheet", {"params": {"week": "2026-W01", "user_id": nul}}),
        ("PUT", f"/api/cases/{case_id}/members/a%00b", {}),
        ("GET", f"/api/cases/{case_id}%00", {}),
    ]
    caplog.set_level(logging.INFO)
    for method, url, kw in requests:
        headers = {**max_, **kw.pop("headers", {})}
        r = await client.request(method, url, headers=headers, **kw)
        assert r.status_code == 422, (method, url, kw, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert "\x00" not in _formatted(caplog)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert (await client.get(f"/api/cases/{case_id}", headers=max_)).status_code == 200


async def test_a_database_error_logs_no_user_text(
    app_db: Any, settings_factory: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    """A route that sends user text into a failing statement: a 500, and neither the text nor the SQL
    reaches the log (the driver's message quotes the value; SQLAlchemy's adds the statement)."""
    app = create_app(app_db.settings, db=app_db)

    @app.get("/fails")
    async def fails(value: str) -> None:
        async with app_db.read() as conn:
            await conn.execute(text("SELECT CAST(:value AS integer)"), {"value": value})

    @app.get("/fails-in-postgres")
    async def fails_in_postgres(value: str) -> None:
        async with app_db.read() as conn:
            await conn.execute(text("SELECT CAST(CAST(:value AS text) AS integer)"), {"value": value})

    caplog.set_level(logging.INFO)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        for path in ("/fails", "/fails-in-postgres"):
            r = await c.get(path, params={"value": SECRET_TEXT})
            assert r.status_code == 500
            assert r.headers["content-type"] == "application/problem+json"
    logged = _formatted(caplog)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2, logged
    assert {getattr(r, "error", None) for r in errors} == {"DataError", "InvalidTextRepresentationError"}
    assert SECRET_TEXT not in logged
    assert "[SQL:" not in logged  # nor SQLAlchemy's rendering of the statement
