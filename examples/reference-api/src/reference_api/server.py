"""Serving: one uvicorn process per task (scale by task count), tuned for an ALB.

- keep-alive 75 s (``API_KEEP_ALIVE_S``), longer than the ALB's 60 s idle timeout, so the ALB never
  reuses a connection the server just closed (a 502 cause AWS documents);
- on SIGTERM uvicorn stops accepting, lets in-flight requests finish for up to
  ``API_GRACEFUL_SHUTDOWN_S`` (keep it under the ECS stop timeout), then the lifespan disposes the pool;
- a stop on SIGTERM exits 0. uvicorn re-raises the signal it handled once it has drained, so with the
  default disposition every graceful stop would end as "killed by SIGTERM" (exit 143 in ECS), which
  hides real crashes among routine deployments. The handler installed here turns that re-raised
  signal, and a SIGTERM that arrives before uvicorn took over the signals, into a clean exit.
"""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn

from .app import create_app
from .settings import get_settings


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(host: str, port: int) -> None:
    signal.signal(signal.SIGTERM, _exit_cleanly)
    settings = get_settings()
    app = create_app(settings)
    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        timeout_keep_alive=settings.keep_alive_s,
        timeout_graceful_shutdown=settings.graceful_shutdown_s,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
    )
