"""The API's containers run as ECS runs them: the task definition's environment and secrets over the image's,
its user, a read-only root filesystem with the task's writable volumes, and a fresh task's clock.

Each container is a process in namespaces of its own (``unshare``): a mount namespace where ``/`` is
read-only and each writable mount point is an empty tmpfs, and a time namespace whose monotonic clock
starts near zero, as on a Fargate task that just booted. The process runs as the container's ``User``
(``setpriv``). The network namespace is the task's (``netns.TaskNetwork``), shared by its containers.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logged_process import LoggedProcess
from netns import TaskNetwork
from refs import Resolver
from stack import ApiTask, Container, TwinError

# The image's base (python:3.11-slim) sets this PATH; the Dockerfile puts its venv in front of it.
BASE_IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IMAGE_VENV = "/opt/venv"
# Variables the interpreter or the OS read, not the app: allowed in a container's environment.
RUNTIME_VARIABLES = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}
FRESH_TASK_CLOCK_S = 10
"""A Fargate task's monotonic clock when its app starts: the micro-VM booted seconds before."""


def variables_the_app_reads(source: Path) -> set[str]:
    """Every variable the app's code reads: its settings' names and the ``API_*`` names in its source."""
    sys.path.insert(0, str(source))
    try:
        from reference_api.settings import Settings
    finally:
        sys.path.remove(str(source))
    names: set[str] = set()
    prefix = str(Settings.model_config.get("env_prefix", ""))
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        choices = getattr(alias, "choices", None)
        if choices:
            names.update(str(c) for c in choices)
        else:
            names.add(f"{prefix}{name}".upper())
    for path in (source / "reference_api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.update(re.findall(r"^API_[A-Z0-9_]+$", node.value))
    return names


def image_environment(task: ApiTask) -> dict[str, str]:
    """The image's ENV, with its venv standing for the development venv (built from the same lock)."""
    env: dict[str, str] = {}
    for key, value in task.dockerfile.env.items():
        value = value.replace("$PATH", BASE_IMAGE_PATH).replace("${PATH}", BASE_IMAGE_PATH)
        env[key] = value.replace(IMAGE_VENV, sys.prefix)
    return env


def container_environment(
    task: ApiTask, container: Container, resolver: Resolver, read_secret: Any, known: set[str]
) -> dict[str, str]:
    """The image's ENV overlaid with the container's Environment and Secrets, every reference resolved.

    A variable the app does not read fails the twin: pydantic-settings ignores unknown names, so a
    renamed variable would otherwise be silently dropped.
    """
    env = image_environment(task)
    for name, value in container.environment.items():
        resolved = resolver.resolve(value, f"container {container.name!r}, Environment {name}")
        env[name] = str(resolved)
    for name, value_from in container.secrets.items():
        where = f"container {container.name!r}, Secrets {name}"
        reference = str(resolver.resolve(value_from, where))
        # ECS's ValueFrom: the secret's ARN, optionally ":json-key:version-stage:version-id".
        match = re.fullmatch(
            r"(arn:aws:secretsmanager:[^:]+:\d+:secret:[^:]+)(?::([^:]*):([^:]*):([^:]*))?", reference
        )
        if not match:
            raise TwinError(f"{where}: {reference} is not a Secrets Manager ARN the twin can read")
        env[name] = read_secret(match.group(1), match.group(2) or None)
    unknown = sorted(n for n in env if n not in known and n not in RUNTIME_VARIABLES)
    if unknown:
        raise TwinError(
            f"container {container.name!r} sets {unknown}, which the app never reads: "
            "a renamed or misspelled setting (pydantic-settings would silently ignore it)"
        )
    return env


def task_addresses(n: int) -> Iterator[str]:
    """Loopback addresses for the n-th task, standing in for its ENI's address in the VPC, in the order to
    try them: ``127.0.{77+n}.1`` first, then the same in ``127.1``, ``127.2``, ... (another twin running on
    the machine holds the first ones)."""
    for second in range(256):
        yield f"127.{second}.{77 + n}.1"


@dataclass
class ContainerProcess(LoggedProcess):
    """One container of the task, running; its output lines are kept."""

    name: str
    argv: list[str]
    env: dict[str, str]
    proc: subprocess.Popen[str]
    network: TaskNetwork
    started_at: float = field(default_factory=time.monotonic)
    url: str = ""  # where the task's port is published (the app container only)
    healthy_after_s: float = 0.0

    def __post_init__(self) -> None:
        super().__init__(self.proc)

    def wait(self, timeout: float) -> int:
        code = self.exit_code(timeout)
        if code is None:
            raise TwinError(f"{self.name} did not exit within {timeout} s:\n{self.output()}")
        return code

    def stop(self, timeout: float) -> int:
        """What ECS does on a stop: SIGTERM, then SIGKILL after the container's stop timeout."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.wait(timeout)
        except TwinError:
            self.proc.kill()
            self.proc.wait(timeout=5)
            raise


def sandboxed(container: Container, argv: list[str], clock_s: float, network: TaskNetwork) -> list[str]:
    """``argv`` in the container's sandbox: the task's network, mounts, clock and user as the task says."""
    offset = int(clock_s - time.monotonic())
    # The interpreter, and the environment standing in for the image's /opt/venv.
    script = ["set -e", *_reachable([Path(sys.base_prefix), Path(sys.prefix)])]
    if container.read_only_root:
        script.append("mount -o remount,bind,ro /")
    # A writable path is an empty tmpfs; what the process needs from under it (a clone, and so its venv,
    # under /tmp) is bound back on top, as an image keeps its venv outside /tmp.
    kept = [
        (f"/dev/shm/twin-keep-$$-{i}", shlex.quote(str(p)))
        for i, p in enumerate(dict.fromkeys(Path(q).resolve() for q in (sys.prefix, sys.base_prefix)))
        if any(Path(w) in p.parents for w in container.writable_paths)
    ]
    script += [line for stage, path in kept for line in (f"mkdir -p {stage}", f"mount --bind {path} {stage}")]
    for path in container.writable_paths:
        script.append(f"mount -t tmpfs -o mode=1777,size=64m tmpfs {shlex.quote(path)}")
    for stage, path in kept:
        script += [f"mkdir -p {path}", f"mount --bind {stage} {path}", f"umount {stage}", f"rmdir {stage}"]
    user = container.user or "0:0"
    uid, _, gid = user.partition(":")
    script.append(f'exec /usr/bin/setpriv --reuid={uid} --regid={gid or uid} --clear-groups -- "$@"')
    return [
        *network.nsenter(),
        "/usr/bin/unshare",
        "--mount",
        "--propagation",
        "private",
        "--time",
        f"--monotonic={offset}",
        f"--boottime={offset}",
        "--",
        "/bin/sh",
        "-c",
        "\n".join(script),
        "sh",
        *argv,
    ]


def _reachable(paths: list[Path]) -> list[str]:
    """Shell lines that let the container's user reach ``paths`` when they lie under a directory only root
    may enter (pyenv's interpreter or a clone under /root): that directory becomes an empty tmpfs that
    holds those paths alone, as an image has its Python under /usr/local and its venv under /opt."""
    needed: list[tuple[Path, Path]] = []
    for path in dict.fromkeys(p.resolve() for p in paths):
        blocked = next((a for a in reversed(path.parents) if not os.stat(a).st_mode & 0o001), None)
        if blocked is not None:
            needed.append((path, blocked))
    tops: list[Path] = []
    for blocked in sorted({b for _, b in needed}, key=lambda b: len(b.parts)):
        if not any(top in blocked.parents for top in tops):
            tops.append(blocked)
    lines: list[str] = []
    stages = [f"/dev/shm/twin-$$-{i}" for i in range(len(needed))]  # one set per sandbox started
    for stage, (path, _) in zip(stages, needed, strict=True):
        lines += [f"mkdir -p {stage}", f"mount --bind {shlex.quote(str(path))} {stage}"]
    lines += [f"mount -t tmpfs -o mode=0755,size=1m tmpfs {shlex.quote(str(top))}" for top in tops]
    for stage, (path, _) in zip(stages, needed, strict=True):
        quoted = shlex.quote(str(path))
        lines += [f"mkdir -p {quoted}", f"mount --bind {stage} {quoted}", f"umount {stage}", f"rmdir {stage}"]
    return lines


def start(
    name: str,
    container: Container,
    argv: list[str],
    env: dict[str, str],
    clock_s: float,
    network: TaskNetwork,
) -> ContainerProcess:
    full = sandboxed(container, argv, clock_s, network)
    proc = subprocess.Popen(
        full, env=env, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    return ContainerProcess(name, argv, env, proc, network)


def can_sandbox() -> str | None:
    """Why the container sandbox cannot run here, or None."""
    if os.geteuid() != 0:
        return "the twin runs containers in namespaces of their own (unshare), which needs root"
    for tool in ("/usr/bin/unshare", "/usr/bin/setpriv", "/usr/bin/nsenter", "/usr/sbin/ip"):
        if not os.access(tool, os.X_OK):
            return f"{tool} is missing (util-linux)"
    probe = subprocess.run(
        ["/usr/bin/unshare", "--mount", "--time", "--monotonic=-1", "--", "/bin/true"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"unshare --mount --time failed: {probe.stderr.strip()}"
    return None
