"""The estimate as data: line items with their formulas, unpriced resources, and renderings."""

from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cdk_casemgmt.cost.prices import weakest
from cdk_casemgmt.cost.usage import UsageProfile

LOW_CONFIDENCE = ("unverified", "low", "medium-low")


@dataclass(frozen=True)
class Component:
    """One priced part of a resource: a rate times a quantity, written out as a formula."""

    name: str
    monthly_usd: float
    formula: str
    price_keys: tuple[str, ...] = ()
    confidence: str = "high"
    usage: bool = False
    """True when the quantity comes from the usage profile rather than the template."""


@dataclass(frozen=True)
class LineItem:
    """The monthly price of one resource."""

    stack: str
    logical_id: str
    type: str
    components: tuple[Component, ...]
    notes: tuple[str, ...] = ()
    max_monthly_usd: float | None = None
    """The price at the top of an autoscaling range, when the resource scales."""
    unpriced_parts: tuple[str, ...] = ()
    """Parts of this resource the price file cannot price (also listed in ``Estimate.unpriced``)."""

    @property
    def monthly_usd(self) -> float:
        return sum(c.monthly_usd for c in self.components)

    @property
    def fixed_monthly_usd(self) -> float:
        return sum(c.monthly_usd for c in self.components if not c.usage)

    @property
    def usage_monthly_usd(self) -> float:
        return sum(c.monthly_usd for c in self.components if c.usage)

    @property
    def confidence(self) -> str:
        return weakest([c.confidence for c in self.components])

    @property
    def basis(self) -> str:
        parts = [f"{c.name}: {c.formula}" for c in self.components]
        parts += list(self.notes)
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "stack": self.stack,
            "logical_id": self.logical_id,
            "type": self.type,
            "monthly_usd": round(self.monthly_usd, 2),
            "basis": self.basis,
            "fixed_monthly_usd": round(self.fixed_monthly_usd, 2),
            "usage_monthly_usd": round(self.usage_monthly_usd, 2),
            "confidence": self.confidence,
            "components": [
                {
                    "name": c.name,
                    "monthly_usd": round(c.monthly_usd, 4),
                    "formula": c.formula,
                    "price_keys": list(c.price_keys),
                    "confidence": c.confidence,
                    "usage": c.usage,
                }
                for c in self.components
            ],
        }
        if self.max_monthly_usd is not None:
            data["max_monthly_usd"] = round(self.max_monthly_usd, 2)
        if self.unpriced_parts:
            data["unpriced_parts"] = list(self.unpriced_parts)
        return data


@dataclass(frozen=True)
class Unpriced:
    """A resource (or part of one) the estimate cannot price. Never counted as zero."""

    stack: str
    logical_id: str
    type: str
    reason: str
    partial: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "stack": self.stack,
            "logical_id": self.logical_id,
            "type": self.type,
            "reason": self.reason,
        }
        if self.partial:
            data["partial"] = True
        return data


@dataclass(frozen=True)
class NoCharge:
    """A resource AWS does not bill for by itself (IAM roles, security groups, ...), with the reason."""

    stack: str
    logical_id: str
    type: str
    reason: str


@dataclass(frozen=True)
class StackEstimate:
    """Where one stack's prices came from."""

    stack: str
    region: str
    prices_version: str
    prices_as_of: str
    usage: str


@dataclass(frozen=True)
class Estimate:
    """A monthly price for a set of templates, in USD at on-demand list prices without free tiers."""

    items: tuple[LineItem, ...]
    """One line per priced resource, each with its formula."""
    unpriced: tuple[Unpriced, ...]
    """The resources (or parts of them) left out of the total because they cannot be priced."""
    no_charge: tuple[NoCharge, ...]
    """The resources AWS does not bill for by themselves, each with the reason."""
    stacks: tuple[StackEstimate, ...]
    """Where each stack's prices came from (region, price file, its date, usage profile)."""
    usage: UsageProfile
    """The usage profile the usage-driven lines assume."""
    notes: tuple[str, ...] = ()
    """Caveats about the estimate as a whole, e.g. low-confidence price rows used."""
    currency: str = field(default="USD")
    """The currency of every amount: ``USD``."""

    @property
    def total_monthly_usd(self) -> float:
        """The monthly total of the priced items (``unpriced`` resources are not in it)."""
        return sum(i.monthly_usd for i in self.items)

    @property
    def fixed_monthly_usd(self) -> float:
        """The part of the total that comes from the templates alone, whatever the usage."""
        return sum(i.fixed_monthly_usd for i in self.items)

    @property
    def usage_monthly_usd(self) -> float:
        """The part of the total that comes from the usage profile's quantities."""
        return sum(i.usage_monthly_usd for i in self.items)

    @property
    def max_monthly_usd(self) -> float:
        """The total with every autoscaled resource at its maximum."""
        return sum(i.max_monthly_usd if i.max_monthly_usd is not None else i.monthly_usd for i in self.items)

    @property
    def prices_as_of(self) -> str:
        """The oldest price-file date among the stacks (the estimate is no newer than that)."""
        dates = sorted(s.prices_as_of for s in self.stacks if s.prices_as_of)
        return dates[0] if dates else ""

    @property
    def unpriced_summary(self) -> str:
        """What the total leaves out, e.g. ``1 resource not priced`` (empty when nothing)."""
        whole = {(u.stack, u.logical_id) for u in self.unpriced if not u.partial}
        part = {(u.stack, u.logical_id) for u in self.unpriced if u.partial} - whole
        gaps = [f"{_count(len(whole), 'resource')} not priced"] if whole else []
        gaps += [f"{_count(len(part), 'resource')} priced only in part"] if part else []
        return " and ".join(gaps)

    @property
    def headline(self) -> str:
        """The total in one line, saying what it leaves out (``$118.20/month + 1 resource not priced
        (see below)``): a total that excludes something must say so where it is read first."""
        text = f"${self.total_monthly_usd:,.2f}/month"
        return f"{text} + {self.unpriced_summary} (see below)" if self.unpriced else text

    @property
    def low_confidence_items(self) -> tuple[LineItem, ...]:
        """The items whose weakest price row is ``medium-low``, ``low`` or ``unverified``."""
        return tuple(i for i in self.items if i.confidence in LOW_CONFIDENCE)

    def item(self, logical_id: str, stack: str | None = None) -> LineItem:
        """The line item of a logical ID (raises KeyError naming the priced IDs when absent)."""
        for i in self.items:
            if i.logical_id == logical_id and (stack is None or i.stack == stack):
                return i
        raise KeyError(f"{logical_id} is not a priced item; priced: {[i.logical_id for i in self.items]}")

    def items_of_type(self, resource_type: str) -> list[LineItem]:
        """The line items of one CloudFormation type, e.g. ``AWS::RDS::DBInstance``."""
        return [i for i in self.items if i.type == resource_type]

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document: currency, date, total, items and unpriced, plus detail."""
        return {
            "currency": self.currency,
            "prices_as_of": self.prices_as_of,
            "total_monthly_usd": round(self.total_monthly_usd, 2),
            "fixed_monthly_usd": round(self.fixed_monthly_usd, 2),
            "usage_monthly_usd": round(self.usage_monthly_usd, 2),
            "max_monthly_usd": round(self.max_monthly_usd, 2),
            "items": [i.to_dict() for i in self.items],
            "unpriced": [u.to_dict() for u in self.unpriced],
            "no_charge": [
                {"stack": n.stack, "logical_id": n.logical_id, "type": n.type, "reason": n.reason}
                for n in self.no_charge
            ],
            "stacks": [
                {
                    "stack": s.stack,
                    "region": s.region,
                    "prices_version": s.prices_version,
                    "prices_as_of": s.prices_as_of,
                    "usage": s.usage,
                }
                for s in self.stacks
            ],
            "usage": self.usage.as_dict(),
            "notes": list(self.notes),
        }

    def to_table(self, *, width: int = 110) -> str:
        """A plain-text table (printed at synth and by the CLI)."""
        lines: list[str] = []
        regions = ", ".join(sorted({s.region for s in self.stacks}))
        lines.append(
            f"Monthly cost estimate (USD, on-demand list prices of {self.prices_as_of}, {regions}, "
            f"usage profile '{self.usage.name}')"
        )
        lines.append(f"Estimated total: {self.headline}")
        header = f"{'stack/logical ID':<44} {'type':<40} {'USD/month':>10}"
        lines.append(header)
        lines.append("-" * len(header))
        for i in sorted(self.items, key=lambda i: (-i.monthly_usd, i.stack, i.logical_id)):
            flag = " *" if i.confidence in LOW_CONFIDENCE else ""
            lines.append(
                f"{_clip(i.stack + '/' + i.logical_id, 44):<44} {_clip(i.type, 40):<40} "
                f"{i.monthly_usd:>10.2f}{flag}"
            )
            lines.extend(
                textwrap.wrap(i.basis, width=width, initial_indent="    ", subsequent_indent="      ")
            )
        lines.append("-" * len(header))
        lines.append(f"{'Total':<85} {self.total_monthly_usd:>10.2f}")
        lines.append(
            f"  fixed {self.fixed_monthly_usd:.2f} + usage {self.usage_monthly_usd:.2f}; "
            f"with autoscaling at maximum {self.max_monthly_usd:.2f}"
        )
        if self.low_confidence_items:
            lines.append("  * uses a low-confidence price row (see the basis and the price file's source)")
        if self.unpriced:
            lines.append(f"NOT PRICED ({len(self.unpriced)}) - the total excludes these:")
            for u in self.unpriced:
                lines.append(f"  {u.stack}/{u.logical_id} {u.type}: {u.reason}")
        if self.no_charge:
            kinds = Counter(n.type for n in self.no_charge)
            lines.append(
                f"No charge by themselves ({len(self.no_charge)}): "
                + ", ".join(f"{t.split('::', 1)[-1]} x{c}" for t, c in sorted(kinds.items()))
            )
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The ``cost-estimate.md`` report."""
        out: list[str] = ["# Monthly cost estimate", ""]
        out.append(
            f"USD at on-demand list prices without free tiers, prices as of {self.prices_as_of}, "
            f"usage profile `{self.usage.name}`. 730 hours per month."
        )
        out.append("")
        out.append(
            f"**Total: {self.headline}** (fixed ${self.fixed_monthly_usd:,.2f}, "
            f"usage ${self.usage_monthly_usd:,.2f}; autoscaling at maximum "
            f"${self.max_monthly_usd:,.2f})."
        )
        out.append("")
        out.append("| stack | logical ID | type | USD/month | confidence | basis |")
        out.append("|---|---|---|---:|---|---|")
        for i in sorted(self.items, key=lambda i: (-i.monthly_usd, i.stack, i.logical_id)):
            out.append(
                f"| {i.stack} | {i.logical_id} | {i.type} | {i.monthly_usd:,.2f} | {i.confidence} | "
                f"{_md(i.basis)} |"
            )
        if self.unpriced:
            out += [
                "",
                "## Not priced (excluded from the total)",
                "",
                "| stack | logical ID | type | reason |",
                "|---|---|---|---|",
            ]
            out += [f"| {u.stack} | {u.logical_id} | {u.type} | {_md(u.reason)} |" for u in self.unpriced]
        if self.no_charge:
            out += ["", "## No charge by themselves", "", "| type | count | reason |", "|---|---:|---|"]
            by_type: dict[str, list[NoCharge]] = {}
            for n in self.no_charge:
                by_type.setdefault(n.type, []).append(n)
            out += [f"| {t} | {len(ns)} | {_md(ns[0].reason)} |" for t, ns in sorted(by_type.items())]
        out += ["", "## Sources", ""]
        out += [
            f"- {s.stack}: {s.region}, price file version {s.prices_version} (prices as of "
            f"{s.prices_as_of}), usage `{s.usage}`"
            for s in self.stacks
        ]
        if self.notes:
            out += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(out) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
