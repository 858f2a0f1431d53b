"""Price files: one versioned, dated JSON file per region, shipped in the package.

Each row carries its USD rate, unit, source, source date and confidence. A rate that is not in
the file is not priced: the estimate lists the resource as unpriced instead of counting it as zero.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from cdk_casemgmt.errors import Problems

CONFIDENCE_ORDER: tuple[str, ...] = ("unverified", "low", "medium-low", "medium", "medium-high", "high")
"""Confidence levels from weakest to strongest (the scale of tests/data/aws-prices.md, the price survey)."""


@dataclass(frozen=True)
class Price:
    """One row of a price file."""

    key: str
    usd: float
    unit: str
    source: str
    source_date: str
    confidence: str


@dataclass(frozen=True)
class PriceBook:
    """The prices of one region."""

    region: str
    version: str
    prices_as_of: str
    hours_per_month: float
    cloudfront_edge_geography: str
    prices: Mapping[str, Price] = field(repr=False)
    path: str = ""

    def get(self, key: str) -> Price | None:
        """The row for ``key``, or None when the file has no such rate."""
        return self.prices.get(key)


def available_regions() -> list[str]:
    """Regions that have a price file shipped in the package."""
    folder = resources.files("cdk_casemgmt.cost").joinpath("prices")
    return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))


@cache
def load_prices(region: str) -> PriceBook:
    """The shipped price book of ``region``.

    :raises ValidationError: when no price file exists for the region (the message names those that do).
    """
    regions = available_regions()
    if region not in regions:
        problems = Problems()
        problems.add(
            "region",
            region,
            "no price file for this region",
            f"use one of {', '.join(regions)}, or add src/cdk_casemgmt/cost/prices/{region}.json "
            "(scripts/refresh_prices.py writes one)",
        )
        problems.raise_if_any("CostEstimate")
    text = (
        resources.files("cdk_casemgmt.cost").joinpath("prices").joinpath(f"{region}.json").read_text("utf-8")
    )
    return parse_price_file(json.loads(text), path=f"prices/{region}.json")


def load_price_file(path: str | Path) -> PriceBook:
    """A price book from a JSON file of the same format (e.g. one written by the refresh script)."""
    return parse_price_file(json.loads(Path(path).read_text("utf-8")), path=str(path))


def parse_price_file(doc: Mapping[str, Any], *, path: str = "") -> PriceBook:
    """Parse and check a price document; every row needs a rate, unit, source and known confidence."""
    problems = Problems()
    rows: dict[str, Price] = {}
    for key, row in dict(doc.get("prices", {})).items():
        confidence = str(row.get("confidence", ""))
        if confidence not in CONFIDENCE_ORDER:
            problems.add(f"prices.{key}.confidence", confidence, "unknown level", f"use {CONFIDENCE_ORDER}")
        if not str(row.get("source", "")).strip():
            problems.add(f"prices.{key}.source", row.get("source"), "every row needs a source", "name it")
        usd = row.get("usd")
        if not isinstance(usd, (int, float)) or usd < 0:
            problems.add(f"prices.{key}.usd", usd, "not a non-negative number", "give the USD rate")
            continue
        rows[key] = Price(
            key=key,
            usd=float(usd),
            unit=str(row.get("unit", "")),
            source=str(row.get("source", "")),
            source_date=str(row.get("source_date", "")),
            confidence=confidence,
        )
    problems.raise_if_any(path or "price file")
    return PriceBook(
        region=str(doc["region"]),
        version=str(doc.get("version", "")),
        prices_as_of=str(doc.get("prices_as_of", "")),
        hours_per_month=float(doc.get("hours_per_month", 730)),
        cloudfront_edge_geography=str(doc.get("cloudfront_edge_geography", "us")),
        prices=rows,
        path=path,
    )


def weakest(levels: list[str]) -> str:
    """The weakest confidence among ``levels`` (``high`` when empty)."""
    if not levels:
        return "high"
    return min(levels, key=lambda level: CONFIDENCE_ORDER.index(level) if level in CONFIDENCE_ORDER else 0)
