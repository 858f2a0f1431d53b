"""The case worker's workflow in the browser: open a case once (Idempotency-Key), move it through the
status workflow the API documents (If-Match; a stale ETag reloads), comment publicly or internally, read
the history; what a client sees of it; problem details shown from their title, detail and errors."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect
from test_web import sign_in

from conftest import Api, Watched

CASE_URL = re.compile(r"/#/cases/([0-9a-f-]{36})$")
STALE = (
    "This case was changed by someone else since you loaded it. It has been reloaded: check it and try again."
)


def unique(title: str) -> str:
    return f"{title} {uuid.uuid4().hex[:8]}"


def cases_titled(api: Api, title: str) -> list[dict[str, Any]]:
    """Every case with this title, as the API lists it to a manager (who sees all)."""
    with api.as_user("manager-max", "manager") as manager:
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = manager.get("/cases", params=params).json()
            found += [c for c in page["items"] if c["title"] == title]
            cursor = page["next_cursor"]
            if not cursor:
                return found


def shown_case_id(page: Page) -> str:
    page.wait_for_url(CASE_URL)
    match = CASE_URL.search(page.url)
    assert match
    return match.group(1)


def new_case_form(page: Page, title: str) -> None:
    page.get_by_role("link", name="New case").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Cannot connect since Monday.")
    page.get_by_label("Priority").select_option("high")


def test_an_agent_opens_a_case_once_moves_it_and_comments_internally(watched: Watched, api: Api) -> None:
    page = watched.page
    sign_in(page, api, "agent-alice", "agent")
    title = unique("VPN drops every hour")
    new_case_form(page, title)
    page.get_by_label("Requester (client user id, optional)").fill("client-carla")
    page.get_by_role("button", name="Create case").dblclick()
    case_id = shown_case_id(page)
    expect(page.locator("#case-title")).to_have_text(title)
    [created] = cases_titled(api, title)  # the double click made exactly one
    assert created["id"] == case_id
    assert (created["priority"], created["requester_id"], created["created_by"]) == (
        "high",
        "client-carla",
        "agent-alice",
    )

    status = page.locator("#case-fields dd").first
    moves = page.locator("#transitions button")
    expect(status).to_have_text("new")
    expect(moves).to_have_text(["Open (to open)"])
    for click, now, offered in [
        ("Open (to open)", "open", ["Hold (to pending)", "Resolve (to resolved)"]),
        ("Hold (to pending)", "pending", ["Resume (to open)", "Resolve (to resolved)"]),
        ("Resolve (to resolved)", "resolved", ["Close (to closed)", "Reopen (to open)"]),
    ]:
        page.get_by_role("button", name=click).click()
        expect(status).to_have_text(now)
        expect(moves).to_have_text(offered)
    # Not offered, and refused by the API all the same.
    with api.as_user("agent-alice", "agent") as alice:
        refused = alice.post(f"/cases/{case_id}/hold")
        assert refused.status_code == 409
        assert refused.json()["detail"] == "cannot hold a case that is resolved"

    note = "Her VPN profile was outdated; replaced it."
    page.get_by_label("Add a comment").fill(note)
    page.get_by_label("Internal (staff only)").check()
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#comments li.internal .body")).to_have_text([note])
    expect(page.locator("#comments li .meta")).to_contain_text(["agent-alice"])
    expect(page.get_by_label("Add a comment")).to_have_value("")
    with api.as_user("agent-alice", "agent") as alice:
        comments = alice.get(f"/cases/{case_id}/comments").json()["items"]
    assert [(c["body"], c["internal"]) for c in comments] == [(note, True)]

    history = page.locator("#history li")
    expect(history.locator(".what")).to_have_text(
        [
            "created the case",
            "status.open: status new → open",
            "status.hold: status open → pending",
            "status.resolve: status pending → resolved",
            "added an internal comment",
        ]
    )
    expect(history.locator(".actor")).to_have_text(["agent-alice"] * 5)
    expect(history.locator("time")).to_have_count(5)
    watched.assert_clean()


def test_problems_are_shown_and_a_retried_submission_opens_one_case(watched: Watched, api: Api) -> None:
    page = watched.page
    watched.expected_console_errors += ["status of 422 (Unprocessable", "net::ERR_FAILED"]
    sign_in(page, api, "agent-arno", "agent")
    new_case_form(page, "   ")  # passes the browser's `required`; the API strips it and refuses
    page.get_by_role("button", name="Create case").click()
    error = page.locator("#error")
    expect(error.locator("p")).to_have_text("Validation failed: The request is not valid; see errors.")
    expect(error.locator("li")).to_have_text(["title: String should have at least 1 character"])
    assert "{" not in error.inner_text()

    # The API opens the case but its answer is lost on the way back: the retry must not open another.
    title = unique("Printer jams on A3")
    page.get_by_label("Title").fill(title)
    first: list[str] = []

    def lose_the_answer(route: Any) -> None:
        first.append(route.request.headers["idempotency-key"])
        route.fetch()
        route.abort()

    page.route(f"{api.url}/api/cases", lose_the_answer, times=1)
    page.get_by_role("button", name="Create case").click()
    expect(error).to_have_text("The server could not be reached: check your connection and try again.")
    assert len(cases_titled(api, title)) == 1
    with page.expect_response(f"{api.url}/api/cases") as retry:
        page.get_by_role("button", name="Create case").click()
    assert retry.value.request.headers["idempotency-key"] == first[0]
    assert retry.value.status == 201 and retry.value.headers["idempotent-replayed"] == "true"
    case_id = shown_case_id(page)
    expect(page.locator("#case-title")).to_have_text(title)
    expect(error).to_be_hidden()
    [case] = cases_titled(api, title)
    assert case["id"] == case_id
    watched.assert_clean()


def test_a_client_sees_their_case_and_its_public_comments_only(watched: Watched, api: Api) -> None:
    title = unique("Refund not received")
    with api.as_user("agent-alice", "agent") as alice:
        case = alice.post("/cases", json={"title": title, "requester_id": "client-carla"}).json()
        for body, internal in [("We are on it.", False), ("Card issuer flagged the refund.", True)]:
            made = alice.post(f"/cases/{case['id']}/comments", json={"body": body, "internal": internal})
            assert made.status_code == 201, made.text
    page = watched.page
    watched.expected_console_errors.append("status of 404 (Not Found)")
    sign_in(page, api, "client-carla", "client")
    page.get_by_role("link", name=title).click()
    expect(page.locator("#case-title")).to_have_text(title)
    expect(page.locator("#comments .body")).to_have_text(["We are on it."])
    expect(page.get_by_text("Card issuer flagged the refund.")).to_have_count(0)
    expect(page.locator("#transitions button")).to_have_count(0)
    expect(page.locator("#history")).to_be_hidden()
    expect(page.get_by_label("Internal (staff only)")).to_be_hidden()
    page.get_by_label("Add a comment").fill("Thank you.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#comments .body")).to_have_text(["We are on it.", "Thank you."])

    # She opens a case herself: for herself, with no way to assign it.
    page.locator("#detail").get_by_role("link", name="All cases").click()
    own = unique("Second refund missing")
    new_case_form(page, own)
    expect(page.get_by_label("Assignee (user id, optional)")).to_be_hidden()
    expect(page.get_by_label("Requester (client user id, optional)")).to_be_hidden()
    page.get_by_role("button", name="Create case").click()
    shown_case_id(page)
    [opened] = cases_titled(api, own)
    assert (opened["requester_id"], opened["assignee_id"], opened["status"]) == ("client-carla", None, "new")

    # Another client sees neither in the list, and opening the case's address gets the API's 404 detail.
    page.click("#sign-out")
    page.wait_for_url(f"{api.url}/")
    sign_in(page, api, "client-cole", "client")
    expect(page.locator("#cases li").first).to_be_visible()
    assert not {title, own} & set(page.locator("#cases li a").all_inner_texts())
    page.goto(f"/#/cases/{case['id']}")
    expect(page.locator("#error")).to_have_text("Not Found: no such case")
    expect(page.locator("#detail")).to_be_hidden()
    watched.assert_clean()


def test_a_stale_etag_reloads_the_case_and_says_so(watched: Watched, api: Api) -> None:
    title = unique("Shared mailbox missing")
    with api.as_user("agent-alice", "agent") as alice:
        case = alice.post("/cases", json={"title": title}).json()
    page = watched.page
    watched.expected_console_errors.append("status of 412 (Precondition Failed)")
    sign_in(page, api, "agent-alice", "agent")
    page.goto(f"/#/cases/{case['id']}")
    status = page.locator("#case-fields dd").first
    expect(status).to_have_text("new")

    with api.as_user("agent-alice", "agent") as alice:  # meanwhile, someone else works the case
        opened = alice.post(f"/cases/{case['id']}/open", headers={"If-Match": '"1"'})
        assert opened.status_code == 200, opened.text
        changed = alice.patch(
            f"/cases/{case['id']}", json={"priority": "urgent"}, headers={"If-Match": opened.headers["etag"]}
        )
        assert changed.status_code == 200, changed.text

    page.get_by_role("button", name="Open (to open)").click()
    expect(page.locator("#error")).to_have_text(STALE)
    expect(status).to_have_text("open")
    expect(page.locator("#case-fields dd").nth(1)).to_have_text("urgent")
    expect(page.locator("#transitions button")).to_have_text(["Hold (to pending)", "Resolve (to resolved)"])
    page.get_by_role("button", name="Hold (to pending)").click()  # with the ETag just read: accepted
    expect(status).to_have_text("pending")
    expect(page.locator("#error")).to_be_hidden()
    watched.assert_clean()
