"""What a pricing rule sees of a template: literal values, references between resources, rates.

The context resolves ``Ref`` to parameters' defaults and pseudo parameters, ``Fn::FindInMap`` and
``Fn::Join`` where every part is literal; anything else is ``UNRESOLVED``, and a rule that needs it
raises ``Missing``, so the resource is listed as unpriced instead of counted as zero.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cdk_casemgmt.cost.model import NoCharge
from cdk_casemgmt.cost.prices import Price, PriceBook
from cdk_casemgmt.cost.usage import UsageProfile

NestedLoader = Callable[[str], Mapping[str, Any] | None]
"""Returns a nested stack's template from its ``aws:asset:path`` metadata, or None when unavailable."""

ResourceFilter = Callable[["PricingContext", Mapping[str, Any]], bool]
"""Selects resources of one type further (e.g. internet-facing load balancers only)."""


class _Unresolved:
    def __repr__(self) -> str:
        return "<unresolved>"


UNRESOLVED: Any = _Unresolved()
"""A value the template does not give literally (an attribute of another resource, an import...)."""


class Missing(Exception):
    """A rate the price file lacks, or a property the template does not give literally."""


@dataclass
class PricingContext:
    """One template being priced: its resources, the price book, the usage profile."""

    stack: str
    template: Mapping[str, Any]
    prices: PriceBook
    usage: UsageProfile
    nested_loader: NestedLoader | None = None
    low_confidence_keys: set[str] = field(default_factory=set)
    """Price keys of weak confidence used so far (shared with nested stacks' contexts)."""
    resources: Mapping[str, Mapping[str, Any]] = field(init=False)
    _counts: dict[tuple[str, ResourceFilter | None], int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.resources = dict(self.template.get("Resources", {}) or {})

    @property
    def hours(self) -> float:
        return self.prices.hours_per_month

    def rate(self, key: str) -> Price:
        """The price row ``key``; raises ``Missing`` when the price file has none."""
        price = self.prices.get(key)
        if price is None:
            raise Missing(f"no '{key}' rate in the {self.prices.region} price file")
        if price.confidence in ("unverified", "low", "medium-low"):
            self.low_confidence_keys.add(key)
        return price

    def no_charge(self, logical_id: str, rtype: str, reason: str) -> NoCharge:
        return NoCharge(self.stack, logical_id, rtype, reason)

    def props(self, logical_id: str) -> Mapping[str, Any]:
        props = self.resources.get(logical_id, {}).get("Properties", {}) or {}
        return props if isinstance(props, Mapping) else {}

    def resolve(self, value: Any) -> Any:
        """A literal value, or UNRESOLVED."""
        if isinstance(value, (str, int, float, bool)) or value is None:
            return value
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return UNRESOLVED if any(i is UNRESOLVED for i in items) else items
        if isinstance(value, Mapping) and len(value) == 1 and _is_intrinsic(next(iter(value))):
            ((fn, arg),) = value.items()
            if fn == "Ref" and isinstance(arg, str):
                if arg == "AWS::Region":
                    return self.prices.region
                if arg == "AWS::Partition":
                    return "aws"
                if arg == "AWS::URLSuffix":
                    return "amazonaws.com"
                param = (self.template.get("Parameters") or {}).get(arg)
                if isinstance(param, Mapping) and "Default" in param:
                    default = param["Default"]
                    if str(param.get("Type", "")).startswith("CommaDelimitedList") or str(
                        param.get("Type", "")
                    ).startswith("List<"):
                        return [s.strip() for s in str(default).split(",")]
                    return default
                return UNRESOLVED
            if fn == "Fn::FindInMap" and isinstance(arg, list) and len(arg) == 3:
                keys = [self.resolve(a) for a in arg]
                if any(k is UNRESOLVED for k in keys):
                    return UNRESOLVED
                try:
                    return self.resolve(self.template["Mappings"][keys[0]][keys[1]][keys[2]])
                except (KeyError, TypeError):
                    return UNRESOLVED
            if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
                parts = self.resolve(arg[1])
                if parts is UNRESOLVED or not isinstance(parts, list):
                    return UNRESOLVED
                return str(arg[0]).join(str(p) for p in parts)
            return UNRESOLVED
        if isinstance(value, Mapping):
            out = {k: self.resolve(v) for k, v in value.items()}
            return UNRESOLVED if any(v is UNRESOLVED for v in out.values()) else out
        return UNRESOLVED

    def literal(self, props: Mapping[str, Any], name: str, default: Any = None) -> Any:
        """Property ``name`` resolved to a literal (``default`` when absent); raises ``Missing``."""
        if name not in props:
            return default
        value = self.resolve(props[name])
        if value is UNRESOLVED:
            raise Missing(f"{name} is not a literal ({json.dumps(props[name])[:80]})")
        return value

    def count_of(self, props: Mapping[str, Any], name: str) -> int | None:
        """The length of a list property even when its items are references (per-AZ counting)."""
        value = props.get(name)
        if isinstance(value, list):
            return len(value)
        resolved = self.resolve(value) if value is not None else None
        return len(resolved) if isinstance(resolved, list) else None

    def target(self, value: Any) -> str | None:
        """The logical ID that ``value`` references (``Ref`` or ``Fn::GetAtt``), when in this template."""
        if isinstance(value, Mapping) and len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref" and isinstance(arg, str) and arg in self.resources:
                return arg
            if fn == "Fn::GetAtt":
                name = arg[0] if isinstance(arg, list) and arg else str(arg).split(".")[0]
                return name if name in self.resources else None
        return None

    def of_type(self, *types: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for logical_id, resource in self.resources.items():
            if resource.get("Type") in types:
                yield logical_id, resource

    def usage_share(self, total: float, rtype: str, where: ResourceFilter | None = None) -> tuple[float, int]:
        """``(share, count)``: a usage total split evenly over this template's resources of ``rtype``.

        A usage number (GB through the NAT, log GB ingested...) is for the whole priced scope; each
        resource that carries it gets an equal share, and the line's basis names the count.
        ``where`` narrows the resources counted (e.g. internet-facing load balancers only).
        """
        key = (rtype, where)
        if key not in self._counts:
            self._counts[key] = sum(
                1
                for r in self.resources.values()
                if isinstance(r, Mapping) and r.get("Type") == rtype and (where is None or where(self, r))
            )
        n = self._counts[key]
        return (total / n if n else 0.0), n


def _is_intrinsic(key: str) -> bool:
    return key == "Ref" or key.startswith("Fn::") or key == "Condition"


def refers_to(value: Any, logical_id: str) -> bool:
    """True when ``value`` contains a Ref/GetAtt to ``logical_id`` anywhere."""
    if isinstance(value, Mapping):
        if value.get("Ref") == logical_id:
            return True
        att = value.get("Fn::GetAtt")
        if att is not None and (
            (isinstance(att, list) and att and att[0] == logical_id)
            or (isinstance(att, str) and att.split(".")[0] == logical_id)
        ):
            return True
        return any(refers_to(v, logical_id) for v in value.values())
    if isinstance(value, list):
        return any(refers_to(v, logical_id) for v in value)
    return False
