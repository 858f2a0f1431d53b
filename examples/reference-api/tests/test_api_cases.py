"""Cases: workflow, ETag/If-Match, Idempotency-Key, soft delete, search, pagination, comments, history."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

pytestmark = pytest.mark.anyio

PROBLEM = "application/problem+json"


async def _case(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    r = await client.post("/api/cases", json={"title": "Printer on fire", **fields}, headers=headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture
async def staff(client: httpx.AsyncClient, auth: Any) -> dict[str, dict[str, str]]:
    """Headers per demo user; one request each so the user directory knows them."""
    people = {
        "admin": auth("ada", "admin"),
        "manager": auth("max", "manager"),
        "agent": auth("alice", "agent"),
        "agent2": auth("arno", "agent"),
        "client": auth("carla", "client"),
        "client2": auth("cole", "client"),
    }
    for h in people.values():
        assert (await client.get("/api/me", headers=h)).status_code == 200
    return people


async def test_create_returns_location_etag_and_history(client: httpx.AsyncClient, staff: Any) -> None:
    r = await client.post(
        "/api/cases",
        json={"title": "  VPN down  ", "priority": "high", "tags": ["network"], "requester_id": "carla"},
        headers=staff["agent"],
    )
    assert r.status_code == 201
    case = r.json()
    assert case["title"] == "VPN down"
    assert case["status"] == "new"
    assert case["version"] == 1
    assert r.headers["etag"] == '"1"'
    assert r.headers["location"] == f"/api/cases/{case['id']}"
    h = await client.get(f"/api/cases/{case['id']}/history", headers=staff["agent"])
    assert [e["action"] for e in h.json()["items"]] == ["created"]
    assert h.json()["items"][0]["actor_id"] == "alice"


async def test_full_workflow_and_illegal_moves(client: httpx.AsyncClient, staff: Any) -> None:
    case = await _case(client, staff["agent"])
    cid = case["id"]
    r = await client.post(f"/api/cases/{cid}/resolve", headers=staff["agent"])
    assert r.status_code == 409
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == "urn:reference-api:problem:illegal-transition"
    assert r.json()["current_status"] == "new"
    for action, status in [
        ("open", "open"),
        ("hold", "pending"),
        ("resume", "open"),
        ("resolve", "resolved"),
        ("close", "closed"),
        ("reopen", "open"),
    ]:
        r = await client.post(f"/api/cases/{cid}/{action}", headers=staff["agent"])
        assert r.status_code == 200, (action, r.text)
        assert r.json()["status"] == status
    assert r.json()["version"] == 7
    h = await client.get(f"/api/cases/{cid}/history", headers=staff["agent"])
    assert [e["action"] for e in h.json()["items"]][1:3] == ["status.open", "status.hold"]
    assert h.json()["items"][2]["before"] == {"status": "open"}
    assert h.json()["items"][2]["after"] == {"status": "pending"}


async def test_the_openapi_document_describes_the_workflow(client: httpx.AsyncClient, staff: Any) -> None:
    """The web front end offers status moves from `x-transition`: it must say what the API enforces."""
    from reference_api.workflow import TRANSITIONS

    doc = (await client.get("/api/openapi.json")).json()
    described = {
        path: op["x-transition"]
        for path, item in doc["paths"].items()
        for op in item.values()
        if "x-transition" in op
    }
    assert described == {
        f"/api/cases/{{case_id}}/{action}": {"action": action, "from": sorted(allowed), "to": target}
        for action, (allowed, target, _) in TRANSITIONS.items()
    }
    cid = (await _case(client, staff["agent"]))["id"]
    for move in described.values():
        if "new" not in move["from"]:
            r = await client.post(f"/api/cases/{cid}/{move['action']}", headers=staff["agent"])
            assert r.status_code == 409, move


async def test_clients_cannot_move_cases(client: httpx.AsyncClient, staff: Any) -> None:
    case = await _case(client, staff["client"])
    r = await client.post(f"/api/cases/{case['id']}/open", headers=staff["client"])
    assert r.status_code == 403


async def test_patch_requires_if_match(client: httpx.AsyncClient, staff: Any) -> None:
    case = await _case(client, staff["agent"])
    url = f"/api/cases/{case['id']}"
    r = await client.patch(url, json={"priority": "urgent"}, headers=staff["agent"])
    assert r.status_code == 428
    r = await client.patch(url, json={"priority": "urgent"}, headers={**staff["agent"], "If-Match": '"7"'})
    assert r.status_code == 412
    assert r.headers["etag"] == '"1"'
    r = await client.patch(url, json={"priority": "urgent"}, headers={**staff["agent"], "If-Match": '"1"'})
    assert r.status_code == 200
    assert r.json()["priority"] == "urgent"
    assert r.headers["etag"] == '"2"'
    r = await client.patch(url, json={"priority": "low"}, headers={**staff["agent"], "If-Match": '"1"'})
    assert r.status_code == 412


async def test_if_none_match_gives_304(client: httpx.AsyncClient, staff: Any) -> None:
    case = await _case(client, staff["agent"])
    r = await client.get(f"/api/cases/{case['id']}", headers={**staff["agent"], "If-None-Match": '"1"'})
    assert r.status_code == 304
    assert r.headers["etag"] == '"1"'


async def test_patch_records_before_and_after(client: httpx.AsyncClient, staff: Any) -> None:
    case = await _case(client, staff["agent"], team="billing")
    r = await client.patch(
        f"/api/cases/{case['id']}",
        json={"team": None, "due_date": "2030-01-31", "title": "Printer on fire"},
        headers={**staff["agent"], "If-Match": '"1"'},
    )
    assert r.status_code == 200
    h = (await client.get(f"/api/cases/{case['id']}/history", headers=staff["agent"])).json()["items"]
    assert h[-1]["before"] == {"team": "billing", "due_date": None}
    assert h[-1]["after"] == {"team": None, "due_date": "2030-01-31"}


async def test_assignee_must_be_known_staff(client: httpx.AsyncClient, staff: Any) -> None:
    r = await client.post("/api/cases", json={"title": "x", "assignee_id": "carla"}, headers=staff["manager"])
    assert r.status_code == 422
    assert r.json()["type"] == "urn:reference-api:problem:unknown-assignee"
    r = await client.post("/api/cases", json={"title": "x", "assignee_id": "alice"}, headers=staff["manager"])
    assert r.status_code == 201


async def test_assignment_and_status_changes_write_the_outbox(
    client: httpx.AsyncClient, staff: Any, db: Any
) -> None:
    case = await _case(client, staff["manager"], assignee_id="alice", requester_id="carla")
    await client.post(f"/api/cases/{case['id']}/open", headers=staff["manager"])
    async with db.read() as conn:
        rows = (await conn.execute(text("SELECT kind, recipient FROM outbox ORDER BY id"))).all()
    # Recipients by user id: the worker asks the directory for their addresses when it sends.
    assert [tuple(r) for r in rows] == [
        ("case.assigned", "alice"),
        ("case.status", "alice"),
        ("case.status", "carla"),
    ] or [tuple(r) for r in rows] == [
        ("case.assigned", "alice"),
        ("case.status", "carla"),
        ("case.status", "alice"),
    ]


async def test_idempotency_key_replays_and_guards(client: httpx.AsyncClient, staff: Any, db: Any) -> None:
    h = {**staff["agent"], "Idempotency-Key": "create-1"}
    first = await client.post("/api/cases", json={"title": "Once"}, headers=h)
    again = await client.post("/api/cases", json={"title": "Once"}, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["etag"] == first.headers["etag"]
    other = await client.post("/api/cases", json={"title": "Twice"}, headers=h)
    assert other.status_code == 422
    assert other.json()["type"] == "urn:reference-api:problem:idempotency-key-reused"
    async with db.read() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM cases WHERE title = 'Once'"))).scalar()
    assert count == 1
    # Keys belong to their user: someone else's identical key is a new request.
    mine = await client.post(
        "/api/cases", json={"title": "Once"}, headers={**staff["agent2"], "Idempotency-Key": "create-1"}
    )
    assert mine.status_code == 201
    assert mine.json()["id"] != first.json()["id"]


async def test_a_failed_request_does_not_consume_its_key(client: httpx.AsyncClient, staff: Any) -> None:
    case = await _case(client, staff["agent"])
    h = {**staff["agent"], "Idempotency-Key": "resolve-1"}
    assert (await client.post(f"/api/cases/{case['id']}/resolve", headers=h)).status_code == 409
    await client.post(f"/api/cases/{case['id']}/open", headers=staff["agent"])
    assert (await client.post(f"/api/cases/{case['id']}/resolve", headers=h)).status_code == 200


async def test_soft_delete_and_restore(client: httpx.AsyncClient, staff: Any) -> None:
    case = await _case(client, staff["agent"])
    url = f"/api/cases/{case['id']}"
    assert (await client.delete(url, headers={**staff["agent"], "If-Match": '"1"'})).status_code == 403
    assert (await client.delete(url, headers=staff["manager"])).status_code == 428
    assert (await client.delete(url, headers={**staff["manager"], "If-Match": '"1"'})).status_code == 204
    assert (await client.get(url, headers=staff["agent"])).status_code == 404
    listed = await client.get("/api/cases", headers=staff["agent"])
    assert case["id"] not in [c["id"] for c in listed.json()["items"]]
    deleted = await client.get("/api/cases", params={"deleted": "only"}, headers=staff["manager"])
    assert [c["id"] for c in deleted.json()["items"]] == [case["id"]]
    assert (
        await client.get("/api/cases", params={"deleted": "only"}, headers=staff["agent"])
    ).status_code == 403
    seen = await client.get(url, headers=staff["manager"])
    assert seen.status_code == 200
    assert seen.json()["deleted_at"] is not None
    restored = await client.post(f"{url}/restore", headers=staff["manager"])
    assert restored.status_code == 200
    assert restored.json()["deleted_at"] is None
    assert (await client.post(f"{url}/restore", headers=staff["manager"])).status_code == 409
    assert (await client.get(url, headers=staff["agent"])).status_code == 200


async def test_history_is_append_only(client: httpx.AsyncClient, staff: Any, db: Any) -> None:
    from sqlalchemy.exc import DBAPIError

    await _case(client, staff["agent"])
    async with db.transaction() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            async with conn.begin_nested():
                await conn.execute(text("UPDATE case_history SET action = 'x'"))
        with pytest.raises(DBAPIError, match="append-only"):
            async with conn.begin_nested():
                await conn.execute(text("DELETE FROM case_history"))


async def test_full_text_search_and_filters(client: httpx.AsyncClient, staff: Any) -> None:
    a = await _case(client, staff["manager"], title="Refund for duplicated invoice", tags=["billing"])
    b = await _case(
        client, staff["manager"], title="Password reset", description="Invoices are fine", priority="urgent"
    )
    await _case(client, staff["manager"], title="Office coffee machine")

    async def ids(**params: Any) -> list[str]:
        r = await client.get("/api/cases", params=params, headers=staff["manager"])
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()["items"]]

    assert await ids(q="invoices") == [b["id"], a["id"]]  # stemming: invoice ~ invoices
    assert await ids(q="invoice -password") == [a["id"]]
    assert await ids(tag="billing") == [a["id"]]
    assert await ids(priority="urgent") == [b["id"]]
    assert await ids(q="invoice", sort="created_at") == [a["id"], b["id"]]


async def test_cursor_pagination_walks_every_case_once(client: httpx.AsyncClient, staff: Any) -> None:
    made = [(await _case(client, staff["manager"], tags=["page"]))["id"] for _ in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"tag": "page", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get("/api/cases", params=params, headers=staff["manager"])).json()
        seen += [c["id"] for c in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(made))


async def test_tampered_cursor_is_a_400(client: httpx.AsyncClient, staff: Any) -> None:
    r = await client.get("/api/cases", params={"cursor": "AAAA" * 10}, headers=staff["manager"])
    assert r.status_code == 400
    assert r.json()["type"] == "urn:reference-api:problem:invalid-cursor"


async def test_clients_never_see_internal_comments(client: httpx.AsyncClient, staff: Any) -> None:
    case = await _case(client, staff["client"])
    cid = case["id"]
    await client.put(f"/api/cases/{cid}/members/alice", headers=staff["manager"])
    r = await client.post(
        f"/api/cases/{cid}/comments", json={"body": "note to self", "internal": True}, headers=staff["agent"]
    )
    assert r.status_code == 201
    await client.post(f"/api/cases/{cid}/comments", json={"body": "we are on it"}, headers=staff["agent"])
    as_client = await client.get(f"/api/cases/{cid}/comments", headers=staff["client"])
    assert [c["body"] for c in as_client.json()["items"]] == ["we are on it"]
    as_agent = await client.get(f"/api/cases/{cid}/comments", headers=staff["agent"])
    assert [c["body"] for c in as_agent.json()["items"]] == ["note to self", "we are on it"]
    r = await client.post(
        f"/api/cases/{cid}/comments", json={"body": "psst", "internal": True}, headers=staff["client"]
    )
    assert r.status_code == 403


async def test_membership_grants_and_revokes_access(client: httpx.AsyncClient, staff: Any) -> None:
    case = await _case(client, staff["agent"])
    url = f"/api/cases/{case['id']}"
    assert (await client.get(url, headers=staff["agent2"])).status_code == 404
    r = await client.put(f"{url}/members/arno", headers=staff["manager"])
    assert r.status_code == 200
    assert (await client.put(f"{url}/members/arno", headers=staff["manager"])).status_code == 200
    assert (await client.get(url, headers=staff["agent2"])).status_code == 200
    members = await client.get(f"{url}/members", headers=staff["agent"])
    assert [m["user_id"] for m in members.json()["items"]] == ["arno"]
    assert (await client.delete(f"{url}/members/arno", headers=staff["manager"])).status_code == 204
    assert (await client.get(url, headers=staff["agent2"])).status_code == 404
    assert (await client.delete(f"{url}/members/arno", headers=staff["manager"])).status_code == 404
