"""No import cycle among the modules of cdk_casemgmt, lazy imports included.

The graph is read from the source with ``ast``: every ``import`` and ``from ... import`` anywhere in a
module (inside functions too), and every string that names one of our modules (the lazy re-export
tables that ``__getattr__`` hands to ``importlib``). Imports under ``if TYPE_CHECKING:`` never run and
are left out, as are strings naming the module's own parent packages (``importlib.resources`` anchors:
a parent package is always imported before its modules).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def modules(root: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package) for every module of ``package`` under ``root``."""
    found: dict[str, tuple[Path, bool]] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for statement in node.body for n in ast.walk(statement))
    return skipped


def imports_of(name: str, known: dict[str, tuple[Path, bool]]) -> set[str]:
    """The modules of ``known`` that module ``name`` imports, at load time or later."""
    path, is_package = known[name]
    tree = ast.parse(path.read_text("utf-8"))
    package = name if is_package else name.rpartition(".")[0]
    skipped = _type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in known
            and not f"{name}.".startswith(f"{node.value}.")
        ):
            found.add(node.value)
    return {m for m in found if m in known and m != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    known = modules(root, package)
    return {name: imports_of(name, known) for name in known}


def test_cdk_casemgmt_has_no_import_cycle() -> None:
    graph = import_graph(SRC, "cdk_casemgmt")
    assert len(graph) > 20 and "cdk_casemgmt.cost.engine" in graph
    assert cycles(graph) == []


def test_the_core_cost_package_never_imports_the_testing_extra() -> None:
    graph = import_graph(SRC, "cdk_casemgmt")
    for name, imported in graph.items():
        if name.startswith("cdk_casemgmt.cost"):
            assert not {m for m in imported if m.startswith("cdk_casemgmt.testing")}, name


def test_the_graph_sees_lazy_imports(tmp_path: Path) -> None:
    """What the test must catch (an import inside a function, a lazy re-export by name) and leave out."""
    pkg = tmp_path / "demo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from demo.d import D\n"
        "_LAZY = {'C': 'demo.c'}\n"
    )
    (pkg / "a.py").write_text("def f():\n    from demo import b\n    return b\n")
    (pkg / "b.py").write_text("from .a import f\n")
    (pkg / "c.py").write_text("from demo import D\n")
    (pkg / "d.py").write_text("from importlib import resources\nDATA = resources.files('demo')\n")
    graph = import_graph(tmp_path, "demo")
    assert graph == {
        "demo": {"demo.c"},
        "demo.a": {"demo.b"},
        "demo.b": {"demo.a"},
        "demo.c": {"demo"},
        "demo.d": set(),
    }
    assert cycles(graph) == [["demo", "demo.c"], ["demo.a", "demo.b"]]
