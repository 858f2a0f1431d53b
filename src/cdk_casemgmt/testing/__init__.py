"""Helpers for snapshot and compliance tests of CDK apps, ours and our users'.

Install with the ``testing`` extra (``pip install cdk-casemgmt[testing]``). pytest, syrupy and
cfn-lint are imported only here. The pytest plugin (``cdk_casemgmt.testing.plugin``) is registered
through the ``pytest11`` entry point and provides the ``cdk_snapshot`` fixture.

Typical use::

    from cdk_casemgmt.testing import new_test_app, new_test_stack, compliance_findings, cfn_lint

    app = new_test_app()
    stack = new_test_stack(app)
    MyThing(stack, "Thing")
    assert compliance_findings(stack) == []
    assert cfn_lint(stack) == []
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdk_casemgmt.compliance import Finding, compliance_findings
    from cdk_casemgmt.testing._cost import assert_monthly_cost_below, cost_estimate_of
    from cdk_casemgmt.testing._helpers import (
        STATEFUL_RESOURCE_TYPES,
        TEST_ACCOUNT,
        TEST_REGION,
        cfn_lint,
        feature_flags,
        logical_ids,
        masked_template,
        new_test_app,
        new_test_stack,
        synth_findings,
        template_of,
        test_env,
    )

__all__ = [
    "STATEFUL_RESOURCE_TYPES",
    "TEST_ACCOUNT",
    "TEST_REGION",
    "Finding",
    "assert_monthly_cost_below",
    "cfn_lint",
    "compliance_findings",
    "cost_estimate_of",
    "feature_flags",
    "logical_ids",
    "masked_template",
    "new_test_app",
    "new_test_stack",
    "synth_findings",
    "template_of",
    "test_env",
]


_ELSEWHERE = {
    "Finding": "cdk_casemgmt.compliance",
    "compliance_findings": "cdk_casemgmt.compliance",
    "assert_monthly_cost_below": "cdk_casemgmt.testing._cost",
    "cost_estimate_of": "cdk_casemgmt.testing._cost",
}


def __getattr__(name: str) -> Any:
    # Lazy: importing the pytest plugin (a submodule) must not start aws-cdk-lib and jsii.
    if name in __all__:
        return getattr(importlib.import_module(_ELSEWHERE.get(name, "cdk_casemgmt.testing._helpers")), name)
    raise AttributeError(f"module 'cdk_casemgmt.testing' has no attribute {name!r}")
