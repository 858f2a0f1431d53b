"""pytest plugin (entry point ``pytest11``): the ``cdk_snapshot`` fixture.

``cdk_snapshot`` is syrupy's ``snapshot`` with the JSON extension and asset hashes masked:
``assert template_of(stack) == cdk_snapshot``; update with ``pytest --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from cdk_casemgmt.testing._masking import mask_hashes


def _mask_hashes(data: Any, path: Any) -> Any:
    return mask_hashes(data) if isinstance(data, str) else data


@pytest.fixture
def cdk_snapshot(snapshot: Any) -> Any:
    """syrupy snapshot stored as readable JSON, one file per test, asset hashes masked as ``[HASH]``."""
    return snapshot.use_extension(JSONSnapshotExtension)(matcher=_mask_hashes)
