"""``cdk-casemgmt cost``: price a cloud assembly or any CloudFormation template file, offline."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cdk_casemgmt.cost.model import Estimate
from cdk_casemgmt.cost.pricer import estimate_path
from cdk_casemgmt.cost.prices import available_regions
from cdk_casemgmt.cost.usage import PROFILES, UsageProfile
from cdk_casemgmt.errors import ValidationError


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "cost",
        help="estimate the monthly cost of a cloud assembly or template",
        description="Price a cloud assembly directory (cdk.out) or a CloudFormation template file (JSON or "
        "YAML) at on-demand list prices, offline. Resources that cannot be priced are listed, never "
        "counted as zero.",
    )
    p.add_argument("path", nargs="?", help="cloud assembly directory or template file")
    p.add_argument("--json", action="store_true", help="print the estimate as JSON")
    p.add_argument(
        "--region",
        help=f"price in this region (available: {', '.join(available_regions())}); "
        "default: each stack's region, else us-east-1",
    )
    p.add_argument(
        "--usage",
        default="typical",
        help=f"usage profile: {', '.join(PROFILES)}, or a JSON file of numbers "
        '(optionally with "base": a profile name); default: typical',
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=NUMBER",
        help="override one usage number, e.g. --set nat_gb=200 (repeatable)",
    )
    p.add_argument("--compare", nargs=2, metavar=("A", "B"), help="show the per-resource difference B - A")
    p.set_defaults(func=run)


def _usage(args: argparse.Namespace) -> UsageProfile:
    value = str(args.usage)
    if value in PROFILES:
        profile = UsageProfile.named(value)
    elif Path(value).is_file():
        profile = UsageProfile.from_mapping(json.loads(Path(value).read_text("utf-8")))
    else:
        profile = UsageProfile.named(value)  # raises naming the profiles
    changes: dict[str, Any] = {}
    for item in args.set:
        name, _, number = str(item).partition("=")
        try:
            changes[name.strip()] = float(number) if name.strip() != "task_count" else number.strip()
        except ValueError:
            raise ValidationError("--set", [f"{item!r}: expected NAME=NUMBER"]) from None
    if changes:
        changes.setdefault("name", f"{profile.name}+custom")
        known = set(profile.as_dict())
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValidationError(
                "--set", [f"unknown usage field(s) {unknown}; use {sorted(known - {'name'})}"]
            )
        profile = profile.with_(**changes)
    return profile


def compare(a: Estimate, b: Estimate) -> dict[str, Any]:
    """Per-resource differences from ``a`` to ``b`` (matched on stack and logical ID)."""
    before = {(i.stack, i.logical_id): i for i in a.items}
    after = {(i.stack, i.logical_id): i for i in b.items}
    changes: list[dict[str, Any]] = []
    for key in sorted(set(before) | set(after)):
        x, y = before.get(key), after.get(key)
        old = round(x.monthly_usd, 2) if x else 0.0
        new = round(y.monthly_usd, 2) if y else 0.0
        if x and y and old == new and x.basis == y.basis:
            continue
        changes.append(
            {
                "stack": key[0],
                "logical_id": key[1],
                "type": (y or x).type,  # type: ignore[union-attr]  # x and y are never both None
                "change": "added" if x is None else "removed" if y is None else "changed",
                "a_monthly_usd": old,
                "b_monthly_usd": new,
                "delta_usd": round(new - old, 2),
                "a_basis": x.basis if x else "",
                "b_basis": y.basis if y else "",
            }
        )
    unpriced_a = {(u.stack, u.logical_id, u.reason) for u in a.unpriced}
    unpriced_b = {(u.stack, u.logical_id, u.reason) for u in b.unpriced}
    return {
        "currency": "USD",
        "a_total_monthly_usd": round(a.total_monthly_usd, 2),
        "b_total_monthly_usd": round(b.total_monthly_usd, 2),
        "delta_usd": round(b.total_monthly_usd - a.total_monthly_usd, 2),
        "changes": changes,
        "unpriced_only_in_a": [list(u) for u in sorted(unpriced_a - unpriced_b)],
        "unpriced_only_in_b": [list(u) for u in sorted(unpriced_b - unpriced_a)],
    }


def _compare_table(diff: dict[str, Any]) -> str:
    lines = [f"{'stack/logical ID':<50} {'change':<8} {'A':>10} {'B':>10} {'B-A':>10}"]
    for c in sorted(diff["changes"], key=lambda c: -abs(c["delta_usd"])):
        lines.append(
            f"{(c['stack'] + '/' + c['logical_id'])[:50]:<50} {c['change']:<8} "
            f"{c['a_monthly_usd']:>10.2f} {c['b_monthly_usd']:>10.2f} {c['delta_usd']:>+10.2f}"
        )
    lines.append(
        f"{'Total':<59} {diff['a_total_monthly_usd']:>10.2f} {diff['b_total_monthly_usd']:>10.2f} "
        f"{diff['delta_usd']:>+10.2f}"
    )
    for side in ("a", "b"):
        for stack, lid, reason in diff[f"unpriced_only_in_{side}"]:
            lines.append(f"not priced, only in {side.upper()}: {stack}/{lid}: {reason}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        usage = _usage(args)
        if args.compare:
            a = estimate_path(args.compare[0], usage=usage, region=args.region)
            b = estimate_path(args.compare[1], usage=usage, region=args.region)
            diff = compare(a, b)
            print(json.dumps(diff, indent=2) if args.json else _compare_table(diff))
            return 0
        if not args.path:
            print(
                "cdk-casemgmt cost: give PATH (a cloud assembly or template) or --compare A B",
                file=sys.stderr,
            )
            return 2
        if not Path(args.path).exists():
            print(f"cdk-casemgmt cost: {args.path}: no such file or directory", file=sys.stderr)
            return 2
        estimate = estimate_path(args.path, usage=usage, region=args.region)
    except ValidationError as err:
        print(f"cdk-casemgmt cost: {err}", file=sys.stderr)
        return 2
    print(json.dumps(estimate.to_dict(), indent=2) if args.json else estimate.to_table())
    return 0
