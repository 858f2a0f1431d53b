"""Edge: CloudFront distributions and their additional metrics, Route 53 hosted zones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_casemgmt.cost.context import PricingContext
from cdk_casemgmt.cost.lines import LineBuilder, show_num
from cdk_casemgmt.cost.model import NoCharge
from cdk_casemgmt.cost.rules._registry import flat_rate, rule


@rule("AWS::CloudFront::Distribution")
def _distribution(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::CloudFront::Distribution")
    geo = ctx.prices.cloudfront_edge_geography
    line.try_(
        "data out",
        lambda: line.shared_usage(
            "data out",
            f"cloudfront.{geo}.gb",
            ctx.usage.cloudfront_gb,
            "{share} GB to " + geo.upper() + " viewers (usage over {n} distributions)",
        ),
    )
    req, _ = ctx.usage_share(ctx.usage.requests, "AWS::CloudFront::Distribution")
    line.try_(
        "requests",
        lambda: line.monthly(
            "HTTPS requests",
            f"cloudfront.{geo}.https_10k",
            req,
            f"{show_num(req / 1e6)}M requests (usage)",
            usage=True,
            per=1e4,
        ),
    )
    line.notes.append(f"viewers assumed in the {geo.upper()} edge geography; no free tier or flat-rate plan")
    return line


@rule("AWS::CloudFront::MonitoringSubscription")
def _cf_metrics(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder | NoCharge:
    config = ctx.literal(props, "MonitoringSubscription", {}) or {}
    status = (config.get("RealtimeMetricsSubscriptionConfig") or {}).get("RealtimeMetricsSubscriptionStatus")
    if status != "Enabled":
        return ctx.no_charge(lid, "AWS::CloudFront::MonitoringSubscription", "additional metrics disabled")
    line = LineBuilder(ctx, lid, "AWS::CloudFront::MonitoringSubscription")
    line.monthly(
        "additional metrics",
        "cloudwatch.custom_metric_month",
        8,
        "8 additional CloudFront metrics, billed as custom metrics",
    )
    return line


flat_rate(
    "AWS::Route53::HostedZone",
    "hosted zone",
    "route53.hosted_zone_month",
    "1 zone",
    note="queries billed by use (alias queries to AWS resources are free)",
)
