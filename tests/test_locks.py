"""The locks: .venv is exactly locks/dev.lock, and the image's locks agree with it.

A fresh clone installs every distribution from locks/dev.lock (exact versions, hashes required), so a
release of any package, direct or transitive, changes nothing here until `make lock` is run on purpose.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import tomllib
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

DEV_LOCK = ROOT / "locks" / "dev.lock"
IMAGE_LOCK = ROOT / "examples" / "reference-api" / "requirements.lock"
BUILD_LOCK = ROOT / "examples" / "reference-api" / "build.lock"
PYPROJECTS = (ROOT / "pyproject.toml", ROOT / "examples" / "reference-api" / "pyproject.toml")


def _load_locks_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("locks", ROOT / "scripts" / "locks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("locks", module)
    spec.loader.exec_module(module)
    return module


locks = _load_locks_module()

# What is installed is compared with the lock only in the locked environment (make test-latest runs these
# tests in .venv-latest, with the newest versions the ranges allow, on purpose).
in_the_locked_venv = pytest.mark.skipif(
    Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(),
    reason=f"not the locked environment {ROOT / '.venv'}",
)


@in_the_locked_venv
def test_the_environment_is_the_lock() -> None:
    """Every distribution installed (pip, setuptools and the tools included) is locked at its version."""
    problems = locks.drift(DEV_LOCK)
    fix = "run `make install` (it installs the lock and removes the rest)"
    assert not problems, "\n".join([*problems, fix])


def test_the_lock_holds_the_whole_environment() -> None:
    pins = locks.read_lock(DEV_LOCK)
    # The libraries, the reference API, the test, docs and browser-test tools, and the lock's own tools.
    for name in ("aws-cdk-lib", "cdk-nag", "jsii", "fastapi", "asyncpg", "pytest", "mkdocs", "playwright"):
        assert name in pins, name
    for name in ("pip", "setuptools", "wheel", "uv"):
        assert name in pins, name
    assert len(pins) > 100


@pytest.mark.parametrize("lock", [DEV_LOCK, IMAGE_LOCK, BUILD_LOCK], ids=lambda p: p.name)
def test_every_pin_is_exact_and_hashed(lock: Path) -> None:
    pins = locks.read_lock(lock)  # raises on anything but name==version
    assert pins
    unhashed = [name for name, pin in pins.items() if pin.hashes == 0]
    assert not unhashed, f"{lock.name}: no hash for {unhashed}; run `make lock`"


@pytest.mark.parametrize("lock", [IMAGE_LOCK, BUILD_LOCK], ids=lambda p: p.name)
def test_the_image_locks_agree_with_the_dev_lock(lock: Path) -> None:
    """The image gets exactly the versions the tests ran."""
    dev = locks.read_lock(DEV_LOCK)
    differ = {
        name: (pin.version, dev[name].version if name in dev else None)
        for name, pin in locks.read_lock(lock).items()
        if name not in dev or dev[name].version != pin.version
    }
    assert not differ, f"{lock.name} vs dev.lock (image, tested): {differ}; run `make lock`"


def _requirements(pyproject: Path) -> list[Requirement]:
    data = tomllib.loads(pyproject.read_text())
    project = data["project"]
    texts = [*project["dependencies"], *data["build-system"]["requires"]]
    for extra in project.get("optional-dependencies", {}).values():
        texts += extra
    own = canonicalize_name(project["name"])
    return [r for r in map(Requirement, texts) if canonicalize_name(r.name) != own]


@pytest.mark.parametrize("pyproject", PYPROJECTS, ids=lambda p: p.parent.name)
def test_the_lock_follows_the_pyproject_ranges(pyproject: Path) -> None:
    """A range changed in a pyproject.toml without `make lock` fails here, not on someone's install."""
    pins = locks.read_lock(DEV_LOCK)
    stale = [f"{r} (locked: {_locked(pins, r)})" for r in _requirements(pyproject) if not _met(pins, r)]
    assert not stale, f"{pyproject}: {stale}; run `make lock`"


def _locked(pins: dict[str, Any], requirement: Requirement) -> str | None:
    pin = pins.get(canonicalize_name(requirement.name))
    return pin.version if pin else None


def _met(pins: dict[str, Any], requirement: Requirement) -> bool:
    version = _locked(pins, requirement)
    return version is not None and requirement.specifier.contains(version, prereleases=True)


def _runtime_requires(name: str) -> list[Requirement]:
    """What a distribution needs at run time (no extras), for this interpreter and platform."""
    found = []
    for text in metadata.requires(name) or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            found.append(requirement)
    return found


@in_the_locked_venv
def test_the_image_lock_is_closed_under_runtime_dependencies() -> None:
    """Every package the image installs finds each of its own dependencies in the image's lock too."""
    pins = locks.read_lock(IMAGE_LOCK)
    missing = []
    for name in ["reference-api", *(n for n, p in pins.items() if p.applies())]:
        for requirement in _runtime_requires(name):
            if not _met(pins, requirement):
                missing.append(f"{name} needs {requirement}")
    assert not missing, f"{missing}; run `make lock`"


def test_the_build_lock_holds_the_build_backend() -> None:
    pins = locks.read_lock(BUILD_LOCK)
    for text in locks.build_requirements(PYPROJECTS[1]):
        requirement = Requirement(text)
        assert _met(pins, requirement), text


def test_read_lock_parses_markers_and_refuses_loose_requirements(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    lock.write_text(
        "# header\nuvloop==0.23.0 ; sys_platform != 'win32' \\\n    --hash=sha256:aa \\\n"
        "    --hash=sha256:bb\n    # via uvicorn\nsix==1.16.0 \\\n    --hash=sha256:cc\n"
    )
    pins = locks.read_lock(lock)
    assert pins["uvloop"] == locks.Pin("uvloop", "0.23.0", 2, "sys_platform != 'win32'")
    assert pins["six"].hashes == 1 and pins["six"].marker is None
    assert pins["uvloop"].applies() == Marker("sys_platform != 'win32'").evaluate()
    lock.write_text("six>=1.16\n")
    with pytest.raises(ValueError, match="not an exact pin"):
        locks.read_lock(lock)


@in_the_locked_venv
def test_drift_names_each_difference(tmp_path: Path) -> None:
    """The check that guards .venv fails loudly: a lock missing, mispinning or adding a package."""
    pins = locks.read_lock(DEV_LOCK)
    kept = {name: pin for name, pin in pins.items() if name not in ("six", "pytest")}
    lines = [f"{name}=={pin.version} \\\n    --hash=sha256:00" for name, pin in kept.items()]
    lines += ["pytest==0.0.1 \\\n    --hash=sha256:00"]
    lines += ["not-installed-anywhere==1.0 \\\n    --hash=sha256:00"]
    lock = tmp_path / "dev.lock"
    lock.write_text("\n".join(lines) + "\n")
    problems = locks.drift(lock)
    assert f"pytest: {lock} pins 0.0.1, {metadata.version('pytest')} is installed" in problems
    assert f"not-installed-anywhere 1.0 is in {lock} but not installed" in problems
    if "six" in pins:
        assert any(p.startswith("six ") and "is installed but not in" in p for p in problems)
