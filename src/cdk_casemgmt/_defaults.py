"""Library defaults, as data.

Every construct reads its defaults from here, so the documentation tables and the tests can refer to
one place. Changing a value here changes deployed infrastructure: treat it as a breaking change.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3


@dataclass(frozen=True)
class DatabaseDefaults:
    """Defaults of :class:`cdk_casemgmt.PostgresDatabase`."""

    # 17.9 is the newest 17.x that aws-cdk-lib 2.257+ knows and cfn-lint does not flag (W3691).
    # The minor moves on by itself (auto minor version upgrade); the major only when you change it.
    engine_version: rds.PostgresEngineVersion = rds.PostgresEngineVersion.VER_17_9
    aurora_engine_version: rds.AuroraPostgresEngineVersion = rds.AuroraPostgresEngineVersion.VER_17_9
    instance_class: str = "db.t4g.medium"
    multi_az: bool = True
    # AwsSolutions-RDS11 flags the engine's default port (5432).
    port: int = 5433
    database_name: str = "app"
    master_username: str = "postgres"
    allocated_storage_gib: int = 20
    max_allocated_storage_gib: int = 100
    backup_retention: Duration = Duration.days(7)
    deletion_protection: bool = True
    removal_policy: RemovalPolicy = RemovalPolicy.SNAPSHOT
    rotation_interval: Duration = Duration.days(30)
    proxy: bool = False
    monitoring_interval: Duration = Duration.seconds(60)
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    slow_query_threshold: Duration = Duration.seconds(1)
    apply_immediately: bool = False
    aws_backup: bool = True
    aws_backup_retention: Duration = Duration.days(35)
    serverless_min_acu: float = 0.5
    serverless_max_acu: float = 4.0
    cpu_alarm_percent: int = 80
    connections_alarm_percent: int = 80
    free_storage_alarm_percent: int = 10
    freeable_memory_alarm_percent: int = 10
    acu_utilization_alarm_percent: int = 90


DATABASE = DatabaseDefaults()

BACKUP_RETENTION_DAYS_RANGE = (1, 35)
# Aurora Serverless v2: capacity in ACUs, half-ACU steps. 0 (auto-pause) needs specific engine
# releases and is not offered here.
SERVERLESS_ACU_RANGE = (0.5, 256.0)
# RDS gp3 storage for PostgreSQL, GiB.
STORAGE_GIB_RANGE = (20, 65536)

# PostgreSQL majors whose RDS standard support has ended: new instances would run on (billed)
# Extended Support or be refused. Dates from the RDS PostgreSQL release calendar.
POSTGRES_END_OF_STANDARD_SUPPORT = {
    "9": "2022-02-28",
    "10": "2023-02-28",
    "11": "2024-02-29",
    "12": "2025-02-28",
    "13": "2026-02-28",
}

# Instance classes offered for RDS PostgreSQL 14+: a small table kept in the code, so that a typo fails
# at synth without a lookup (see docs/design.md#instance-class-table).
# family -> {size: (vCPU, memory GiB)}. A class outside this table is refused with the list of
# families; widen the table, not the check, when AWS adds one.
_GENERAL = {
    "large": (2, 8),
    "xlarge": (4, 16),
    "2xlarge": (8, 32),
    "4xlarge": (16, 64),
    "8xlarge": (32, 128),
    "12xlarge": (48, 192),
    "16xlarge": (64, 256),
    "24xlarge": (96, 384),
}
_MEMORY = {size: (cpu, mem * 2) for size, (cpu, mem) in _GENERAL.items()}
_BURSTABLE = {
    "micro": (2, 1),
    "small": (2, 2),
    "medium": (2, 4),
    "large": (2, 8),
    "xlarge": (4, 16),
    "2xlarge": (8, 32),
}
POSTGRES_INSTANCE_CLASSES: dict[str, dict[str, tuple[int, int]]] = {
    "t3": _BURSTABLE,
    "t4g": _BURSTABLE,
    "m5": _GENERAL,
    "m6g": _GENERAL,
    "m6i": _GENERAL,
    "m7g": _GENERAL,
    "m7i": _GENERAL,
    "m8g": _GENERAL,
    "r5": _MEMORY,
    "r6g": _MEMORY,
    "r6i": _MEMORY,
    "r7g": _MEMORY,
    "r7i": _MEMORY,
    "r8g": _MEMORY,
}


@dataclass(frozen=True)
class CdnDefaults:
    """Defaults of :class:`cdk_casemgmt.CdnFrontend`."""

    # Vite's output: content-hashed files, served as immutable.
    immutable_asset_patterns: tuple[str, ...] = ("assets/*",)
    price_class: cloudfront.PriceClass = cloudfront.PriceClass.PRICE_CLASS_100
    waf_rate_limit: int = 2000
    waf_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    error_rate_threshold_percent: float = 5
    origin_latency_threshold: Duration = Duration.seconds(3)
    noncurrent_version_expiration: Duration = Duration.days(90)
    access_log_retention: Duration = Duration.days(365)
    deployment_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    # 2 years: what the HSTS preload list asks for.
    hsts_max_age: Duration = Duration.days(730)
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN


CDN = CdnDefaults()


@dataclass(frozen=True)
class BucketDefaults:
    """Defaults of :class:`cdk_casemgmt.PrivateBucket`."""

    access_log_retention: Duration = Duration.days(365)
    noncurrent_version_expiration: Duration = Duration.days(90)
    cors_methods: tuple[s3.HttpMethods, ...] = (s3.HttpMethods.PUT, s3.HttpMethods.GET)
    cors_allowed_headers: tuple[str, ...] = ("content-type",)
    cors_max_age_seconds: int = 3000
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN


BUCKET = BucketDefaults()


@dataclass(frozen=True)
class VpcDefaults:
    """Defaults of :class:`cdk_casemgmt.SecureVpc`."""

    # A NatGateways value (the enum lives in cdk_casemgmt.network, which reads this module).
    nat_gateways: str = "one"
    max_azs: int = 2
    cidr: str = "10.0.0.0/16"
    public_subnet_mask: int = 24
    private_subnet_mask: int = 22
    isolated_subnet_mask: int = 24
    flow_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN


VPC = VpcDefaults()

MAX_AZS_RANGE = (1, 6)
