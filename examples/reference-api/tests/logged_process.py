"""A child process whose output is kept line by line while it runs: the API started as a process by its
tests, and each container of the deployment's twin. The API logs one JSON record a line.

Nothing of the reference API is imported here: the twin loads the app's settings from the source it
deploys, so it must not have imported another copy of the package first.
"""

from __future__ import annotations

import json
import subprocess
import threading
from typing import Any


class LoggedProcess:
    """A running child process (stdout and stderr merged into one text pipe) and its output lines, which a
    reader thread keeps as they come."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def records(self) -> list[dict[str, Any]]:
        """The process's log records; a line that is not JSON (a stray traceback) becomes a `raw` record."""
        parsed: list[dict[str, Any]] = []
        for line in list(self.lines):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = None
            parsed.append(record if isinstance(record, dict) else {"level": "raw", "message": line})
        return parsed

    def output(self) -> str:
        """Everything the process wrote so far."""
        return "\n".join(self.lines)

    def exit_code(self, timeout: float) -> int | None:
        """The exit code once the process exits within ``timeout`` seconds (its output then kept to the
        last line), or None if it is still running."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._reader.join(timeout=5)
        return code
