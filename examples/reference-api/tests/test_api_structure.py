"""The package's shape: no import cycle, no oversized module, and no development code in production."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import reference_api

PACKAGE = Path(reference_api.__file__).resolve().parent
MAX_LINES = 450


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__.py``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that importing ``name`` runs: every import statement at any depth
    (functions and ``TYPE_CHECKING`` blocks included), and the parent packages Python initialises first."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = [name.rpartition(".")[0]]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets += [stem] + [f"{stem}.{alias.name}" for alias in node.names]
    edges = set()
    for target in targets:
        while target and target not in known:  # `from m import name`: the module m
            target = target.rpartition(".")[0]
        if target and target != name:
            edges.add(target)
    return edges


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a path that ends where it starts, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_import_graph_sees_lazy_and_relative_imports() -> None:
    graph = _graph()
    assert "reference_api.dev.install" in graph["reference_api.app"]  # imported inside create_app
    assert "reference_api.server" in graph["reference_api.__main__"]  # imported inside main
    assert "reference_api.dev" in graph["reference_api.dev.issuer"]  # its parent package runs first
    assert "reference_api.auth" in graph["reference_api.dev.issuer"]  # `from ..auth import`


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def test_no_import_cycle() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_no_module_is_over_the_line_limit() -> None:
    sizes = {name: len(path.read_text().splitlines()) for name, path in _modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


LOADED = """
import sys
from reference_api.__main__ import main
from reference_api.app import create_app
from reference_api.server import serve
create_app()
print(sorted(m for m in sys.modules if m == "reference_api.dev" or m.startswith("reference_api.dev.")))
"""


@pytest.mark.parametrize("environment", ["production", "development"])
def test_production_loads_no_development_module(environment: str, tmp_path: Path) -> None:
    """The production app, its server and its command line, built in a fresh process, leave no module of
    reference_api.dev loaded; the same process in development loads them (the probe works)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("API_") and k != "DATABASE_URL"}
    env |= {
        "API_ENVIRONMENT": environment,
        "API_CURSOR_SECRET": "q" * 40,
        "DATABASE_URL": "postgresql://app@db.internal/app",
    }
    if environment == "production":
        env |= {
            "API_COGNITO_ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
            "API_COGNITO_CLIENT_IDS": '["abc"]',
            "API_COGNITO_USER_POOL_ID": "us-east-1_Example",
        }
    run = subprocess.run(
        [sys.executable, "-c", LOADED], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    loaded = ast.literal_eval(run.stdout.strip())
    if environment == "production":
        assert loaded == []
    else:
        assert "reference_api.dev.install" in loaded and "reference_api.dev.signin" in loaded
