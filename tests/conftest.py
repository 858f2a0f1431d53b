"""Suite-wide settings. Fixtures that synthesize live in each module (one synth per module)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CFN_LINT_CONFIG = ROOT / ".cfnlintrc.yaml"

# Keep jsii quiet about the Node it runs on when the suite is run outside `make`.
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
