"""Storage: S3 buckets and AWS Backup recovery points."""

from __future__ import annotations

from cdk_casemgmt.cost.rules._registry import usage_share_rule

usage_share_rule(
    "AWS::S3::Bucket",
    "storage",
    "s3.standard.gb_month",
    lambda usage: usage.s3_gb,
    "{share} GB Standard (usage {total} GB over {n} buckets)",
    note="requests billed by use, not priced",
)
usage_share_rule(
    "AWS::Backup::BackupPlan",
    "recovery points",
    "rds.backup.gb_month",
    lambda usage: usage.backup_gb,
    "{share} GB (usage over {n} plans, at the RDS snapshot rate)",
)
