"""Monitoring: CloudWatch alarms and dashboards, CloudWatch Logs log groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_casemgmt.cost.context import PricingContext
from cdk_casemgmt.cost.lines import LineBuilder, show_num
from cdk_casemgmt.cost.rules._registry import flat_rate, rule


@rule("AWS::CloudWatch::Alarm")
def _alarm(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::CloudWatch::Alarm")
    metrics = props.get("Metrics")
    if isinstance(metrics, list) and metrics:
        count = sum(1 for m in metrics if isinstance(m, Mapping) and "MetricStat" in m) or 1
        periods = [
            ctx.resolve((m.get("MetricStat") or {}).get("Period", 60))
            for m in metrics
            if isinstance(m, Mapping) and "MetricStat" in m
        ]
    else:
        count = 1
        periods = [ctx.resolve(props.get("Period", 60))]
    high = any(isinstance(p, (int, float, str)) and str(p).isdigit() and int(p) < 60 for p in periods)
    key = (
        "cloudwatch.alarm.high_resolution_metric_month" if high else "cloudwatch.alarm.standard_metric_month"
    )
    line.monthly(
        "alarm", key, count, f"{count} metric{'s' if count > 1 else ''}{' (high resolution)' if high else ''}"
    )
    return line


flat_rate(
    "AWS::CloudWatch::CompositeAlarm",
    "composite alarm",
    "cloudwatch.alarm.composite_month",
    "1 composite alarm",
)
flat_rate("AWS::CloudWatch::Dashboard", "dashboard", "cloudwatch.dashboard_month", "1 dashboard")


@rule("AWS::Logs::LogGroup")
def _log_group(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::Logs::LogGroup")
    cls = str(ctx.literal(props, "LogGroupClass", "STANDARD")).lower()
    gb, n = ctx.usage_share(ctx.usage.log_gb_ingested, "AWS::Logs::LogGroup")
    days = ctx.literal(props, "RetentionInDays", None)
    months = min(float(days) / (365 / 12), 12.0) if days else 12.0
    ingest_key = "logs.ingest.standard.gb" if cls == "standard" else f"logs.ingest.{cls}.gb"
    share = f"{show_num(gb)} GB (usage {show_num(ctx.usage.log_gb_ingested)} GB over {n} log groups)"
    line.try_("ingestion", lambda: line.monthly("ingestion", ingest_key, gb, share, usage=True))
    stored = gb * months
    kept = f"{days} days" if days else "never expires: 12 months shown"
    line.monthly(
        "storage",
        "logs.storage.gb_month",
        stored,
        f"{show_num(round(stored, 3))} GB stored at steady state ({kept}, uncompressed upper bound)",
        usage=True,
    )
    return line
