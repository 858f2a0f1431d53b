"""Cost assertions for users' tests (imported from ``cdk_casemgmt.testing``).

They live with the testing helpers, not in ``cdk_casemgmt.cost``: the core package must not depend on
the ``testing`` extra, and the assertions price the synthesized template that ``template_of`` renders.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack, Token

from cdk_casemgmt.cost.model import Estimate
from cdk_casemgmt.cost.pricer import DEFAULT_REGION, estimate_template
from cdk_casemgmt.cost.usage import UsageProfile
from cdk_casemgmt.testing._helpers import template_of


def cost_estimate_of(
    stack: Stack, *, usage: str | UsageProfile = "typical", region: str | None = None
) -> Estimate:
    """The estimate of ``stack``'s final synthesized template (raw overrides included), as data.

    :param usage: a named profile (``fixed``, ``low``, ``typical``, ``high``) or a ``UsageProfile``.
        :default: "typical"
    :param region: :default: - the stack's region (us-east-1 for an environment-agnostic stack)
    """
    template: dict[str, Any] = template_of(stack)
    chosen = region or (stack.region if not Token.is_unresolved(stack.region) else DEFAULT_REGION)
    return estimate_template(template, region=chosen, usage=usage, stack=stack.node.path)


def assert_monthly_cost_below(
    stack: Stack,
    usd: float,
    *,
    usage: str | UsageProfile = "typical",
    region: str | None = None,
    allow_unpriced: bool = False,
) -> Estimate:
    """Fail unless ``stack`` costs less than ``usd`` per month; returns the estimate.

    A stack with unpriced resources fails too (its real cost is unknown), unless ``allow_unpriced``.

    :param usage: :default: "typical"
    :param region: :default: - the stack's region
    :param allow_unpriced: accept resources the price file cannot price. :default: False
    """
    estimate = cost_estimate_of(stack, usage=usage, region=region)
    if estimate.total_monthly_usd >= usd:
        raise AssertionError(
            f"{stack.node.path} costs ${estimate.total_monthly_usd:,.2f}/month, not below ${usd:,.2f}:\n"
            + estimate.to_table()
        )
    if estimate.unpriced and not allow_unpriced:
        listed = "\n".join(f"  {u.logical_id} {u.type}: {u.reason}" for u in estimate.unpriced)
        raise AssertionError(
            f"{stack.node.path}: ${estimate.total_monthly_usd:,.2f}/month excludes resources that cannot be "
            f"priced, so 'below ${usd:,.2f}' is unknown (pass allow_unpriced=True to accept):\n{listed}"
        )
    return estimate
