"""Building one resource's priced line: components written out as formulas, unpriced parts, notes."""

from __future__ import annotations

from collections.abc import Callable

from cdk_casemgmt.cost.context import Missing, PricingContext, ResourceFilter
from cdk_casemgmt.cost.model import Component


def show_usd(rate: float) -> str:
    """A rate as written in a formula: ``$0.045``."""
    return f"${rate:g}"


def show_num(x: float) -> str:
    """A quantity as written in a formula: whole numbers plainly, small fractions to 4 digits."""
    return f"{x:g}" if x == int(x) or abs(x) >= 0.01 else f"{x:.4g}"


class LineBuilder:
    """Collects the components of one resource."""

    def __init__(self, ctx: PricingContext, logical_id: str, rtype: str) -> None:
        self.ctx, self.logical_id, self.type = ctx, logical_id, rtype
        self.components: list[Component] = []
        self.notes: list[str] = []
        self.unpriced: list[str] = []
        self.max_monthly_usd: float | None = None

    def hourly(self, name: str, key: str, quantity: float, what: str, *, usage: bool = False) -> None:
        """quantity × rate × hours/month."""
        p = self.ctx.rate(key)
        h = self.ctx.hours
        self.components.append(
            Component(
                name=name,
                monthly_usd=quantity * p.usd * h,
                formula=f"{what} × {show_usd(p.usd)}/{p.unit} × {show_num(h)} h",
                price_keys=(key,),
                confidence=p.confidence,
                usage=usage,
            )
        )

    def monthly(
        self, name: str, key: str, quantity: float, what: str, *, usage: bool = False, per: float = 1.0
    ) -> None:
        """quantity / per × rate (rates per month, per GB, per 1k requests...)."""
        p = self.ctx.rate(key)
        self.components.append(
            Component(
                name=name,
                monthly_usd=quantity / per * p.usd,
                formula=f"{what} × {show_usd(p.usd)}/{p.unit}",
                price_keys=(key,),
                confidence=p.confidence,
                usage=usage,
            )
        )

    def shared_usage(
        self,
        name: str,
        key: str,
        total: float,
        what: str,
        *,
        per: float = 1.0,
        where: ResourceFilter | None = None,
    ) -> None:
        """A usage total split evenly over the template's resources of this line's type, at rate ``key``.

        ``what`` writes the quantity for the formula; ``{share}``, ``{total}`` and ``{n}`` (how many
        resources share the total) are filled in. ``where`` narrows the resources that share it.
        """
        share, n = self.ctx.usage_share(total, self.type, where)
        for placeholder, value in (
            ("{share}", show_num(share)),
            ("{total}", show_num(total)),
            ("{n}", str(n)),
        ):
            what = what.replace(placeholder, value)  # not str.format: ``what`` may hold template text
        self.monthly(name, key, share, what, usage=True, per=per)

    def try_(self, part: str, fn: Callable[[], None]) -> None:
        """Price one part; on a missing rate or unresolvable property record it as unpriced."""
        try:
            fn()
        except Missing as missing:
            self.unpriced.append(f"{part}: {missing}")
