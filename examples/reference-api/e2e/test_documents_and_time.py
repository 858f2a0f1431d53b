"""Documents and time in the browser: upload a file with the presigned request the API returns, confirm it,
download it again; log time on a case and see its totals; a refused upload is shown from its problem."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from test_web import sign_in
from test_workflow import unique

from conftest import Api, Watched

NOTE = b"Router serial 4411-AB, replaced on site.\n"


def open_new_case(api: Api, title: str) -> dict[str, Any]:
    with api.as_user("agent-dora", "agent") as dora:
        created = dora.post("/cases", json={"title": title})
        assert created.status_code == 201, created.text
        case: dict[str, Any] = created.json()
        return case


def test_an_agent_uploads_a_document_and_downloads_it_again(watched: Watched, api: Api) -> None:
    case = open_new_case(api, unique("Router replaced"))
    page = watched.page
    sign_in(page, api, "agent-dora", "agent")
    page.goto(f"/#/cases/{case['id']}")
    expect(page.locator("#documents li")).to_have_count(0)
    page.get_by_label("Upload a document").set_input_files(
        {"name": "router-note.txt", "mimeType": "text/plain", "buffer": NOTE}
    )
    with page.expect_request("**/api/dev/storage") as upload:  # straight to storage, not the API
        page.get_by_role("button", name="Upload", exact=True).click()
    # The presigned form (its fields and the file; the Chromium request does not expose a File's bytes).
    assert upload.value.method == "POST"
    assert upload.value.headers["content-type"].startswith("multipart/form-data; boundary=")
    item = page.locator("#documents li")
    expect(item).to_have_text(f"router-note.txt ({len(NOTE)} bytes) Download")
    with api.as_user("agent-dora", "agent") as dora:
        [stored] = dora.get(f"/cases/{case['id']}/documents").json()["items"]
    assert (stored["filename"], stored["status"], stored["size_bytes"]) == (
        "router-note.txt",
        "available",
        len(NOTE),
    )

    with page.expect_download() as downloaded:
        item.get_by_role("button", name="Download").click()
    assert downloaded.value.suggested_filename == "router-note.txt"
    with open(downloaded.value.path(), "rb") as fh:
        assert fh.read() == NOTE
    watched.assert_clean()


def test_an_upload_of_a_type_the_api_refuses_is_shown_and_nothing_is_stored(
    watched: Watched, api: Api
) -> None:
    case = open_new_case(api, unique("Strange attachment"))
    page = watched.page
    watched.expected_console_errors.append("status of 422 (Unprocessable")
    sign_in(page, api, "agent-dora", "agent")
    page.goto(f"/#/cases/{case['id']}")
    page.get_by_label("Upload a document").set_input_files(
        {"name": "tool.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ\x90\x00"}
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#error li")).to_contain_text(["content_type: Input should be"])
    expect(page.locator("#documents li")).to_have_count(0)
    with api.as_user("agent-dora", "agent") as dora:
        assert dora.get(f"/cases/{case['id']}/documents").json()["items"] == []
    watched.assert_clean()


def test_an_agent_logs_time_and_sees_the_case_totals(watched: Watched, api: Api) -> None:
    case = open_new_case(api, unique("Onboarding laptop"))
    with api.as_user("agent-emil", "agent") as emil:
        assert emil.get("/me").status_code == 200  # the API knows the colleague
    with api.as_user("manager-max", "manager") as manager:  # who joins the case and logs an unbilled hour
        added = manager.put(f"/cases/{case['id']}/members/agent-emil")
        assert added.status_code in (200, 201, 204), added.text
    with api.as_user("agent-emil", "agent") as emil:
        logged = emil.post(f"/cases/{case['id']}/time-entries", json={"duration_s": 3600, "billable": False})
        assert logged.status_code == 201, logged.text
    page = watched.page
    sign_in(page, api, "agent-dora", "agent")
    page.goto(f"/#/cases/{case['id']}")
    totals = page.locator("#time-totals")
    expect(totals).to_have_text("1 h 00 min logged, 0 h 00 min billable (agent-emil: 1 h 00 min)")
    page.get_by_label("Minutes worked").fill("45")
    page.get_by_label("Note").fill("Imaged and enrolled the laptop")
    page.get_by_role("button", name="Log time").click()
    expect(totals).to_have_text(
        "1 h 45 min logged, 0 h 45 min billable (agent-dora: 0 h 45 min, agent-emil: 1 h 00 min)"
    )
    expect(page.get_by_label("Minutes worked")).to_have_value("")
    with api.as_user("agent-dora", "agent") as dora:
        entries = dora.get(f"/cases/{case['id']}/time-entries").json()["items"]
    mine = [(e["duration_s"], e["billable"], e["note"]) for e in entries if e["user_id"] == "agent-dora"]
    assert mine == [(2700, True, "Imaged and enrolled the laptop")]
    watched.assert_clean()


def test_a_client_sees_documents_but_no_time(watched: Watched, api: Api) -> None:
    title = unique("Contract copy")
    with api.as_user("client-dan", "client") as dan:
        assert dan.get("/me").status_code == 200
    with api.as_user("agent-dora", "agent") as dora:
        case = dora.post("/cases", json={"title": title, "requester_id": "client-dan"}).json()
    page = watched.page
    sign_in(page, api, "client-dan", "client")
    page.goto(f"/#/cases/{case['id']}")
    expect(page.locator("#case-title")).to_have_text(title)
    expect(page.get_by_label("Upload a document")).to_be_visible()
    expect(page.locator("#time-totals")).to_be_hidden()
    expect(page.get_by_label("Minutes worked")).to_be_hidden()
    watched.assert_clean()
