"""The table from CloudFormation resource type to the rule that prices it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cdk_casemgmt.cost.context import PricingContext
from cdk_casemgmt.cost.lines import LineBuilder
from cdk_casemgmt.cost.model import NoCharge

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
