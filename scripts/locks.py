"""The hash-locked requirement files: read them, and keep an environment equal to one.

Used by the Makefile (``prune`` after installing, ``build-requirements`` and ``newer`` for ``make lock`` and
``make test-latest``) and by the test that compares ``.venv`` with ``locks/dev.lock``::

    python scripts/locks.py check locks/dev.lock     # exit 1 and a list when .venv differs from the lock
    python scripts/locks.py prune locks/dev.lock     # uninstall what the lock does not hold
    python scripts/locks.py newer locks/dev.lock     # what this environment has that differs from the lock
    python scripts/locks.py build-requirements examples/reference-api/pyproject.toml

Run it with the interpreter of the environment it is about (``.venv/bin/python``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

# Our own projects, installed editable from the work tree: never in a lock.
OWN_PROJECTS = frozenset({"cdk-casemgmt", "reference-api"})

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*(?:\\|$)")


@dataclass(frozen=True)
class Pin:
    name: str  # canonical (PEP 503) name
    version: str
    hashes: int
    marker: str | None

    def applies(self) -> bool:
        """True when this pin's environment marker holds for the running interpreter and platform."""
        return self.marker is None or Marker(self.marker).evaluate()


def read_lock(path: Path | str) -> dict[str, Pin]:
    """A uv/pip-compile lock as {canonical name: Pin}; ValueError on a requirement that is not pinned."""
    pins: dict[str, Pin] = {}
    # A requirement starts at column 0; its --hash continuation lines and "# via" comments are indented.
    for block in re.split(r"\n(?=\S)", Path(path).read_text()):
        first = block.split("\n", 1)[0]
        if not first or first.startswith("#"):
            continue
        match = _PIN.match(first)
        if match is None:
            raise ValueError(f"{path}: not an exact pin: {first!r}")
        name = canonicalize_name(match.group(1))
        pins[name] = Pin(name, match.group(2), block.count("--hash=sha256:"), match.group(3))
    return pins


def installed() -> dict[str, str]:
    """{canonical name: version} of every distribution of the running environment but our own projects."""
    found = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    return {name: version for name, version in found.items() if name not in OWN_PROJECTS}


def drift(lock: Path | str) -> list[str]:
    """Every difference between the running environment and the lock, one sentence each."""
    pins = read_lock(lock)
    have = installed()
    problems = [
        f"{name} {version} is installed but not in {lock}"
        for name, version in sorted(have.items())
        if name not in pins
    ]
    problems += [
        f"{name}: {lock} pins {pins[name].version}, {version} is installed"
        for name, version in sorted(have.items())
        if name in pins and pins[name].version != version
    ]
    problems += [
        f"{name} {pin.version} is in {lock} but not installed"
        for name, pin in sorted(pins.items())
        if pin.applies() and name not in have
    ]
    return problems


def build_requirements(pyproject: Path | str) -> list[str]:
    """The build backend's requirements of a pyproject.toml, plus pip, which installs with them."""
    import tomllib

    with open(pyproject, "rb") as f:
        requires: list[str] = tomllib.load(f)["build-system"]["requires"]
    return [*requires, "pip"]


def main(argv: list[str]) -> int:
    command, path = argv
    if command == "check":
        problems = drift(path)
        print("\n".join(problems) or f"the environment is {path}")
        return 1 if problems else 0
    if command == "prune":
        extra = sorted(set(installed()) - set(read_lock(path)))
        if extra:
            print(f"removing what {path} no longer holds: {', '.join(extra)}")
            subprocess.run([sys.executable, "-m", "pip", "uninstall", "-q", "-y", *extra], check=True)
        return 0
    if command == "newer":
        pins = read_lock(path)
        changed = [
            f"  {name} {pins[name].version} -> {version}" if name in pins else f"  {name} {version} (new)"
            for name, version in sorted(installed().items())
            if name not in pins or pins[name].version != version
        ]
        print(f"versions that differ from {path}:", *(changed or ["  none"]), sep="\n")
        return 0
    if command == "build-requirements":
        print("\n".join(build_requirements(path)))
        return 0
    raise SystemExit(f"unknown command {command!r}: check, prune, newer or build-requirements")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
