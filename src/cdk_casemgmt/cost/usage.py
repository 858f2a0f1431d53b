"""Usage profiles: the numbers a template cannot know (traffic, data, logs, users).

Every usage-driven line of an estimate says which profile number it used, so a reader can
replace the assumption with their own (``UsageProfile.named("typical").with_(nat_gb=200)``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cdk_casemgmt.errors import Problems

TaskCount = Literal["min", "desired", "max"]


@dataclass(frozen=True)
class UsageProfile:
    """Monthly usage assumptions. All quantities are per month unless the name says otherwise.

    Totals are for the priced scope and are split evenly over the resources that carry them
    (e.g. ``nat_gb`` over the NAT gateways); the basis of each line shows the share.
    """

    name: str = "custom"
    """The name the estimate shows: ``fixed``, ``low``, ``typical``, ``high``, or your own."""
    task_count: TaskCount = "desired"
    """Which count prices an autoscaled ECS service: its ``min`` capacity, its ``desired`` count
    (clamped to the scaling range) or its ``max`` capacity. The other bound is shown in the basis."""
    requests: float = 0.0
    """HTTP requests reaching the app; priced on WAF web ACLs and CloudFront distributions."""
    alb_lcu_per_hour: float = 0.0
    """Load balancer capacity units per hour, per load balancer."""
    data_out_gb: float = 0.0
    """GB sent from the region straight to the internet (through internet-facing load balancers)."""
    nat_gb: float = 0.0
    """GB processed by the NAT gateways."""
    interface_endpoint_gb: float = 0.0
    """GB processed by interface VPC endpoints."""
    log_gb_ingested: float = 0.0
    """GB ingested into CloudWatch Logs (stored for each log group's retention)."""
    cloudfront_gb: float = 0.0
    """GB served by CloudFront to viewers."""
    s3_gb: float = 0.0
    """GB stored in S3 Standard."""
    backup_gb: float = 0.0
    """GB of AWS Backup recovery points (priced at the RDS snapshot rate)."""
    aurora_storage_gb: float = 0.0
    """GB stored by Aurora clusters."""
    aurora_io_millions: float = 0.0
    """Millions of Aurora I/O requests (Standard storage only; I/O-Optimized includes them)."""
    ses_emails: float = 0.0
    """E-mails sent through SES."""
    cognito_mau: float = 0.0
    """Monthly active users of Cognito user pools."""

    def with_(self, **changes: Any) -> UsageProfile:
        """A copy with some numbers changed (its name becomes ``custom`` unless given)."""
        changes.setdefault("name", "custom")
        profile = dataclasses.replace(self, **changes)
        profile.check()
        return profile

    def check(self) -> None:
        """Raise ``ValidationError`` when a number is negative or ``task_count`` is unknown."""
        problems = Problems()
        if self.task_count not in ("min", "desired", "max"):
            problems.add("task_count", self.task_count, "unknown", "use 'min', 'desired' or 'max'")
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name not in ("name", "task_count") and (not isinstance(value, (int, float)) or value < 0):
                problems.add(f.name, value, "must be a number >= 0", "give a non-negative number")
        problems.raise_if_any(f"UsageProfile({self.name})")

    def as_dict(self) -> dict[str, Any]:
        """Every field by name, as the ``usage`` of the JSON report."""
        return dataclasses.asdict(self)

    @staticmethod
    def named(name: str) -> UsageProfile:
        """One of the named profiles: ``fixed``, ``low``, ``typical`` or ``high``."""
        if name not in PROFILES:
            problems = Problems()
            problems.add("usage", name, "unknown usage profile", f"use one of {', '.join(PROFILES)}")
            problems.raise_if_any("UsageProfile")
        return PROFILES[name]

    @staticmethod
    def from_mapping(data: Mapping[str, Any]) -> UsageProfile:
        """A custom profile from a mapping (e.g. JSON); ``base`` names the profile to start from."""
        data = dict(data)
        base = UsageProfile.named(str(data.pop("base", "fixed")))
        known = {f.name for f in dataclasses.fields(UsageProfile)}
        unknown = sorted(set(data) - known)
        if unknown:
            problems = Problems()
            problems.add("usage", unknown, "unknown usage field(s)", f"use {sorted(known - {'name'})}")
            problems.raise_if_any("UsageProfile")
        return base.with_(**data)


PROFILES: dict[str, UsageProfile] = {
    # Fixed costs only, autoscaled services at their minimum: the basis on which two architectures are
    # compared, since usage is a guess and the minimum is what runs on a quiet day
    # (docs/design.md#cost-comparison-basis).
    "fixed": UsageProfile(name="fixed", task_count="min"),
    "low": UsageProfile(
        name="low",
        task_count="min",
        requests=1_000_000,
        alb_lcu_per_hour=0.1,
        data_out_gb=5,
        nat_gb=5,
        interface_endpoint_gb=1,
        log_gb_ingested=1,
        cloudfront_gb=10,
        s3_gb=1,
        backup_gb=20,
        aurora_storage_gb=10,
        aurora_io_millions=1,
        ses_emails=1_000,
        cognito_mau=100,
    ),
    "typical": UsageProfile(
        name="typical",
        task_count="desired",
        requests=10_000_000,
        alb_lcu_per_hour=1,
        data_out_gb=50,
        nat_gb=20,
        interface_endpoint_gb=10,
        log_gb_ingested=10,
        cloudfront_gb=100,
        s3_gb=20,
        backup_gb=100,
        aurora_storage_gb=50,
        aurora_io_millions=50,
        ses_emails=10_000,
        cognito_mau=1_000,
    ),
    "high": UsageProfile(
        name="high",
        task_count="max",
        requests=100_000_000,
        alb_lcu_per_hour=10,
        data_out_gb=500,
        nat_gb=200,
        interface_endpoint_gb=100,
        log_gb_ingested=100,
        cloudfront_gb=1_000,
        s3_gb=200,
        backup_gb=500,
        aurora_storage_gb=200,
        aurora_io_millions=500,
        ses_emails=100_000,
        cognito_mau=10_000,
    ),
}
