"""Every Python block in README.md and docs/ either runs, or says it is a fragment.

- A block that registers the compliance packs and synthesizes (``add_compliance_checks(app)`` and
  ``app.synth()``) is a whole ``app.py``: it runs as the CDK CLI runs an app in a project made by
  ``cdk init`` (that project's feature flags in ``CDK_CONTEXT_JSON``, the output directory in
  ``CDK_OUTDIR``), in a directory holding what the examples name (``./api`` with a Dockerfile,
  ``frontend/dist`` and ``dist`` with an ``index.html``). The synth fails on any unacknowledged finding.
- A block that defines ``test_`` functions is a test module: pytest runs it (snapshots written afresh).
- Any other block must follow an HTML comment ``<!-- fragment -->`` (docs/development.md explains the
  convention): it shows part of an app and names things defined elsewhere.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from cdk_casemgmt.testing import feature_flags
from tests.conftest import ROOT

pytest_plugins = ["pytester"]

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\n]*)$")
FRAGMENT = re.compile(r"<!--\s*fragment\b.*-->\s*$")


@dataclass(frozen=True)
class Block:
    file: str
    line: int
    code: str
    fragment: bool

    @property
    def kind(self) -> str:
        if self.fragment:
            return "fragment"
        if "add_compliance_checks(" in self.code and ".synth()" in self.code:
            return "app"
        if re.search(r"^def test_\w+\(", self.code, re.M):
            return "test module"
        return "unmarked"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def python_blocks(path: Path) -> list[Block]:
    """The fenced blocks whose info string starts with ``python`` or ``py``, with what precedes them."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    number = 0
    while number < len(lines):
        opening = FENCE.match(lines[number])
        number += 1
        if not opening:
            continue
        fence, indent = opening["fence"], opening["indent"]
        start = number
        while number < len(lines) and not lines[number].strip().startswith(fence):
            number += 1
        body = [line.removeprefix(indent) for line in lines[start:number]]
        number += 1
        if opening["info"].split()[:1] not in (["python"], ["py"]):
            continue
        before = next((line for line in reversed(lines[: start - 1]) if line.strip()), "")
        blocks.append(Block(name, start, "\n".join(body) + "\n", bool(FRAGMENT.search(before))))
    return blocks


ALL_BLOCKS = [block for path in markdown_files() for block in python_blocks(path)]


def unique(kind: str) -> list[Block]:
    """One block per distinct text: the README and a page may show the same app."""
    seen: dict[str, Block] = {}
    for block in ALL_BLOCKS:
        if block.kind == kind:
            seen.setdefault(block.code, block)
    return list(seen.values())


def test_the_collector_reads_fences_and_markers(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "text\n\n```python\nprint(1)\n```\n\n<!-- fragment: needs `stack` -->\n```python\nx = stack\n```\n"
        "\n```bash\nls\n```\n\n- item\n\n    ```py\n    def test_x():\n        pass\n    ```\n"
    )
    found = [(b.line, b.code, b.kind) for b in python_blocks(page)]
    assert found == [
        (3, "print(1)\n", "unmarked"),
        (8, "x = stack\n", "fragment"),
        (18, "def test_x():\n    pass\n", "test module"),
    ]


def test_every_python_block_runs_or_is_marked_as_a_fragment() -> None:
    unmarked = [str(b) for b in ALL_BLOCKS if b.kind == "unmarked"]
    assert unmarked == [], (
        "complete these blocks (a whole app that calls add_compliance_checks(app) and app.synth(), or a test "
        "module), or put <!-- fragment --> on the line before them:\n" + "\n".join(unmarked)
    )
    assert unique("app"), "no executed example found: is the collector broken?"


# Runs every app block, one after the other, in one Python process whose working directory is the
# project: jsii's Node process resolves relative paths (``image="./api"``) against its own working
# directory, fixed when it starts, so the blocks cannot run inside this pytest process.
DRIVER = """
import json, os, shutil, sys, traceback
blocks, flags, outdir = json.loads(sys.stdin.read())
# Read once, by jsii's Node process when it starts (at the first import of aws_cdk), as from the CLI.
os.environ["CDK_CONTEXT_JSON"] = json.dumps(flags)
os.environ["CDK_OUTDIR"] = outdir
results = []
for name, code in blocks:
    shutil.rmtree(outdir, ignore_errors=True)
    try:
        exec(compile(code, name, "exec"), {"__name__": "__main__", "__file__": os.path.abspath("app.py")})
        with open(os.path.join(outdir, "manifest.json")) as manifest:
            artifacts = json.load(manifest)["artifacts"].values()
        results.append(sorted(a["displayName"] for a in artifacts if a["type"] == "aws:cloudformation:stack"))
    except BaseException:
        results.append(traceback.format_exc(limit=-8))
json.dump(results, sys.stdout)
"""


@pytest.fixture(scope="module")
def app_results(tmp_path_factory: pytest.TempPathFactory) -> dict[Block, list[str] | str]:
    """Each app block's synthesized stacks, or the traceback it ended with."""
    project = tmp_path_factory.mktemp("project")
    (project / "api").mkdir()
    (project / "api" / "Dockerfile").write_text('FROM python:3.12-slim\nCMD ["python", "-m", "app"]\n')
    for site in ("frontend/dist", "dist"):
        (project / site).mkdir(parents=True)
        (project / site / "index.html").write_text("<!doctype html><title>app</title>\n")
    blocks = unique("app")
    done = subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=json.dumps([[[str(b), b.code] for b in blocks], dict(feature_flags()), str(project / "out")]),
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(zip(blocks, json.loads(done.stdout), strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("block", unique("app"), ids=str)
def test_app_example_synthesizes_with_the_compliance_packs(
    block: Block, app_results: dict[Block, list[str] | str]
) -> None:
    result = app_results[block]
    assert not isinstance(result, str), result  # the synth raised: findings, or a broken example
    assert result, "the app synthesized no stack"


@pytest.mark.slow
@pytest.mark.parametrize("block", unique("test module"), ids=str)
def test_test_example_passes_under_pytest(block: Block, pytester: pytest.Pytester) -> None:
    (pytester.path / "api").mkdir()
    (pytester.path / "api" / "Dockerfile").write_text("FROM python:3.12-slim\n")
    pytester.makepyfile(test_example=block.code)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:xdist", "--snapshot-update")
    result.assert_outcomes(passed=len(re.findall(r"^def test_\w+\(", block.code, re.M)))
