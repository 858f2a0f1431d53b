"""The web front end in headless Chromium, served as CloudFront serves it, signed in through the hosted UI.

The browser reaches every host by its deployed name over HTTPS through the twin's network: the
distribution (the deployed files under the response headers policy, /api/* to the task), the user
pool's hosted UI (code flow with PKCE, users signing in with password and TOTP), and the documents
bucket, where uploads and downloads go with the requests the API presigns, under the bucket's CORS rules.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cognito import totp
from deployment import USER_PASSWORD, Deployment, User
from drive import through_cloudfront
from playwright.sync_api import Page, expect

from conftest import e2e_support

E2E = e2e_support()
NOTE = b"Signed contract, page 2 of 2.\n"


@pytest.fixture(scope="module")
def browser(accepting: Deployment) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    trust = f"--ignore-certificate-errors-spki-list={accepting.certificates.spki_sha256}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=E2E.CHROMIUM,
            headless=True,
            args=[*E2E.CHROMIUM_ARGS, trust],
            proxy={"server": accepting.proxy.url},
        )
        yield browser
        browser.close()


@pytest.fixture
def watched(browser: Any, accepting: Deployment) -> Iterator[Any]:
    context = browser.new_context(base_url=f"https://{accepting.cloudfront_domain}")
    context.set_default_timeout(15_000)
    page = context.new_page()
    seen = E2E.Watched(page)
    context.expose_binding("__reportCsp", lambda _source, text: seen.csp_violations.append(text))
    context.add_init_script(E2E.REPORT_CSP)
    page.on(
        "console",
        lambda m: m.type == "error" and seen.console_errors.append(f"{m.text} [{m.location.get('url')}]"),
    )
    page.on("pageerror", lambda e: seen.page_errors.append(str(e)))
    try:
        yield seen
    finally:
        context.close()


def assert_clean(watched: Any) -> None:
    """No CSP violation, page error or unexpected console error, each shown when there is one."""
    assert watched.csp_violations == [], watched.csp_violations
    assert watched.page_errors == [], watched.page_errors
    assert watched.unexpected_console_errors() == [], watched.console_errors


def sign_in(page: Page, twin: Deployment, user: User) -> None:
    """Through the hosted UI, as a user does: e-mail, password, the authenticator's code."""
    page.goto("/")
    page.click("#sign-in")
    page.wait_for_url(re.compile(rf"^https://{re.escape(twin.standins.hosted_ui_domain)}/oauth2/authorize\?"))
    page.fill("#username", user.email)
    page.fill("#password", USER_PASSWORD)
    page.fill("#totp", totp(user.authenticator["secret"]))
    page.click("#submit")
    page.wait_for_url(f"https://{twin.cloudfront_domain}/")  # the app has exchanged the code
    # Cognito's access token carries no e-mail; /api/me has the address from the user pool.
    expect(page.locator("#who")).to_have_text(f"{user.email} ({user.group})")


def new_case(twin: Deployment, title: str, **fields: Any) -> dict[str, Any]:
    with through_cloudfront(twin, twin.access_token("agent")) as api:
        created = api.post("/cases", json={"title": title, **fields})
    assert created.status_code == 201, created.text
    case: dict[str, Any] = created.json()
    return case


def test_an_agent_signs_in_through_the_hosted_ui_logs_time_and_signs_out(
    watched: Any, accepting: Deployment
) -> None:
    twin = accepting
    agent = twin.users["agent"]
    title = f"Onboarding {uuid.uuid4().hex[:6]}"
    case = new_case(twin, title)
    page = watched.page
    sign_in(page, twin, agent)
    expect(page.get_by_role("link", name=title)).to_be_visible()
    page.get_by_role("link", name=title).click()
    expect(page.locator("#case-title")).to_have_text(title)
    page.get_by_label("Minutes worked").fill("30")
    page.get_by_role("button", name="Log time").click()
    expect(page.locator("#time-totals")).to_have_text(
        f"0 h 30 min logged, 0 h 30 min billable ({agent.sub}: 0 h 30 min)"
    )
    with through_cloudfront(twin, twin.access_token("agent")) as api:
        totals = api.get(f"/cases/{case['id']}/time-totals").json()
    assert (totals["total_s"], totals["billable_s"]) == (1800, 1800)
    page.click("#sign-out")
    page.wait_for_url(f"https://{twin.cloudfront_domain}/")  # the hosted UI's logout sent it back
    expect(page.locator("#sign-in")).to_be_visible()
    assert_clean(watched)
    twin.exercised.append(
        "in Chromium: the front end as CloudFront serves it (deployed files, runtime config and CSP from the "
        "template) signed an agent in through the hosted UI (code + PKCE, password and TOTP), logged time "
        "on a case, showed its totals and signed out"
    )


def test_an_agent_uploads_a_document_straight_to_the_bucket_and_downloads_it(
    watched: Any, accepting: Deployment
) -> None:
    """With the CSP as synthesized (the bucket's origin in connect-src), the presigned POST form passes
    the bucket's CORS rules as synthesized, and the API keeps and serves the version it checked."""
    twin = accepting
    agent = twin.users["agent"]
    bucket = twin.standins.documents_bucket
    bucket_origin = f"https://{bucket}.s3.amazonaws.com"
    site = twin.edge.site
    assert site is not None
    assert bucket_origin in site.headers["Content-Security-Policy"].split("connect-src")[1].split(";")[0]
    case = new_case(twin, f"Contract {uuid.uuid4().hex[:6]}")
    page = watched.page
    sign_in(page, twin, agent)
    page.goto(f"/#/cases/{case['id']}")
    expect(page.locator("#documents li")).to_have_count(0)
    page.get_by_label("Upload a document").set_input_files(
        {"name": "contract.txt", "mimeType": "text/plain", "buffer": NOTE}
    )
    with page.expect_request(lambda r: r.url.startswith(bucket_origin) and r.method == "POST") as upload:
        page.get_by_role("button", name="Upload", exact=True).click()
    assert upload.value.headers["content-type"].startswith("multipart/form-data")
    item = page.locator("#documents li")
    expect(item).to_have_text(f"contract.txt ({len(NOTE)} bytes) Download")

    with through_cloudfront(twin, twin.access_token("agent")) as api:
        [document] = api.get(f"/cases/{case['id']}/documents").json()["items"]
    key = f"cases/{case['id']}/{document['id']}"
    s3 = twin.standins.client("s3")
    uploaded = s3.head_object(Bucket=bucket, Key=f"uploads/{key}")  # what the browser sent
    head = s3.head_object(Bucket=bucket, Key=key)  # the copy the API kept at confirm
    for stored in (uploaded, head):
        assert stored["ContentType"] == "text/plain" and stored["ContentLength"] == len(NOTE)
    data_key = twin.resolver.resolve(
        twin.stack.resources[twin.standins.documents_bucket_id]["Properties"]["BucketEncryption"][
            "ServerSideEncryptionConfiguration"
        ][0]["ServerSideEncryptionByDefault"]["KMSMasterKeyID"],
        "documents bucket key",
    )
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", data_key)

    with page.expect_download() as downloaded:
        item.get_by_role("button", name="Download").click()
    assert downloaded.value.url.startswith(f"{bucket_origin}/{key}?")
    assert f"versionId={head['VersionId']}" in downloaded.value.url  # the version kept at confirm
    assert downloaded.value.suggested_filename == "contract.txt"
    with open(downloaded.value.path(), "rb") as fh:
        assert fh.read() == NOTE
    assert_clean(watched)
    twin.exercised.append(
        "in Chromium: a document uploaded with the API's presigned POST form straight to the bucket (allowed "
        "by the CSP as synthesized, answered under the bucket's CORS rules as synthesized), stored with "
        "SSE-KMS under the data key, kept by the API at confirm as a copy of the checked version, downloaded "
        "again with a presigned GET of that version"
    )


def test_another_origin_cannot_read_the_buckets_answer(watched: Any, accepting: Deployment) -> None:
    """CORS as synthesized admits the distribution only: a page of another origin posting the same form
    gets no readable answer. (The form itself is what authorizes an upload, wherever it is sent from; what
    it uploads waits under uploads/ and is never a document until its uploader confirms it.)"""
    twin = accepting
    case = new_case(twin, f"Cross origin {uuid.uuid4().hex[:6]}")
    with through_cloudfront(twin, twin.access_token("agent")) as api:
        started = api.post(
            f"/cases/{case['id']}/documents",
            json={"filename": "x.txt", "content_type": "text/plain", "size_bytes": 3},
        )
    assert started.status_code == 201, started.text
    upload = started.json()["upload"]
    assert upload["method"] == "POST"
    page = watched.page
    watched.expected_console_errors += ["CORS policy", "net::ERR_FAILED"]
    page.goto(f"https://{twin.standins.hosted_ui_domain}/logout")  # any page of another origin
    outcome = page.evaluate(
        """async ({url, fields}) => {
             const form = new FormData();
             for (const [name, value] of Object.entries(fields)) form.append(name, value);
             form.append("file", new Blob(["abc"], {type: "text/plain"}));
             try {
               const response = await fetch(url, {method: "POST", body: form});
               return `HTTP ${response.status}`;
             } catch (e) { return `refused: ${e.name}`; }
           }""",
        {"url": upload["url"], "fields": upload["fields"]},
    )
    assert outcome == "refused: TypeError"
    kept = twin.standins.client("s3").list_objects_v2(
        Bucket=twin.standins.documents_bucket, Prefix=f"cases/{case['id']}/"
    )
    assert kept.get("KeyCount", 0) == 0
