"""The limits table a client relies on is the same in the README and the docs, and its figures are the
ones the code enforces."""

from __future__ import annotations

import re
from pathlib import Path

from reference_api import limits
from reference_api.deps import PageLimit
from reference_api.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[1]
DOCS = EXAMPLE.parents[1] / "docs" / "reference-api.md"


def _table(text: str) -> str:
    start = text.index("| limit | value | when exceeded |")
    return re.match(r"(\|.*\n)+", text[start:]).group(0)  # type: ignore[union-attr]  # index() found it


def test_the_limits_table_is_the_same_in_readme_and_docs_and_matches_the_code() -> None:
    readme = _table((EXAMPLE / "README.md").read_text())
    assert readme == _table(DOCS.read_text())
    fields = Settings.model_fields
    body = fields["max_body_bytes"].default
    assert f"{body:,} bytes ({body // 1024} KiB, `API_MAX_BODY_BYTES`)" in readme
    docs_max = fields["documents_max_bytes"].default
    assert f"{docs_max:,} bytes ({docs_max // 1024 // 1024} MiB, `API_DOCUMENTS_MAX_BYTES`)" in readme
    caps = (
        f"{limits.COMMENTS_PER_CASE:,} comments, {limits.TIME_ENTRIES_PER_CASE:,} time entries, "
        f"{limits.DOCUMENTS_PER_CASE:,} documents, {limits.MEMBERS_PER_CASE:,} members"
    )
    assert caps in readme
    (query,) = PageLimit.__metadata__
    (page_max,) = [m.le for m in query.metadata if getattr(m, "le", None) is not None]
    assert f"`limit` 1-{page_max}, default 50" in readme
