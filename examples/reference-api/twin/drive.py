"""How the checks drive the twin: bounded waits, and clients that reach the API as browsers do."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
from deployment import Deployment
from task import ContainerProcess


def bounded(check: Callable[[], Any], timeout_s: float, what: str, every_s: float = 0.25) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(every_s)


def client_options(twin: Deployment, token: str | None = None) -> dict[str, Any]:
    """HTTPS to the distribution's /api/*, through the twin's network, trusting the twin's CA only."""
    return {
        "base_url": f"https://{twin.cloudfront_domain}/api",
        "proxy": twin.proxy.url,
        "verify": twin.certificates.client_context(),
        "headers": {"Authorization": f"Bearer {token}"} if token else {},
        "timeout": 30,
    }


def through_cloudfront(twin: Deployment, token: str | None = None) -> httpx.Client:
    return httpx.Client(**client_options(twin, token))


def explain(failures: list[str], process: ContainerProcess) -> str:
    """The first failures and the last warnings and errors the container logged."""
    logged = [r for r in process.records() if r.get("level") in ("warning", "error", "critical", "raw")]
    return "\n".join([*failures[:3], "--- the app logged:", *(json.dumps(r) for r in logged[-8:])])
