"""Authorization matrix: every role x every case endpoint x own/other's case, one expected status each.

"own" is a case the user is tied to (agent: assignee; client: requester); "other" is a case tied to
another agent and another client. Managers and admins see both. An invisible case is 404, never 403.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio

USERS = {"admin": "ada", "manager": "max", "agent": "alice", "client": "carla"}
OTHERS = {"agent": "arno", "client": "cole"}

DOC = {"filename": "a.pdf", "content_type": "application/pdf", "size_bytes": 10}
# operation: (method, path, body, expected "own/other" per role in the order admin manager agent client)
MATRIX_SPEC: dict[str, tuple[str, str, Any, str]] = {
    "getCase": ("GET", "/api/cases/{id}", None, "200/200 200/200 200/404 200/404"),
    "updateCase": ("PATCH", "/api/cases/{id}", {"priority": "high"}, "200/200 200/200 200/404 403/404"),
    "deleteCase": ("DELETE", "/api/cases/{id}", None, "204/204 204/204 403/404 403/404"),
    "restoreCase": ("POST", "/api/cases/{id}/restore", None, "200/200 200/200 404/404 404/404"),
    "openCase": ("POST", "/api/cases/{id}/open", None, "200/200 200/200 200/404 403/404"),
    "holdCase": ("POST", "/api/cases/{id}/hold", None, "409/409 409/409 409/404 403/404"),
    "listCaseHistory": ("GET", "/api/cases/{id}/history", None, "200/200 200/200 200/404 403/404"),
    "listComments": ("GET", "/api/cases/{id}/comments", None, "200/200 200/200 200/404 200/404"),
    "createComment": ("POST", "/api/cases/{id}/comments", {"body": "hi"}, "201/201 201/201 201/404 201/404"),
    "listCaseMembers": ("GET", "/api/cases/{id}/members", None, "200/200 200/200 200/404 403/404"),
    "addCaseMember": ("PUT", "/api/cases/{id}/members/zed", None, "200/200 200/200 403/404 403/404"),
    "listDocuments": ("GET", "/api/cases/{id}/documents", None, "200/200 200/200 200/404 200/404"),
    "createDocumentUpload": ("POST", "/api/cases/{id}/documents", DOC, "201/201 201/201 201/404 201/404"),
    "removeCaseMember": ("DELETE", "/api/cases/{id}/members/zoe", None, "204/204 204/204 403/404 403/404"),
}
MATRIX: dict[str, tuple[str, str, Any, dict[str, tuple[int, int]]]] = {
    op: (
        method,
        path,
        body,
        {
            role: (int(cell.split("/")[0]), int(cell.split("/")[1]))
            for role, cell in zip(USERS, spec.split(), strict=True)
        },
    )
    for op, (method, path, body, spec) in MATRIX_SPEC.items()
}

CASES = [
    pytest.param(op, role, which, id=f"{op}-{role}-{which}")
    for op, (_, _, _, expected) in MATRIX.items()
    for role in expected
    for which in ("own", "other")
]


@pytest.fixture
async def people(client: httpx.AsyncClient, auth: Any) -> dict[str, dict[str, str]]:
    headers = {role: auth(sub, role) for role, sub in USERS.items()}
    headers.update({f"other-{role}": auth(sub, role) for role, sub in OTHERS.items()})
    for h in headers.values():
        assert (await client.get("/api/me", headers=h)).status_code == 200
    return headers


async def _make_case(client: httpx.AsyncClient, manager: dict[str, str], agent: str, requester: str) -> str:
    r = await client.post(
        "/api/cases",
        json={"title": f"case of {requester}", "assignee_id": agent, "requester_id": requester},
        headers=manager,
    )
    assert r.status_code == 201, r.text
    case_id: str = r.json()["id"]
    await client.put(f"/api/cases/{case_id}/members/zoe", headers=manager)
    return case_id


@pytest.mark.parametrize(("op", "role", "which"), CASES)
async def test_matrix(client: httpx.AsyncClient, people: Any, op: str, role: str, which: str) -> None:
    method, template, body, expected = MATRIX[op]
    manager = people["manager"]
    if which == "own":
        case_id = await _make_case(client, manager, USERS["agent"], USERS["client"])
    else:
        case_id = await _make_case(client, manager, OTHERS["agent"], OTHERS["client"])
    version = (await client.get(f"/api/cases/{case_id}", headers=manager)).json()["version"]
    if op == "restoreCase":
        r = await client.delete(f"/api/cases/{case_id}", headers={**manager, "If-Match": f'"{version}"'})
        assert r.status_code == 204
        version += 1
    headers = {**people[role], "If-Match": f'"{version}"'}
    r = await client.request(method, template.format(id=case_id), json=body, headers=headers)
    want = expected[role][0 if which == "own" else 1]
    assert r.status_code == want, r.text
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("role", list(USERS))
async def test_lists_follow_the_same_rule(client: httpx.AsyncClient, people: Any, role: str) -> None:
    own = await _make_case(client, people["manager"], USERS["agent"], USERS["client"])
    other = await _make_case(client, people["manager"], OTHERS["agent"], OTHERS["client"])
    r = await client.get("/api/cases", headers=people[role])
    assert r.status_code == 200
    ids = {c["id"] for c in r.json()["items"]}
    assert own in ids
    assert (other in ids) is (role in ("admin", "manager"))


@pytest.mark.parametrize("role", list(USERS))
async def test_everyone_may_open_a_case(client: httpx.AsyncClient, people: Any, role: str) -> None:
    r = await client.post("/api/cases", json={"title": "help"}, headers=people[role])
    assert r.status_code == 201
    if role == "client":
        assert r.json()["requester_id"] == USERS["client"]
