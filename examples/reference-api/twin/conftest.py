"""The deployment's twin (`make twin`, not part of `make test`): one deployment for the whole session.

The session synthesizes the reference deployment, stands in for what its API task reaches, runs the
task's containers as ECS would, and closes with a summary of what it exercised, what the twin changed,
and what the stand-ins do not enforce (each with the template test that checks it instead).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

if not os.environ.get("XDG_RUNTIME_DIR"):  # pgserver's lock file (as in the API's tests)
    _runtime = Path(tempfile.gettempdir()) / f"refapi-runtime-{os.getuid()}"
    _runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime)

from deployment import Deployment, deployed  # noqa: E402  # after the path and runtime set-up
from summary import closing_summary  # noqa: E402
from task import can_sandbox  # noqa: E402

_session: dict[str, Any] = {}


def pytest_sessionstart(session: pytest.Session) -> None:
    problem = can_sandbox()
    if problem:
        raise pytest.UsageError(f"make twin cannot run here: {problem}")
    try:
        import joserfc  # noqa: F401  # moto's Cognito signs its tokens with it
    except ImportError:
        raise pytest.UsageError(
            "make twin needs moto's Cognito extra (joserfc); it comes with the development lock: make install"
        ) from None


@pytest.fixture(scope="session")
def twin() -> Iterator[Deployment]:
    with deployed(keep=bool(os.environ.get("TWIN_KEEP"))) as deployment:
        _session["deployment"] = deployment
        yield deployment


def pytest_terminal_summary(terminalreporter: Any) -> None:
    deployment = _session.get("deployment")
    if deployment is not None:
        terminalreporter.write_sep("=", "the deployment's twin")
        terminalreporter.write_line(closing_summary(deployment))
