"""The web front end in headless Chromium: sign in through the (development) hosted UI with code + PKCE,
list and open cases as the API allows, sign out; the error paths; the CSP that forbids inline script."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from playwright.sync_api import Page, expect

from conftest import Api, Watched

ALICE_CASES = {"Invoice 2041 charged twice", "Data export request"}  # assigned to agent-alice (demo.py)
CARLA_CASES = {"Invoice 2041 charged twice", "Change of address"}  # requested by client-carla


def start_sign_in(page: Page) -> None:
    page.goto("/")
    page.click("#sign-in")
    page.wait_for_url(re.compile(r"/dev-issuer/oauth2/authorize\?"))


def sign_in(page: Page, api: Api, user: str, role: str) -> None:
    start_sign_in(page)
    page.fill("#username", user)
    page.select_option("#role", role)
    page.click("#submit")
    page.wait_for_url(f"{api.url}/")  # the app drops ?code=&state= once it has exchanged the code
    expect(page.locator("#who")).to_have_text(f"{user}@example.com ({role})")


def submit_and_see_refusal(page: Page, api: Api, error: str) -> None:
    """Submit the (tampered) sign-in as agent-alice: back on the app, ``error`` is shown and nobody is
    signed in."""
    page.fill("#username", "agent-alice")
    page.click("#submit")
    page.wait_for_url(f"{api.url}/")
    expect(page.locator("#error")).to_have_text(error)
    expect(page.locator("#sign-in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('accessToken')") is None


def api_get(api: Api, page: Page, path: str) -> Any:
    """What the API itself answers the signed-in user (the token the page obtained)."""
    token = page.evaluate("sessionStorage.getItem('accessToken')")
    response = httpx.get(f"{api.url}/api{path}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def test_an_agent_signs_in_sees_their_cases_opens_one_and_signs_out(watched: Watched, api: Api) -> None:
    page = watched.page
    sign_in(page, api, "agent-alice", "agent")

    listed = api_get(api, page, "/cases?limit=25&sort=-updated_at")["items"]
    titles = [c["title"] for c in listed]
    assert set(titles) == ALICE_CASES
    expect(page.locator("#cases li a")).to_have_text(titles)
    expect(page.locator("#cases li .status")).to_have_text([c["status"] for c in listed])

    chosen = listed[-1]
    page.get_by_role("link", name=chosen["title"]).click()
    page.wait_for_url(f"{api.url}/#/cases/{chosen['id']}")
    shown = api_get(api, page, f"/cases/{chosen['id']}")
    expect(page.locator("#case-title")).to_have_text(shown["title"])
    expect(page.locator("#case-description")).to_have_text(shown["description"])
    expect(page.locator("#case-fields dt")).to_have_text(
        ["Status", "Priority", "Assignee", "Team", "Due", "Tags", "Updated"]
    )
    values = page.locator("#case-fields dd")
    expected = [
        shown["status"],
        shown["priority"],
        shown["assignee_id"] or "nobody",
        shown["team"] or "none",
        shown["due_date"] or "none",
        ", ".join(shown["tags"]) or "none",
    ]
    for i, value in enumerate(expected):
        expect(values.nth(i)).to_have_text(value)
    expect(page.locator("#list")).to_be_hidden()

    page.locator("#detail").get_by_role("link", name="All cases").click()
    expect(page.locator("#cases li a")).to_have_text(titles)

    page.click("#sign-out")
    page.wait_for_url(f"{api.url}/")
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#sign-out")).to_be_hidden()
    expect(page.locator("#list")).to_be_hidden()
    expect(page.locator("#who")).to_have_text("")
    assert page.evaluate("sessionStorage.getItem('accessToken')") is None
    watched.assert_clean()


def test_a_client_sees_only_their_own_cases(watched: Watched, api: Api) -> None:
    page = watched.page
    sign_in(page, api, "client-carla", "client")
    listed = api_get(api, page, "/cases?limit=25&sort=-updated_at")["items"]
    assert {c["title"] for c in listed} == CARLA_CASES
    assert {c["requester_id"] for c in listed} == {"client-carla"}
    expect(page.locator("#cases li a")).to_have_text([c["title"] for c in listed])
    watched.assert_clean()


def test_a_state_that_does_not_match_is_refused(watched: Watched, api: Api) -> None:
    page = watched.page
    start_sign_in(page)
    tampered = re.sub(r"state=[^&]+", "state=forged", page.url)
    page.goto(tampered)
    submit_and_see_refusal(page, api, "Sign-in state mismatch: sign in again.")
    watched.assert_clean()


def test_an_error_in_the_redirect_shows_only_our_own_words(watched: Watched, api: Api) -> None:
    """A crafted link's error_description is never shown: state is checked first, then our message."""
    page = watched.page
    lure = "Your account is locked: call +1 555 0100"
    query = f"error=access_denied&error_description={quote(lure)}"
    page.goto(f"{api.url}/?{query}&state=forged")  # no sign-in started: nothing saved to match
    expect(page.locator("#error")).to_have_text("Sign-in state mismatch: sign in again.")
    start_sign_in(page)
    state = parse_qs(urlsplit(page.url).query)["state"][0]
    page.goto(f"{api.url}/?{query}&state={quote(state)}")  # even with the right state
    expect(page.locator("#error")).to_have_text("Sign-in was refused or cancelled: sign in again.")
    assert lure not in page.content()
    expect(page.locator("#sign-in")).to_be_visible()
    watched.assert_clean()


def test_a_verifier_that_does_not_match_is_refused(watched: Watched, api: Api) -> None:
    page = watched.page
    start_sign_in(page)
    # The sign-in page is on the app's origin here, so the saved PKCE verifier can be swapped.
    page.evaluate(
        """() => {
        const saved = JSON.parse(sessionStorage.getItem("pkce"));
        saved.verifier = "x".repeat(64);
        sessionStorage.setItem("pkce", JSON.stringify(saved));
    }"""
    )
    submit_and_see_refusal(page, api, "Token exchange failed (HTTP 400).")
    # Chromium logs the refused token request; nothing else may show up.
    watched.expected_console_errors.append(f"status of 400 (Bad Request) [{api.url}/dev-issuer/oauth2/token]")
    watched.assert_clean()


def test_the_policy_blocks_inline_script_and_the_watch_catches_it(watched: Watched, api: Api) -> None:
    """The guard against an inline-script regression: the page as served, plus one inline script."""
    page = watched.page

    def with_inline_script(route: Any) -> None:
        response = route.fetch()
        body = response.text().replace("</head>", "<script>window.inlineRan = true;</script></head>")
        route.fulfill(response=response, body=body)

    page.route(f"{api.url}/", with_inline_script)
    page.goto("/")
    expect(page.locator("#sign-in")).to_be_visible()  # app.js, from this origin, still runs
    assert page.evaluate("window.inlineRan") is None
    assert len(watched.csp_violations) == 1 and "script-src" in watched.csp_violations[0]
    assert any("Content Security Policy" in e for e in watched.console_errors)
    watched.csp_violations.clear()
    watched.console_errors.clear()
