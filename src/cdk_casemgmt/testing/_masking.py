"""Asset-hash masking: no aws-cdk-lib import, so the pytest plugin stays cheap to load."""

from __future__ import annotations

import re
from typing import Any

_HASH = re.compile(r"[0-9a-f]{64}")


def mask_hashes(value: Any) -> Any:
    """Replace every 64-hex asset hash in strings, list items and dict keys with ``[HASH]``."""
    if isinstance(value, str):
        return _HASH.sub("[HASH]", value)
    if isinstance(value, list):
        return [mask_hashes(v) for v in value]
    if isinstance(value, dict):
        return {_HASH.sub("[HASH]", k): mask_hashes(v) for k, v in value.items()}
    return value
