"""The Dockerfile, without a Docker engine: parsed for its promises (non-root USER, exec-form CMD, no
curl, pinned base), and its CMD run locally against the venv."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from refapi_support import create_database, free_port, run_cli
from reference_api.settings import Settings

ROOT = Path(__file__).parents[1]
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def test_runs_as_a_non_root_user() -> None:
    users = [args for word, args in instructions() if word == "USER"]
    assert users, "no USER instruction"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    # The USER comes after the last FROM: it applies to the final stage.
    words = [w for w, _ in instructions()]
    assert len(words) - 1 - words[::-1].index("USER") > len(words) - 1 - words[::-1].index("FROM")


def test_cmd_is_exec_form() -> None:
    cmds = [args for word, args in instructions() if word == "CMD"]
    assert len(cmds) == 1
    argv = json.loads(cmds[0])
    assert argv == ["python", "-m", "reference_api", "serve"]


def test_base_images_are_pinned() -> None:
    for word, args in instructions():
        if word == "FROM":
            image = args.split()[0]
            if "@sha256:" in image:
                continue
            _name, _, tag = image.partition(":")
            assert tag and tag != "latest", image
            assert re.match(r"^\d+\.\d+\.\d+", tag), f"{image}: pin an exact version"


def _stages() -> list[list[tuple[str, str]]]:
    """The instructions of each build stage, in order."""
    stages: list[list[tuple[str, str]]] = []
    for word, args in instructions():
        if word == "FROM":
            stages.append([])
        stages[-1].append((word, args))
    return stages


def _pip_installs(runs: list[str]) -> list[str]:
    return [cmd.strip() for run in runs for cmd in run.split("&&") if re.search(r"\bpip\b.* install ", cmd)]


def test_every_install_is_hash_locked_or_the_app_itself() -> None:
    """Build tools and dependencies come from hashed locks; the app's own wheel brings no dependency."""
    build = _stages()[0]
    installs = _pip_installs([args for word, args in build if word == "RUN"])
    assert installs
    for cmd in installs:
        hashed = "--require-hashes --no-deps" in cmd and re.search(r"-r (build|requirements)\.lock$", cmd)
        own_wheel = "--no-deps /dist/*.whl" in cmd
        assert hashed or own_wheel, cmd
    assert any("-r build.lock" in c for c in installs) and any("-r requirements.lock" in c for c in installs)
    wheel = next(args for word, args in build if word == "RUN" and "pip wheel" in args)
    assert "--no-build-isolation" in wheel, "build isolation would download unlocked setuptools and wheel"
    assert ("COPY", "build.lock requirements.lock ./") in build


def test_the_runtime_has_no_installer() -> None:
    """The runtime venv is created without pip; the final stage removes the base image's installers."""
    build, final = _stages()
    assert any("python -m venv --without-pip /opt/venv" in args for word, args in build if word == "RUN")
    assert ("COPY", "--from=build /opt/venv /opt/venv") in final  # the build venv (/opt/build) stays behind
    runs = [args for word, args in final if word == "RUN"]
    assert any(args.startswith("python -m pip uninstall --yes --quiet pip setuptools wheel") for args in runs)
    assert not _pip_installs(runs)


def _healthcheck_argv() -> list[str]:
    args = next(args for word, args in instructions() if word == "HEALTHCHECK")
    argv: list[str] = json.loads(args.split(" CMD ", 1)[1])
    return [sys.executable, *argv[1:]] if argv[0] == "python" else argv


def test_no_curl_or_wget_in_the_image() -> None:
    text = (ROOT / "Dockerfile").read_text().lower()
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("#"))
    assert "curl" not in code
    assert "wget" not in code


def test_dockerignore_keeps_local_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", ".reference-api", "cdk.out", "node_modules", "tests", "e2e", "web"} <= ignored


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=2) as r:
        return r.status, r.read()


@pytest.mark.slow
def test_migrate_then_cmd_serve_and_stop_on_sigterm(
    pg_server_url: str, settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    url = asyncio.run(create_database(pg_server_url, f"refapi_docker_{WORKER}"))
    settings = settings_factory(url)
    port = free_port()
    env = {
        **os.environ,
        "API_ENVIRONMENT": "development",
        "DATABASE_URL": url,
        "API_DEV_KEY_PATH": settings.dev_key_path,
        "API_HOST": "127.0.0.1",
        "API_PORT": str(port),
    }
    argv = json.loads(next(args for word, args in instructions() if word == "CMD"))
    python = [sys.executable, *argv[1:]]

    # The `migrate` container: same image, command override.
    migrate = run_cli("migrate", env=env)
    assert migrate.returncode == 0, migrate.stderr + migrate.stdout

    server = subprocess.Popen(python, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 20
        while True:  # bounded wait for the port to answer
            try:
                status, body = _get(f"http://127.0.0.1:{port}/ready")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 20 s"
                time.sleep(0.1)
        assert (status, json.loads(body)) == (200, {"status": "ready"})
        # The image's HEALTHCHECK, on the port the server was configured with (not the image's default 8000).
        check = subprocess.run(_healthcheck_argv(), env=env, capture_output=True, text=True, timeout=10)
        assert check.returncode == 0, check.stderr
        server.send_signal(signal.SIGTERM)
        # uvicorn finishes in-flight work and runs the lifespan shutdown; the SIGTERM it re-raises then
        # ends the process with 0 (server.py), so ECS tells a routine stop from a crash.
        assert server.wait(timeout=15) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    down = subprocess.run(_healthcheck_argv(), env=env, capture_output=True, timeout=10)
    assert down.returncode != 0, "the health check passed with the server stopped"
    logs = server.stdout.read().decode() if server.stdout else ""
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    messages = [entry.get("message") for entry in lines]
    assert "Application shutdown complete." in messages, logs


def test_production_refuses_placeholder_secrets(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("API_") and k != "DATABASE_URL"} | {
        "API_ENVIRONMENT": "production"
    }
    r = run_cli("serve", env=env, cwd=tmp_path)
    assert r.returncode != 0
    assert "API_CURSOR_SECRET is a placeholder" in r.stderr
    assert "API_COGNITO_ISSUER and API_COGNITO_CLIENT_IDS are required in production" in r.stderr
    assert "API_COGNITO_USER_POOL_ID is required in production" in r.stderr


def test_devtoken_is_refused_outside_development(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("API_")} | {
        "API_ENVIRONMENT": "production",
        "API_CURSOR_SECRET": "q" * 40,
        "API_COGNITO_ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
        "API_COGNITO_CLIENT_IDS": '["abc"]',
        "API_COGNITO_USER_POOL_ID": "us-east-1_Example",
        "DATABASE_URL": "postgresql://app@db.internal/app",
    }
    r = run_cli("devtoken", "--sub", "alice", "--role", "agent", env=env, cwd=tmp_path)
    assert r.returncode == 2
    assert "refused outside development" in r.stderr
    assert r.stdout == ""


def _final_stage() -> list[tuple[str, str]]:
    stage: list[tuple[str, str]] = []
    for word, args in instructions():
        stage = [] if word == "FROM" else [*stage, (word, args)]
    return stage


def _volumes(args: str) -> list[str]:
    """The paths of a VOLUME instruction, JSON or plain form."""
    return list(json.loads(args)) if args.startswith("[") else args.split()


def _tmp_mode() -> int:
    """The mode the final stage gives /tmp before declaring it (``chmod <mode> /tmp`` in a RUN)."""
    modes = [
        int(m.group(1), 8)
        for word, args in _final_stage()
        if word == "RUN"
        for m in [re.search(r"\bchmod\s+([0-7]{3,4})\s+/tmp\b", args)]
        if m
    ]
    assert len(modes) == 1, "the final stage sets /tmp's mode once, with chmod"
    return modes[0]


def test_tmp_is_declared_as_a_volume_after_it_is_made_writable() -> None:
    """On Fargate a task volume at /tmp is owned by root with mode 0755 unless the image declares /tmp with
    VOLUME: then it starts as a copy of the image's /tmp. Changes after the VOLUME instruction are lost."""
    stage = _final_stage()
    words = [w for w, _ in stage]
    declared = [i for i, (w, args) in enumerate(stage) if w == "VOLUME" and "/tmp" in _volumes(args)]
    assert len(declared) == 1, "the final stage declares /tmp with VOLUME once"
    assert "RUN" not in words[declared[0] :], "a RUN after VOLUME /tmp would not reach the volume"
    mode = _tmp_mode()
    assert mode & 0o007 == 0o007 and mode & 0o1000, f"/tmp mode {oct(mode)}: writable by all, sticky"


@pytest.mark.skipif(os.geteuid() != 0, reason="starting a process as the image's user needs root")
def test_the_images_user_can_write_to_tmp_as_fargate_mounts_it() -> None:
    """Without Docker: two directories owned by root, as Fargate creates the volume with VOLUME /tmp
    (the image's mode) and without it (0755), and the image's USER writing to each."""
    users = [args for word, args in _final_stage() if word == "USER"]
    uid, _, gid = users[-1].partition(":")
    # Not under pytest's tmp_path: its parents are private to root, and the user must reach the tree.
    with tempfile.TemporaryDirectory(prefix="refapi-volume-") as name:
        root = Path(name)
        root.chmod(0o755)
        _write_as_user_in(root, int(uid), int(gid or uid))


def _write_as_user_in(root: Path, uid: int, gid: int) -> None:

    def write_as_user(directory: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["/bin/sh", "-c", ': > "$1/probe" && mkdir "$1/dir"', "sh", str(directory)],
            user=uid,
            group=gid,
            extra_groups=[],
            capture_output=True,
            text=True,
            timeout=10,
        )

    declared = root / "declared"
    declared.mkdir()
    declared.chmod(_tmp_mode())
    written = write_as_user(declared)
    assert written.returncode == 0, written.stderr
    assert (declared / "probe").stat().st_uid == uid

    undeclared = root / "undeclared"
    undeclared.mkdir()
    undeclared.chmod(0o755)
    refused = write_as_user(undeclared)
    assert refused.returncode != 0 and "Permission denied" in refused.stderr
