"""Pricing a template, a cloud assembly or a file: a pure-Python pricer for any CloudFormation template.

Rules are data-driven on resource types and properties: each rule reads literal properties
(resolving ``Ref`` to parameters' defaults, ``Fn::FindInMap`` and references between resources
where it can), multiplies rates from the price file and writes the formula it used. What it cannot
resolve or has no rate for is listed as unpriced, never counted as zero.

Nothing here imports aws-cdk-lib: the CLI prices templates without starting Node.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cdk_casemgmt.cost.context import NestedLoader
from cdk_casemgmt.cost.engine import Accumulator
from cdk_casemgmt.cost.model import Estimate
from cdk_casemgmt.cost.prices import PriceBook, load_prices
from cdk_casemgmt.cost.templates import assembly_stacks, load_template, nested_loader
from cdk_casemgmt.cost.usage import UsageProfile

__all__ = ["DEFAULT_REGION", "estimate_assembly", "estimate_path", "estimate_template", "load_template"]

DEFAULT_REGION = "us-east-1"
"""Where a template without a region is priced (and said so in the estimate's notes)."""


def _as_profile(usage: UsageProfile | str) -> UsageProfile:
    return UsageProfile.named(usage) if isinstance(usage, str) else usage


def estimate_template(
    template: Mapping[str, Any],
    *,
    region: str = DEFAULT_REGION,
    usage: UsageProfile | str = "typical",
    stack: str = "Stack",
    prices: PriceBook | None = None,
    nested_loader: NestedLoader | None = None,
) -> Estimate:
    """Price one CloudFormation template (a dict, as parsed from JSON or YAML).

    :param region: the region whose price file applies (unknown region: ``ValidationError``).
    :param usage: a named profile (``fixed``, ``low``, ``typical``, ``high``) or a ``UsageProfile``.
    :param stack: the name shown for this template's resources.
    :param prices: a price book to use instead of the shipped one for ``region``.
    :param nested_loader: returns a nested stack's template from its ``aws:asset:path``.
    """
    acc = Accumulator(_as_profile(usage))
    acc.add_stack(stack, template, prices or load_prices(region), nested_loader)
    return acc.estimate()


def estimate_assembly(
    directory: str | Path,
    *,
    usage: UsageProfile | str = "typical",
    region: str | None = None,
    stacks: list[str] | None = None,
) -> Estimate:
    """Price every stack of a cloud assembly (``cdk.out``), nested stacks and stages included.

    :param region: overrides each stack's region; stacks without one default to us-east-1 (noted).
    :param stacks: only these display names. :default: - all
    """
    acc = Accumulator(_as_profile(usage))
    for name, stack_region, path in assembly_stacks(directory):
        if stacks is not None and name not in stacks:
            continue
        chosen = region or stack_region
        if chosen is None:
            chosen = DEFAULT_REGION
            acc.add_note(f"{name} is environment-agnostic: priced in {DEFAULT_REGION} (use --region)")
        template = json.loads(path.read_text("utf-8"))
        acc.add_stack(name, template, load_prices(chosen), nested_loader(path.parent))
    return acc.estimate()


def estimate_path(
    path: str | Path, *, usage: UsageProfile | str = "typical", region: str | None = None
) -> Estimate:
    """Price a cloud assembly directory or a single template file (JSON or YAML)."""
    p = Path(path)
    if p.is_dir():
        return estimate_assembly(p, usage=usage, region=region)
    estimate = estimate_template(
        load_template(p),
        region=region or DEFAULT_REGION,
        usage=usage,
        stack=p.stem,
        nested_loader=nested_loader(p.parent),
    )
    if region is None:
        note = f"a template has no region: priced in {DEFAULT_REGION} (use --region)"
        return dataclasses.replace(estimate, notes=(*estimate.notes, note))
    return estimate
