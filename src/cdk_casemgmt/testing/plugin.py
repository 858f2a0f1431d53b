"""pytest plugin (entry point ``pytest11``): the ``cdk_snapshot`` fixture.

``cdk_snapshot`` is syrupy's ``snapshot`` with the JSON extension: compare a masked template with
``assert masked_template(stack) == cdk_snapshot``; update with ``pytest --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.extensions.json import JSONSnapshotExtension


@pytest.fixture
def cdk_snapshot(snapshot: Any) -> Any:
    """syrupy snapshot stored as readable JSON, one file per test."""
    return snapshot.use_extension(JSONSnapshotExtension)
