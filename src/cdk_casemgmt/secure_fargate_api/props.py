"""SecureFargateApi's props as one value: what the constructor was given, with the defaults that depend on
other props applied. Built once from the constructor's arguments; validation and the builders read it."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Token
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns

from cdk_casemgmt._defaults import FARGATE_API
from cdk_casemgmt.network import NatGateways
from cdk_casemgmt.secure_fargate_api.database import ConnectableDatabase
from cdk_casemgmt.secure_fargate_api.ingress import ApiIngress

MAX_STOP_TIMEOUT = Duration.seconds(120)
"""The longest ``stop_timeout`` Fargate accepts."""

# The constructor's own parameters, not props.
_NOT_PROPS = frozenset({"self", "scope", "id", "__class__"})


@dataclass(frozen=True)
class ApiProps:
    """The props of ``SecureFargateApi`` (documented there), each as given, except:
    ``environment`` is ``{}`` when not given, and ``stop_timeout`` and ``protocol`` are resolved."""

    image: ecs.ContainerImage | str | os.PathLike[str]
    container_port: int
    cpu: int
    memory_limit_mib: int
    cpu_architecture: ecs.CpuArchitecture
    environment: Mapping[str, str]
    secrets: Mapping[str, ecs.Secret] | None
    command: Sequence[str] | None
    user: str
    writable_paths: Sequence[str]
    vpc: ec2.IVpc | None
    nat_gateways: NatGateways
    cluster: ecs.ICluster | None
    task_subnets: ec2.SubnetSelection | None
    ingress: ApiIngress
    certificate: acm.ICertificate | None
    domain_name: str | None
    hosted_zone: route53.IHostedZone | None
    protocol: elbv2.ApplicationProtocol
    ssl_policy: elbv2.SslPolicy
    redirect_http: bool
    cloudfront_prefix_list_id: str | None
    private_ingress_cidr: str | None
    health_check_path: str
    health_check_interval: Duration
    health_check_grace_period: Duration
    deregistration_delay: Duration
    stop_timeout: Duration
    min_tasks: int
    max_tasks: int
    desired_count: int | None
    cpu_target_percent: int
    memory_target_percent: int
    requests_per_target: int | None
    spot_share_percent: int
    alarm_topic: sns.ITopic | None
    alarm_5xx_threshold: int
    p99_latency_threshold: Duration
    waf_rate_limit: int
    log_retention: logs.RetentionDays
    access_log_retention: Duration
    enable_execute_command: bool
    deletion_protection: bool
    allow_all_outbound: bool
    database: ConnectableDatabase | None
    iam_database_user: str | None
    database_env_prefix: str
    migration_command: Sequence[str] | None
    ses_identity: ses.IEmailIdentity | str | None
    removal_policy: RemovalPolicy

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any]) -> ApiProps:
        """The props from the constructor's ``locals()``: every keyword argument is a prop, and every
        prop a keyword argument (a mismatch is a bug here, reported as ``TypeError``)."""
        given = {name: value for name, value in arguments.items() if name not in _NOT_PROPS}
        names = {f.name for f in fields(cls)}
        if set(given) != names:
            raise TypeError(f"ApiProps and the constructor disagree on {sorted(set(given) ^ names)}")
        given["environment"] = given["environment"] or {}
        if given["stop_timeout"] is None:
            given["stop_timeout"] = _stop_after(given["deregistration_delay"])
        if given["protocol"] is None:
            given["protocol"] = (
                elbv2.ApplicationProtocol.HTTPS
                if (given["certificate"] or given["domain_name"])
                else elbv2.ApplicationProtocol.HTTP
            )
        return cls(**given)


def _stop_after(deregistration_delay: Duration) -> Duration:
    """The default ``stop_timeout``: the drain time and a margin, within Fargate's limit."""
    drain = (
        FARGATE_API.deregistration_delay
        if Token.is_unresolved(deregistration_delay)
        else deregistration_delay
    )
    seconds = drain.to_seconds() + FARGATE_API.stop_after_drain.to_seconds()
    return Duration.seconds(min(seconds, MAX_STOP_TIMEOUT.to_seconds()))
