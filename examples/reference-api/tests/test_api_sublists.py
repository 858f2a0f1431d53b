"""The lists under a case are paged like the case list (signed keyset cursors), and a case holds at
most so many comments, time entries, documents and members."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from reference_api import comments, documents, members, time_entries

pytestmark = pytest.mark.anyio


async def _all_pages(client: httpx.AsyncClient, url: str, h: dict[str, str], limit: int) -> list[list[Any]]:
    pages: list[list[Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = await client.get(url, params=params, headers=h)
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) == {"items", "next_cursor"}
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50


async def test_every_sub_list_pages_in_order_without_gaps(
    client: httpx.AsyncClient, auth: Any, case_id: str
) -> None:
    max_, carla = auth("max", "manager"), auth("carla", "client")
    base = f"/api/cases/{case_id}"
    bodies = [f"comment {i}" for i in range(7)]
    for i, body in enumerate(bodies):
        r = await client.post(f"{base}/comments", json={"body": body, "internal": i % 3 == 0}, headers=max_)
        assert r.status_code == 201
    for sub in ("u1", "u3", "u2"):
        assert (await client.put(f"{base}/members/{sub}", headers=max_)).status_code == 200
    for _ in range(3):
        await client.post(f"{base}/time-entries", json={"duration_s": 60}, headers=max_)

    pages = await _all_pages(client, f"{base}/comments", max_, 3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [c["body"] for p in pages for c in p] == bodies
    public = [b for i, b in enumerate(bodies) if i % 3]
    assert [c["body"] for p in await _all_pages(client, f"{base}/comments", carla, 2) for c in p] == public
    members_seen = [m["user_id"] for p in await _all_pages(client, f"{base}/members", max_, 2) for m in p]
    assert members_seen == ["u1", "u2", "u3"]
    history = [e["id"] for p in await _all_pages(client, f"{base}/history", max_, 4) for e in p]
    assert history == sorted(history) and len(history) == 1 + 7 + 3  # created, commented, member.added
    entries = [e["id"] for p in await _all_pages(client, f"{base}/time-entries", max_, 2) for e in p]
    assert len(set(entries)) == 3
    assert (await client.get(f"{base}/documents", headers=max_)).json() == {"items": [], "next_cursor": None}
    default = (await client.get(f"{base}/comments", headers=max_)).json()
    assert len(default["items"]) == 7 and default["next_cursor"] is None  # default page size: 50


async def test_cursors_and_page_sizes_are_checked(client: httpx.AsyncClient, auth: Any, case_id: str) -> None:
    max_ = auth("max", "manager")
    base = f"/api/cases/{case_id}"
    for i in range(3):
        await client.post(f"{base}/comments", json={"body": f"c{i}"}, headers=max_)
    cursor = (await client.get(f"{base}/comments", params={"limit": 1}, headers=max_)).json()["next_cursor"]
    other = (await client.post("/api/cases", json={"title": "other"}, headers=max_)).json()["id"]
    for url, c in (
        (f"/api/cases/{other}/comments", cursor),  # another case's list
        (f"{base}/history", cursor),  # another list of the same case
        (f"{base}/comments", cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")),  # tampered
        (f"{base}/comments", "not-a-cursor"),
    ):
        r = await client.get(url, params={"cursor": c}, headers=max_)
        assert r.status_code == 400, (url, r.text)
        assert r.json()["type"] == "urn:reference-api:problem:invalid-cursor"
    for limit in (0, 101):
        assert (
            await client.get(f"{base}/comments", params={"limit": limit}, headers=max_)
        ).status_code == 422
    assert (
        len((await client.get(f"{base}/comments", params={"limit": 100}, headers=max_)).json()["items"]) == 3
    )


async def test_a_case_holds_at_most_so_many(
    client: httpx.AsyncClient, auth: Any, case_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(comments, "COMMENTS_PER_CASE", 2)
    monkeypatch.setattr(members, "MEMBERS_PER_CASE", 1)
    monkeypatch.setattr(time_entries, "TIME_ENTRIES_PER_CASE", 2)
    monkeypatch.setattr(documents, "DOCUMENTS_PER_CASE", 1)
    max_ = auth("max", "manager")
    base = f"/api/cases/{case_id}"

    def capped(r: httpx.Response) -> None:
        assert r.status_code == 409, r.text
        assert r.json()["type"] == "urn:reference-api:problem:case-limit-reached"

    for i in range(2):
        assert (
            await client.post(f"{base}/comments", json={"body": f"c{i}"}, headers=max_)
        ).status_code == 201
    capped(await client.post(f"{base}/comments", json={"body": "one too many"}, headers=max_))
    assert (await client.put(f"{base}/members/u1", headers=max_)).status_code == 200
    assert (await client.put(f"{base}/members/u1", headers=max_)).status_code == 200  # idempotent at the cap
    capped(await client.put(f"{base}/members/u2", headers=max_))
    for _ in range(2):
        r = await client.post(f"{base}/time-entries", json={"duration_s": 60}, headers=max_)
        assert r.status_code == 201
    capped(await client.post(f"{base}/time-entries", json={"duration_s": 60}, headers=max_))
    capped(await client.post(f"{base}/timer", headers=max_))
    doc = {"filename": "a.txt", "content_type": "text/plain", "size_bytes": 3}
    assert (await client.post(f"{base}/documents", json=doc, headers=max_)).status_code == 201
    capped(await client.post(f"{base}/documents", json=doc, headers=max_))
