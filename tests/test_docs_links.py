"""The repository stands alone: nothing cites a document it does not hold, and every link to a section
of docs/design.md names a heading that exists there (the anchors mkdocs generates)."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
from markdown.extensions.toc import slugify

from tests.conftest import ROOT

DESIGN = ROOT / "docs" / "design.md"

# What only the team's own notes (outside the repository) are called. A reader of the wheel, the docs
# site or a synth report cannot follow such a reference.
OUTSIDE_DOCUMENTS = re.compile(
    r"DECISIONS"
    r"|(?<!RFC \d\d\d\d )§\s*\d"  # a section of our notes; an RFC's sections are fine
    r"|(?:\.\./|/work/)shared\b|shared/research"
    r"|feasibility-notes|feature-anchors|style-anchors|reference-api-anchors"
)
DESIGN_LINK = re.compile(r"design\.md#([\w-]+)")


@cache
def tracked_text_files() -> dict[str, str]:
    """Every file git tracks (the worktree's version), decoded; binary files left out."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    files = {}
    for name in filter(None, listed.split("\0")):
        path = ROOT / name
        if not path.is_file():  # deleted in the worktree, not yet committed
            continue
        try:
            files[name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return files


def heading_anchors(markdown: str) -> set[str]:
    """The ids Python-Markdown's toc extension (which mkdocs uses) gives the page's headings."""
    anchors = set()
    in_fence = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if in_fence or not match:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1))  # a link: its text
        text = re.sub(r"[`*]", "", text)  # inline code and emphasis: their text
        anchors.add(slugify(text, "-"))
    return anchors


def test_slugs_follow_mkdocs() -> None:
    assert heading_anchors("# Compliance policy\n## CloudFront us-east-1\n### `make test`: fast") == {
        "compliance-policy",
        "cloudfront-us-east-1",
        "make-test-fast",
    }
    assert heading_anchors("```\n# not a heading\n```\n") == set()


def test_nothing_cites_a_document_outside_the_repository() -> None:
    this_file = Path(__file__).resolve().relative_to(ROOT).as_posix()
    found = [
        f"{name}:{number}: {line.strip()[:120]}"
        for name, text in tracked_text_files().items()
        if name != this_file
        for number, line in enumerate(text.splitlines(), 1)
        if OUTSIDE_DOCUMENTS.search(line)
    ]
    assert found == [], "say it in the project's own words, or link docs/design.md#<section>:\n" + "\n".join(
        found
    )


def test_design_page_has_the_sections_other_files_link_to() -> None:
    anchors = heading_anchors(DESIGN.read_text(encoding="utf-8"))
    broken = [
        f"{name}: design.md#{anchor}"
        for name, text in tracked_text_files().items()
        for anchor in DESIGN_LINK.findall(text)
        if anchor not in anchors
    ]
    assert broken == [], f"no such heading in docs/design.md ({sorted(anchors)}):\n" + "\n".join(broken)


@pytest.mark.parametrize(
    "anchor",
    [
        "compliance-policy",
        "ingress-modes",
        "database-credentials",
        "migrations-and-outbox",
        "test-tiers",
        "cost-model",
        "testing-helpers",
        "cloudfront-us-east-1",
        "one-node",
        "docker-without-an-engine",
        "reference-api-speed",
        "postgres-validation-data",
        "python-versions",
        "aws-stand-ins",
        "bad-input",
        "locks",
        "deploy-readiness",
    ],
)
def test_design_page_keeps_its_published_anchors(anchor: str) -> None:
    """Links to these sections exist outside the repository too (the docs site, users' notes)."""
    assert anchor in heading_anchors(DESIGN.read_text(encoding="utf-8"))


def test_readme_links_work_on_pypi() -> None:
    """PyPI renders README.md away from the repository: a relative link there leads nowhere."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    relative = [
        target
        for target in re.findall(r"\]\(([^)\s]+)\)", readme)
        if not target.startswith(("https://", "http://", "mailto:", "#"))
    ]
    assert relative == []


def test_the_pattern_tells_notes_from_standards() -> None:
    assert OUTSIDE_DOCUMENTS.search("the comparison basis (DECISIONS 6)")
    assert OUTSIDE_DOCUMENTS.search("measured (notes §1)")
    assert OUTSIDE_DOCUMENTS.search("see research/feasibility-notes.md")
    assert not OUTSIDE_DOCUMENTS.search("PKCE S256 (RFC 7636 §4.2)")
    assert not OUTSIDE_DOCUMENTS.search("see docs/design.md#cost-model")
