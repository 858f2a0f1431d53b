"""Time entries: timer uniqueness (database-enforced), approval lock, totals and timesheet in SQL."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

pytestmark = pytest.mark.anyio


@pytest.fixture
async def case_id(case_id: str, client: httpx.AsyncClient, auth: Any) -> str:
    """The shared case (max manages, alice works it, carla asked), with arno, another agent, made a member."""
    await client.get("/api/me", headers=auth("arno", "agent"))
    await client.put(f"/api/cases/{case_id}/members/arno", headers=auth("max", "manager"))
    return case_id


async def _log(client: httpx.AsyncClient, h: dict[str, str], cid: str, **body: Any) -> dict[str, Any]:
    r = await client.post(f"/api/cases/{cid}/time-entries", json={"duration_s": 600, **body}, headers=h)
    assert r.status_code == 201, r.text
    entry: dict[str, Any] = r.json()
    return entry


async def test_one_running_timer_per_person(client: httpx.AsyncClient, auth: Any, case_id: str) -> None:
    alice = auth("alice", "agent")
    r = await client.post(f"/api/cases/{case_id}/timer", headers=alice)
    assert r.status_code == 201
    assert r.json()["duration_s"] is None
    again = await client.post(f"/api/cases/{case_id}/timer", headers=alice)
    assert again.status_code == 409
    assert again.json()["type"] == "urn:reference-api:problem:timer-running"
    # Someone else may run their own timer.
    assert (
        await client.post(f"/api/cases/{case_id}/timer", headers=auth("arno", "agent"))
    ).status_code == 201
    running = await client.get("/api/timer", headers=alice)
    assert running.json()["id"] == r.json()["id"]
    stopped = await client.post("/api/timer/stop", headers=alice)
    assert stopped.status_code == 200
    assert stopped.json()["duration_s"] >= 1
    assert (await client.get("/api/timer", headers=alice)).status_code == 404
    assert (await client.post("/api/timer/stop", headers=alice)).status_code == 404


async def test_entries_move_draft_submitted_approved_and_lock(
    client: httpx.AsyncClient, auth: Any, case_id: str, db: Any
) -> None:
    alice, max_ = auth("alice", "agent"), auth("max", "manager")
    e = await _log(client, alice, case_id, note="call")
    url = f"/api/time-entries/{e['id']}"
    assert (await client.post(f"{url}/approve", headers=max_)).status_code == 409  # not submitted yet
    assert (await client.post(f"{url}/submit", headers=auth("arno", "agent"))).status_code == 403
    assert (await client.post(f"{url}/submit", headers=alice)).status_code == 200
    patch = await client.patch(url, json={"note": "x"}, headers={**alice, "If-Match": '"2"'})
    assert patch.status_code == 409
    assert patch.json()["type"] == "urn:reference-api:problem:time-entry-locked"
    assert (await client.post(f"{url}/approve", headers=alice)).status_code == 403
    approved = await client.post(f"{url}/approve", headers=max_)
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == "max"
    assert (await client.delete(url, headers={**alice, "If-Match": '"3"'})).status_code == 409
    # The database refuses too, whatever the code path.
    async with db.transaction() as conn:
        with pytest.raises(DBAPIError, match="approved and locked"):
            async with conn.begin_nested():
                await conn.execute(text("UPDATE time_entries SET duration_s = 1"))


async def test_drafts_need_if_match_and_an_owner(client: httpx.AsyncClient, auth: Any, case_id: str) -> None:
    alice = auth("alice", "agent")
    e = await _log(client, alice, case_id)
    url = f"/api/time-entries/{e['id']}"
    assert (await client.patch(url, json={"duration_s": 60}, headers=alice)).status_code == 428
    assert (
        await client.patch(url, json={"duration_s": 60}, headers={**alice, "If-Match": '"9"'})
    ).status_code == 412
    other = await client.patch(
        url, json={"duration_s": 60}, headers={**auth("arno", "agent"), "If-Match": '"1"'}
    )
    assert other.status_code == 403
    ok = await client.patch(url, json={"duration_s": 60}, headers={**alice, "If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.json()["duration_s"] == 60
    assert (await client.delete(url, headers={**alice, "If-Match": '"2"'})).status_code == 204


async def test_clients_see_no_time(client: httpx.AsyncClient, auth: Any, case_id: str) -> None:
    carla = auth("carla", "client")
    assert (await client.get(f"/api/cases/{case_id}/time-entries", headers=carla)).status_code == 403
    assert (await client.post(f"/api/cases/{case_id}/timer", headers=carla)).status_code == 403
    assert (await client.get("/api/timesheet", params={"week": "2026-W48"}, headers=carla)).status_code == 403


async def test_totals_and_timesheet_are_sums_of_entries(
    client: httpx.AsyncClient, auth: Any, case_id: str
) -> None:
    alice, arno = auth("alice", "agent"), auth("arno", "agent")
    await _log(client, alice, case_id, duration_s=3600, started_at="2026-11-23T09:00:00Z")
    await _log(client, alice, case_id, duration_s=1800, started_at="2026-11-23T14:00:00Z", billable=False)
    await _log(client, alice, case_id, duration_s=900, started_at="2026-11-25T10:00:00Z")
    await _log(client, alice, case_id, duration_s=120, started_at="2026-11-30T10:00:00Z")  # next week
    await _log(client, arno, case_id, duration_s=300, started_at="2026-11-24T10:00:00Z")
    await client.post(f"/api/cases/{case_id}/timer", headers=arno)  # running: not counted

    totals = (await client.get(f"/api/cases/{case_id}/time-totals", headers=alice)).json()
    assert totals["total_s"] == 3600 + 1800 + 900 + 120 + 300
    assert totals["billable_s"] == 3600 + 900 + 120 + 300
    assert totals["approved_s"] == 0
    assert totals["by_user"] == [
        {"user_id": "alice", "total_s": 6420, "billable_s": 4620},
        {"user_id": "arno", "total_s": 300, "billable_s": 300},
    ]

    sheet = (await client.get("/api/timesheet", params={"week": "2026-W48"}, headers=alice)).json()
    assert [d["date"] for d in sheet["days"]] == [f"2026-11-{d}" for d in range(23, 30)]
    assert [d["total_s"] for d in sheet["days"]] == [5400, 0, 900, 0, 0, 0, 0]
    assert [d["billable_s"] for d in sheet["days"]] == [3600, 0, 900, 0, 0, 0, 0]
    assert (sheet["total_s"], sheet["billable_s"]) == (6300, 4500)
    # Someone else's timesheet: managers only.
    assert (
        await client.get("/api/timesheet", params={"week": "2026-W48", "user_id": "alice"}, headers=arno)
    ).status_code == 403
    other = await client.get(
        "/api/timesheet", params={"week": "2026-W48", "user_id": "arno"}, headers=auth("max", "manager")
    )
    assert other.json()["total_s"] == 300
    bad = await client.get("/api/timesheet", params={"week": "2026-W60"}, headers=alice)
    assert bad.status_code == 400


async def test_two_timers_at_once_only_one_runs(live: Any, live_client: httpx.AsyncClient) -> None:
    """Real commits: two concurrent starts by one person; the database's unique index picks one."""
    h = {"Authorization": f"Bearer {live.state.dev_issuer.token('timer-racer', 'manager')}"}
    cid = (await live_client.post("/api/cases", json={"title": "timer race"}, headers=h)).json()["id"]
    results = await asyncio.gather(
        *[live_client.post(f"/api/cases/{cid}/timer", headers=h) for _ in range(3)]
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409]
    async with live.state.db.read() as conn:
        running = (
            await conn.execute(
                text("SELECT count(*) FROM time_entries WHERE user_id = 'timer-racer' AND duration_s IS NULL")
            )
        ).scalar()
    assert running == 1


@pytest.mark.parametrize("role", ["manager", "admin"])
@pytest.mark.parametrize("action", ["approve", "reject"])
async def test_nobody_approves_or_rejects_their_own_time(
    client: httpx.AsyncClient, auth: Any, case_id: str, role: str, action: str
) -> None:
    """Four eyes: a supervisor's own entry needs another supervisor, whatever the role."""
    me = auth("sam", role)
    await client.get("/api/me", headers=me)
    await client.put(f"/api/cases/{case_id}/members/sam", headers=auth("max", "manager"))
    entry = await _log(client, me, case_id)
    url = f"/api/time-entries/{entry['id']}"
    assert (await client.post(f"{url}/submit", headers=me)).status_code == 200
    refused = await client.post(f"{url}/{action}", headers=me)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "urn:reference-api:problem:own-time-entry"
    other = auth("olga", "admin" if role == "manager" else "manager")
    assert (await client.post(f"{url}/{action}", headers=other)).status_code == 200
