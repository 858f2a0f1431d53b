"""The deployment's twin (`make twin`, not part of `make test`): one deployment for the whole session.

The session synthesizes the reference deployment, stands in for what its API task reaches, runs the
task's containers as ECS would, and closes with a summary of what it exercised, what the twin changed,
and what the stand-ins do not enforce (each with the template test that checks it instead).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.append(str(HERE.parent / "tests"))  # logged_process: the containers' kept output

if not os.environ.get("XDG_RUNTIME_DIR"):  # pgserver's lock file (as in the API's tests)
    _runtime = Path(tempfile.gettempdir()) / f"refapi-runtime-{os.getuid()}"
    _runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime)

import httpx  # noqa: E402  # after the path and runtime set-up, like the imports below
from deployment import Deployment, deployed  # noqa: E402  # after the path and runtime set-up
from summary import closing_summary  # noqa: E402  # after the path set-up
from task import FRESH_TASK_CLOCK_S, can_sandbox  # noqa: E402  # after the path set-up

_session: dict[str, Any] = {}


def pytest_sessionstart(session: pytest.Session) -> None:
    problem = can_sandbox()
    if problem:
        raise pytest.UsageError(f"make twin cannot run here: {problem}")
    chromium = e2e_support().CHROMIUM
    if not (os.path.isfile(chromium) and os.access(chromium, os.X_OK)):
        raise pytest.UsageError(e2e_support().INSTRUCTION.replace("make e2e", "make twin"))
    try:
        import joserfc  # noqa: F401  # moto's Cognito signs its tokens with it
    except ImportError:
        raise pytest.UsageError(
            "make twin needs moto's Cognito extra (joserfc); it comes with the development lock: make install"
        ) from None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The stop last (stable: file order otherwise)."""
    items.sort(key=lambda item: item.name.startswith("test_sigterm"))


@pytest.fixture(scope="session")
def twin() -> Iterator[Deployment]:
    with deployed(keep=bool(os.environ.get("TWIN_KEEP"))) as deployment:
        _session["deployment"] = deployment
        yield deployment


@pytest.fixture(scope="session")
def accepting(twin: Deployment) -> Deployment:
    """The task, which accepts Cognito tokens from its first request (it fetched the keys at start-up)."""
    (app,) = twin.tasks
    token = twin.access_token("agent")
    response = httpx.get(f"{app.url}/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    twin.exercised.append(
        f"a task whose clock started at {FRESH_TASK_CLOCK_S} s accepted a Cognito token at the first try, "
        f"{time.monotonic() - app.started_at:.0f} s after it started (keys fetched at start-up)"
    )
    return twin


def e2e_support() -> Any:
    """The browser tests' own conftest (Chromium's path and flags, the CSP and console watch), as a module."""
    import importlib.util

    name = "refapi_e2e_support"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE.parent / "e2e" / "conftest.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules[name]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    deployment = _session.get("deployment")
    if deployment is not None:
        terminalreporter.write_sep("=", "the deployment's twin")
        terminalreporter.write_line(closing_summary(deployment))
