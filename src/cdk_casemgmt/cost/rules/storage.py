"""Storage: S3 buckets and AWS Backup recovery points."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_casemgmt.cost.context import PricingContext
from cdk_casemgmt.cost.lines import LineBuilder, show_num
from cdk_casemgmt.cost.rules._registry import rule


@rule("AWS::S3::Bucket")
def _bucket(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::S3::Bucket")
    gb, n = ctx.usage_share(ctx.usage.s3_gb, "AWS::S3::Bucket")
    line.monthly(
        "storage",
        "s3.standard.gb_month",
        gb,
        f"{show_num(gb)} GB Standard (usage {show_num(ctx.usage.s3_gb)} GB over {n} buckets)",
        usage=True,
    )
    line.notes.append("requests billed by use, not priced")
    return line


@rule("AWS::Backup::BackupPlan")
def _backup_plan(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::Backup::BackupPlan")
    gb, n = ctx.usage_share(ctx.usage.backup_gb, "AWS::Backup::BackupPlan")
    line.monthly(
        "recovery points",
        "rds.backup.gb_month",
        gb,
        f"{show_num(gb)} GB (usage over {n} plans, at the RDS snapshot rate)",
        usage=True,
    )
    return line
