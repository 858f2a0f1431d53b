"""Helpers shared by the reference API's tests (a module name of its own, unlike `conftest`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from logged_process import LoggedProcess
from reference_api.db import Database
from reference_api.settings import Settings

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path


def database_url(server_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def create_database(server_url: str, name: str) -> str:
    """(Re)create an empty database on the server and return its URL."""
    admin = Database(Settings(environment="test", database_url=server_url))
    from sqlalchemy import text

    async with admin.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return database_url(server_url, name)


def stop_embedded(server: Any) -> None:
    """Stop an embedded (pgserver) PostgreSQL for sure.

    pgserver's own cleanup stops the server only when its shared per-user handle list says this
    process holds the last handle, which left servers running after some runs; pg_ctl stop is final.
    """
    import contextlib
    import subprocess

    from pgserver._commands import pg_ctl

    try:
        server.cleanup()
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user, timeout=20)


async def migrate_with_own_handle(settings: Settings) -> None:
    """Migrate the settings' database through a Database of its own, closed afterwards (for tests that
    then run the API as a process, which must find no connection of the test's left open)."""
    from reference_api.migrate import migrate

    db = Database(settings)
    try:
        await migrate(db)
    finally:
        await db.dispose()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ApiProcess(LoggedProcess):
    """``python -m reference_api serve`` as a child process, as ECS runs it; its JSON log lines are kept."""

    def __init__(self, env: dict[str, str]) -> None:
        import subprocess
        import sys

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "reference_api",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        super().__init__(
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        )

    async def wait_ready(self, timeout: float = 20) -> None:
        """Bounded wait until /ready answers 200 (the process started and reached its database)."""
        import asyncio
        import time

        import httpx

        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"the API exited with {self.proc.returncode}:\n{self.output()}")
                try:
                    if (await client.get("/ready")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"the API was not ready within {timeout} s:\n{self.output()}")

    def wait_exit(self, timeout: float) -> int:
        code = self.exit_code(timeout)
        if code is None:
            raise AssertionError(f"the API did not exit within {timeout} s:\n{self.output()}")
        return code

    def __enter__(self) -> ApiProcess:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        import subprocess

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        if exc_type is not None:  # pytest shows captured stdout with the failure
            print(f"--- API process output (exit {self.proc.returncode}) ---\n{self.output()}")


def api_env(settings: Settings, **overrides: str) -> dict[str, str]:
    """The environment of an API process with the test settings (dev key, directories, cursor secret)."""
    env = clean_env()
    env.update(
        {
            "API_ENVIRONMENT": settings.environment,
            "API_DEV_KEY_PATH": settings.dev_key_path,
            "API_DOCUMENTS_DIR": settings.documents_dir,
            "API_MAIL_DIR": settings.mail_dir,
            "API_CURSOR_SECRET": settings.cursor_secret.get_secret_value(),
            "API_LOG_LEVEL": "INFO",
        }
    )
    env.update(overrides)
    return env


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the API's configuration (API_*, DATABASE_URL), AWS settings or
    pytest's current-test marker, plus ``extra``: what a child process of the API starts from."""
    import os

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("API_", "AWS_")) and k not in ("DATABASE_URL", "PYTEST_CURRENT_TEST")
    }
    return {**env, **extra}


def run_cli(*argv: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m reference_api <argv>`` run to its end, as a container's command override runs it:
    stdout and stderr captured as text, bounded to a minute."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "reference_api", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )
