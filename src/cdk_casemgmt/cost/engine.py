"""The pricing engine: runs each resource of a template through its rule and gathers the results.

``Accumulator`` is the one way to price templates: add each stack's template (nested stacks are
followed through the loader), then take the ``Estimate``. The entry
points in ``cdk_casemgmt.cost.pricer`` and the ``CostEstimate`` construct both use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_casemgmt.cost.context import Missing, NestedLoader, PricingContext
from cdk_casemgmt.cost.lines import LineBuilder
from cdk_casemgmt.cost.model import Estimate, LineItem, NoCharge, StackEstimate, Unpriced
from cdk_casemgmt.cost.no_charge import no_charge_reason
from cdk_casemgmt.cost.prices import PriceBook
from cdk_casemgmt.cost.rules import RULES
from cdk_casemgmt.cost.usage import UsageProfile


class Accumulator:
    """Prices the templates added to it, with one usage profile, into one ``Estimate``."""

    def __init__(self, usage: UsageProfile) -> None:
        self.usage = usage
        self.items: list[LineItem] = []
        self.unpriced: list[Unpriced] = []
        self.no_charge: list[NoCharge] = []
        self.stacks: list[StackEstimate] = []
        """One entry per template added (nested stacks are part of their parent's)."""
        self.notes: list[str] = []
        self._low_confidence_keys: set[str] = set()

    def add_stack(
        self,
        stack: str,
        template: Mapping[str, Any],
        prices: PriceBook,
        nested_loader: NestedLoader | None = None,
    ) -> None:
        """Price ``template`` (shown as ``stack``) with ``prices``; follow nested stacks with the loader."""
        self.stacks.append(
            StackEstimate(stack, prices.region, prices.version, prices.prices_as_of, self.usage.name)
        )
        self._add_template(
            PricingContext(stack, template, prices, self.usage, nested_loader, self._low_confidence_keys)
        )

    def add_note(self, note: str) -> None:
        """A note shown with the estimate (e.g. which region was assumed)."""
        self.notes.append(note)

    def estimate(self) -> Estimate:
        """Everything added so far, with a note naming the low-confidence price rows used."""
        low = sorted(self._low_confidence_keys)
        notes = list(self.notes)
        if low:
            notes.append("low-confidence price rows used: " + ", ".join(low))
        return Estimate(
            items=tuple(self.items),
            unpriced=tuple(self.unpriced),
            no_charge=tuple(self.no_charge),
            stacks=tuple(self.stacks),
            usage=self.usage,
            notes=tuple(notes),
        )

    def _add_template(self, ctx: PricingContext) -> None:
        for lid, resource in ctx.resources.items():
            if not isinstance(resource, Mapping):
                continue
            result = _price_resource(ctx, lid, resource)
            if isinstance(result, LineItem):
                self.items.append(result)
                self.unpriced += [
                    Unpriced(ctx.stack, lid, result.type, part, partial=True)
                    for part in result.unpriced_parts
                ]
            elif isinstance(result, NoCharge):
                self.no_charge.append(result)
            else:
                self.unpriced.append(result)
            if resource.get("Type") == "AWS::CloudFormation::Stack":
                self._add_nested(ctx, lid, resource)

    def _add_nested(self, ctx: PricingContext, lid: str, resource: Mapping[str, Any]) -> None:
        path = (resource.get("Metadata") or {}).get("aws:asset:path")
        nested = ctx.nested_loader(str(path)) if (ctx.nested_loader and path) else None
        if nested is None:
            self.unpriced.append(
                Unpriced(ctx.stack, lid, "AWS::CloudFormation::Stack", "nested template not available")
            )
            return
        self._add_template(
            PricingContext(
                f"{ctx.stack}/{lid}",
                nested,
                ctx.prices,
                ctx.usage,
                ctx.nested_loader,
                ctx.low_confidence_keys,
            )
        )


def _price_resource(
    ctx: PricingContext, lid: str, resource: Mapping[str, Any]
) -> LineItem | NoCharge | Unpriced:
    rtype = str(resource.get("Type", ""))
    props = resource.get("Properties") or {}
    fn = RULES.get(rtype)
    if fn is None:
        reason = no_charge_reason(rtype)
        if reason is not None:
            return ctx.no_charge(lid, rtype, reason)
        return Unpriced(ctx.stack, lid, rtype, "no pricing rule for this resource type")
    try:
        out = fn(ctx, lid, props)
    except Missing as missing:
        return Unpriced(ctx.stack, lid, rtype, str(missing))
    if isinstance(out, NoCharge):
        return out
    assert isinstance(out, LineBuilder)
    if "Condition" in resource:
        out.notes.append(f"created only when condition {resource['Condition']} holds")
    # Unpriced parts stay on the line and are listed as (partly) unpriced by the caller too.
    return LineItem(
        stack=ctx.stack,
        logical_id=lid,
        type=rtype,
        components=tuple(out.components),
        notes=tuple(out.notes),
        max_monthly_usd=out.max_monthly_usd,
        unpriced_parts=tuple(out.unpriced),
    )
