"""Library defaults, as data.

Every construct reads its defaults from here, so the documentation tables and the tests can refer to
one place. Changing a value here changes deployed infrastructure: treat it as a breaking change.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Size
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3


@dataclass(frozen=True)
class DatabaseDefaults:
    """Defaults of ``cdk_casemgmt.PostgresDatabase``."""

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
    proxy_iam_auth: bool = False
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
#
# vCPUs of each size from large up. General-purpose classes (m) have 4 GiB of memory per vCPU,
# memory-optimized ones (r) 8; burstable ones (t) also come smaller, and from large up match the m classes.
_VCPUS = {
    "large": 2,
    "xlarge": 4,
    "2xlarge": 8,
    "4xlarge": 16,
    "8xlarge": 32,
    "12xlarge": 48,
    "16xlarge": 64,
    "24xlarge": 96,
}
_GENERAL = {size: (cpu, cpu * 4) for size, cpu in _VCPUS.items()}
_MEMORY = {size: (cpu, cpu * 8) for size, cpu in _VCPUS.items()}
_BURSTABLE = {
    "micro": (2, 1),
    "small": (2, 2),
    "medium": (2, 4),
    **{size: _GENERAL[size] for size in ("large", "xlarge", "2xlarge")},
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
    """Defaults of ``cdk_casemgmt.CdnFrontend``."""

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
    """Defaults of ``cdk_casemgmt.PrivateBucket``."""

    access_log_retention: Duration = Duration.days(365)
    noncurrent_version_expiration: Duration = Duration.days(90)
    cors_methods: tuple[s3.HttpMethods, ...] = (s3.HttpMethods.PUT, s3.HttpMethods.GET)
    cors_allowed_headers: tuple[str, ...] = ("content-type",)
    cors_max_age_seconds: int = 3000
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN


BUCKET = BucketDefaults()


@dataclass(frozen=True)
class VpcDefaults:
    """Defaults of ``cdk_casemgmt.SecureVpc``."""

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


class FargateApiDefaults:
    """Defaults of ``cdk_casemgmt.SecureFargateApi`` (``ingress`` and ``nat_gateways`` are enums of their
    own modules and show their defaults in the signature)."""

    container_port: int = 8080
    cpu: int = 512
    memory_limit_mib: int = 1024
    # ARM64 costs about 20 % less than X86_64 on Fargate for the same size.
    cpu_architecture: ecs.CpuArchitecture = ecs.CpuArchitecture.ARM64
    user: str = "1000:1000"
    # Writable despite the read-only root file system; the image declares each with VOLUME.
    writable_paths: tuple[str, ...] = ("/tmp",)
    ssl_policy: elbv2.SslPolicy = elbv2.SslPolicy.RECOMMENDED_TLS
    redirect_http: bool = True
    health_check_path: str = "/health"
    health_check_interval: Duration = Duration.seconds(15)
    health_check_timeout: Duration = Duration.seconds(5)
    healthy_threshold_count: int = 2
    unhealthy_threshold_count: int = 3
    health_check_grace_period: Duration = Duration.seconds(60)
    deregistration_delay: Duration = Duration.seconds(30)
    # Without stop_timeout, a task gets deregistration_delay plus this between SIGTERM and SIGKILL.
    stop_after_drain: Duration = Duration.seconds(15)
    min_tasks: int = 2
    max_tasks: int = 4
    cpu_target_percent: int = 70
    memory_target_percent: int = 80
    spot_share_percent: int = 0
    alarm_5xx_threshold: int = 5
    p99_latency_threshold: Duration = Duration.seconds(2)
    cpu_alarm_percent: int = 90
    memory_alarm_percent: int = 90
    waf_rate_limit: int = 1000
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    log_buffer: Size = Size.mebibytes(25)
    access_log_retention: Duration = Duration.days(365)
    access_log_noncurrent_version_expiration: Duration = Duration.days(30)
    access_log_abort_incomplete_upload_after: Duration = Duration.days(7)
    enable_execute_command: bool = False
    deletion_protection: bool = True
    allow_all_outbound: bool = False
    database_env_prefix: str = ""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN


FARGATE_API = FargateApiDefaults()
