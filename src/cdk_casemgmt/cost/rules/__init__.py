"""Pricing rules, one module per AWS service area; ``RULES`` maps each priced resource type to its rule.

A rule reads the literal properties of one resource, multiplies rates from the price file and writes
the formula it used; it raises ``Missing`` when the template or the price file lacks what it needs.
Types that AWS does not bill by themselves are in ``cdk_casemgmt.cost.no_charge``, not here.
"""

from __future__ import annotations

from cdk_casemgmt.cost.rules import (  # each module registers its rules on import
    app_services,
    compute,
    database,
    deployment,
    edge,
    monitoring,
    network,
    security,
    storage,
)
from cdk_casemgmt.cost.rules._registry import RULES, Rule

__all__ = [
    "RULES",
    "Rule",
    "app_services",
    "compute",
    "database",
    "deployment",
    "edge",
    "monitoring",
    "network",
    "security",
    "storage",
]
