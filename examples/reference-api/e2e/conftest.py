"""Browser tests of the web front end against the real API process (`make e2e`, not part of `make test`).

One session: PostgreSQL from pgserver in a temporary directory, migrated, loaded with `make api`'s demo
data; the API started as a process (`python -m reference_api serve`, development environment), serving
web/ with CdnFrontend's Content-Security-Policy; Debian's Chromium, headless, driven by Playwright
through `executable_path` (Playwright's own browser download is never used).

Each test gets a fresh browser context and fails on any console error, uncaught page error or
Content-Security-Policy violation unless it names the ones it expects.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent
sys.path.insert(0, str(EXAMPLE / "tests"))  # refapi_support: ApiProcess, api_env, create_database

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
INSTRUCTION = (
    f"make e2e needs Chromium at {CHROMIUM}. Install Debian's: `apt-get install -y chromium` "
    "(as root; .ci/run does this), or point CHROMIUM=/path/to/chromium at another build."
)
# As root in a container: no sandbox; no GPU; nothing that phones home (the network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


if not os.environ.get("XDG_RUNTIME_DIR"):  # pgserver's lock file (see tests/conftest.py)
    _runtime = Path(tempfile.gettempdir()) / f"refapi-runtime-{os.getuid()}"
    _runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime)


def pytest_sessionstart(session: pytest.Session) -> None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        raise pytest.UsageError(INSTRUCTION)


@dataclass
class Api:
    url: str
    process: Any
    settings: Any

    def as_user(self, sub: str, role: str) -> httpx.Client:
        """An HTTP client of the API signed in as `sub` (a development token, as the sign-in page issues)."""
        from reference_api.dev.issuer import DevIssuer

        token = DevIssuer(self.settings).token(sub, role)
        return httpx.Client(base_url=f"{self.url}/api", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="session")
def api() -> Iterator[Api]:
    import pgserver
    from refapi_support import ApiProcess, api_env, create_database, stop_embedded
    from reference_api.db import Database
    from reference_api.dev.demo import load_demo_data
    from reference_api.migrate import migrate
    from reference_api.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="refapi-e2e-"))
    server = pgserver.get_server(work / "pg", cleanup_mode="stop")
    try:
        url = asyncio.run(create_database(server.get_uri(), "refapi_e2e"))
        settings = Settings(
            environment="development",
            database_url=url,
            dev_key_path=str(work / "dev-signing-key.pem"),
            documents_dir=str(work / "documents"),
            mail_dir=str(work / "mail"),
            cursor_secret="e2e-cursor-secret-" + "x" * 20,
        )

        async def prepare() -> None:
            db = Database(settings)
            try:
                await migrate(db)
                await load_demo_data(db)
            finally:
                await db.dispose()

        asyncio.run(prepare())
        env = api_env(settings, DATABASE_URL=url, API_WEB_DIR=str(EXAMPLE / "web"))
        with ApiProcess(env) as process:
            asyncio.run(process.wait_ready(timeout=30))
            yield Api(process.url, process, settings)
    finally:
        stop_embedded(server)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(api: Api) -> Iterator[Any]:
    """After the API: Playwright's sync API keeps an event loop running, so asyncio.run() must be done."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Watched:
    """What the page reported: console errors, uncaught errors, CSP violations."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    expected_console_errors: list[str] = field(default_factory=list)  # substrings a test allows

    def assert_clean(self) -> None:
        assert self.csp_violations == [], "Content-Security-Policy violations"
        assert self.page_errors == [], "uncaught errors in the page"
        assert self.unexpected_console_errors() == [], "console errors"

    def unexpected_console_errors(self) -> list[str]:
        return [
            text
            for text in self.console_errors
            if not any(allowed in text for allowed in self.expected_console_errors)
        ]


# Runs in every document before its own scripts (through the DevTools protocol, so the page's CSP does
# not apply to it); the binding survives navigations.
REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__reportCsp(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${e.documentURI}`);
});
"""


@pytest.fixture
def watched(browser: Any, api: Api) -> Iterator[Watched]:
    context = browser.new_context(base_url=api.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    seen = Watched(page)
    context.expose_binding("__reportCsp", lambda _source, text: seen.csp_violations.append(text))
    context.add_init_script(REPORT_CSP)

    def on_console(message: Any) -> None:
        if message.type == "error":
            seen.console_errors.append(f"{message.text} [{message.location.get('url')}]")

    page.on("console", on_console)
    page.on("pageerror", lambda e: seen.page_errors.append(str(e)))
    try:
        yield seen
    finally:
        context.close()
    seen.assert_clean()  # also after the test's own check: whatever happened after it
