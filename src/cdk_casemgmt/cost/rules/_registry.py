"""The table from CloudFormation resource type to the rule that prices it, and two kinds of simple rule.

Most rules are functions (``@rule(type)``); a resource billed one fixed rate each (``flat_rate()``) or
billed only its share of one usage number (``usage_share_rule()``) is declared in one call instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cdk_casemgmt.cost.context import PricingContext
from cdk_casemgmt.cost.lines import LineBuilder
from cdk_casemgmt.cost.model import NoCharge
from cdk_casemgmt.cost.usage import UsageProfile

Rule = Callable[[PricingContext, str, Mapping[str, Any]], LineBuilder | NoCharge]
"""Prices one resource from its logical ID and properties; raises ``Missing`` when it cannot."""

RULES: dict[str, Rule] = {}


def rule(*types: str) -> Callable[[Rule], Rule]:
    """Register the decorated function as the rule for ``types`` (each type has one rule)."""

    def register(fn: Rule) -> Rule:
        taken = [t for t in types if t in RULES]
        if taken:
            raise ValueError(f"{taken[0]} is priced by {RULES[taken[0]].__qualname__} already")
        RULES.update(dict.fromkeys(types, fn))
        return fn

    return register


def flat_rate(rtype: str, name: str, key: str, what: str, *, hourly: bool = False, note: str = "") -> None:
    """Price each resource of ``rtype`` at one rate ``key`` (per month, or per hour when ``hourly``)."""

    def price(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
        line = LineBuilder(ctx, lid, rtype)
        (line.hourly if hourly else line.monthly)(name, key, 1, what)
        line.notes.extend([note] if note else [])
        return line

    price.__qualname__ = f"flat_rate({rtype!r})"
    rule(rtype)(price)


def usage_share_rule(
    rtype: str,
    name: str,
    key: str,
    total: Callable[[UsageProfile], float],
    what: str,
    *,
    per: float = 1.0,
    note: str = "",
) -> None:
    """Price each resource of ``rtype`` at its share of a usage number (see ``LineBuilder.shared_usage``)."""

    def price(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
        line = LineBuilder(ctx, lid, rtype)
        line.shared_usage(name, key, total(ctx.usage), what, per=per)
        line.notes.extend([note] if note else [])
        return line

    price.__qualname__ = f"usage_share_rule({rtype!r})"
    rule(rtype)(price)
