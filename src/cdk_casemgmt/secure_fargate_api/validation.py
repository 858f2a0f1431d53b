"""SecureFargateApi's prop checks: every problem at once, each naming prop, value and fix, before
anything is built."""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Duration, Token
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from cdk_casemgmt._defaults import FARGATE_API
from cdk_casemgmt.errors import Problems
from cdk_casemgmt.secure_fargate_api.database import ENV_PREFIX
from cdk_casemgmt.secure_fargate_api.ingress import ApiIngress
from cdk_casemgmt.secure_fargate_api.props import MAX_STOP_TIMEOUT, ApiProps
from cdk_casemgmt.secure_fargate_api.task import FARGATE_CPU_MEMORY, architecture_name

_SECRET_LOOKING_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)
_NOT_A_SECRET_SUFFIX = re.compile(r"_(ARN|NAME|ID|PATH|FILE|URL_PARAM)$", re.I)


def validate(scope: Construct, props: ApiProps) -> None:
    """Raise ``ValidationError`` with every problem of ``props``.

    Values that are unresolved tokens are not checked (their value is known only at deploy time).
    """
    p = Problems()
    if not ENV_PREFIX.fullmatch(props.database_env_prefix):
        p.add(
            "database_env_prefix",
            props.database_env_prefix,
            "not an environment variable prefix",
            "use upper-case letters, digits and '_', starting with a letter, e.g. 'API_'",
        )

    def known(n: object) -> bool:
        return not (isinstance(n, (int, float)) and Token.is_unresolved(n))

    if known(props.cpu) and known(props.memory_limit_mib):
        if props.cpu not in FARGATE_CPU_MEMORY:
            p.add("cpu", props.cpu, "not a Fargate task size", f"use one of {sorted(FARGATE_CPU_MEMORY)}")
        elif props.memory_limit_mib not in FARGATE_CPU_MEMORY[props.cpu]:
            allowed = FARGATE_CPU_MEMORY[props.cpu]
            p.add(
                "memory_limit_mib",
                props.memory_limit_mib,
                f"not valid with cpu={props.cpu} on Fargate",
                f"use {allowed[0]}..{allowed[-1]}"
                + (f" in steps of {allowed[1] - allowed[0]}" if len(allowed) > 1 else ""),
            )
    if known(props.container_port) and not 1 <= props.container_port <= 65535:
        p.add(
            "container_port",
            props.container_port,
            "port out of range",
            f"use 1..65535 ({FARGATE_API.container_port} is the default)",
        )
    if not isinstance(props.ingress, ApiIngress):
        p.add("ingress", props.ingress, "not an ApiIngress", "use ApiIngress.PRIVATE, .CLOUDFRONT or .PUBLIC")
    _check_writable_paths(p, props.writable_paths)
    vpc = props.cluster.vpc if props.cluster is not None else props.vpc
    if (
        vpc is not None
        and props.ingress is not ApiIngress.PUBLIC
        and not vpc.private_subnets
        and not vpc.isolated_subnets
    ):
        p.add(
            "vpc" if props.cluster is None else "cluster",
            vpc.vpc_id,
            f"has only public subnets, and the internal load balancer of ingress={props.ingress} needs "
            "private or isolated ones",
            "give the VPC private (or isolated) subnets, e.g. SecureVpc, or use ingress=ApiIngress.PUBLIC",
        )
    if props.vpc is not None and props.cluster is not None:
        p.add("vpc", "<IVpc>", "given together with cluster", "drop vpc: the cluster's VPC is used")
    if props.domain_name and props.hosted_zone is None:
        p.add(
            "domain_name",
            props.domain_name,
            "given without hosted_zone",
            "pass hosted_zone= the zone that holds it",
        )
    if props.hosted_zone is not None and not props.domain_name:
        p.add(
            "hosted_zone",
            "<IHostedZone>",
            "given without domain_name",
            "pass domain_name= e.g. api.example.com",
        )
    has_cert = props.certificate is not None or bool(props.domain_name and props.hosted_zone is not None)
    if props.protocol == elbv2.ApplicationProtocol.HTTP and (
        props.certificate is not None or props.domain_name
    ):
        p.add(
            "protocol",
            "HTTP",
            "a certificate (or domain_name) is given but the listener would be plain HTTP",
            "drop protocol= (HTTPS is then used) or drop certificate=/domain_name=",
        )
    if props.protocol == elbv2.ApplicationProtocol.HTTPS and not has_cert and not props.domain_name:
        p.add(
            "protocol",
            "HTTPS",
            "HTTPS needs a certificate",
            "pass certificate= or domain_name= + hosted_zone=",
        )
    if props.ingress is ApiIngress.PUBLIC and not has_cert:
        p.add(
            "ingress",
            "PUBLIC",
            "a public API must serve HTTPS but no certificate or domain is given",
            "pass certificate= or domain_name= + hosted_zone=, or keep ApiIngress.PRIVATE behind CdnFrontend",
        )
    if not props.health_check_path.startswith("/"):
        p.add(
            "health_check_path",
            props.health_check_path,
            "must start with '/'",
            f"use '/{props.health_check_path}'",
        )
    stop_s, drain_s = _seconds(props.stop_timeout), _seconds(props.deregistration_delay)
    max_stop_s = MAX_STOP_TIMEOUT.to_seconds()
    if stop_s is not None and stop_s > max_stop_s:
        p.add(
            "stop_timeout",
            props.stop_timeout,
            f"Fargate allows at most {max_stop_s:g} seconds",
            f"use Duration.seconds({max_stop_s:g}) or less",
        )
    if stop_s is not None and drain_s is not None and drain_s >= stop_s:
        p.add(
            "deregistration_delay",
            props.deregistration_delay,
            f"not below stop_timeout ({stop_s:g} s): a task could be killed while connections still drain",
            f"use at most Duration.seconds({max(int(stop_s) - 5, 0)}) or raise stop_timeout",
        )
    if known(props.min_tasks) and known(props.max_tasks):
        if props.min_tasks < 1:
            p.add("min_tasks", props.min_tasks, "must be at least 1", "use 2 for two AZs")
        if props.min_tasks > props.max_tasks:
            p.add(
                "min_tasks",
                props.min_tasks,
                f"greater than max_tasks ({props.max_tasks})",
                "make min_tasks <= max_tasks",
            )
        if (
            props.desired_count is not None
            and known(props.desired_count)
            and not props.min_tasks <= props.desired_count <= props.max_tasks
        ):
            p.add(
                "desired_count",
                props.desired_count,
                f"outside min_tasks..max_tasks ({props.min_tasks}..{props.max_tasks}); "
                "autoscaling would undo it",
                "use a value in that range, or leave it out",
            )
    for prop, value in (
        ("cpu_target_percent", props.cpu_target_percent),
        ("memory_target_percent", props.memory_target_percent),
    ):
        if known(value) and not 10 <= value <= 95:
            p.add(prop, value, "must be 10..95", "use the default")
    if (
        props.requests_per_target is not None
        and known(props.requests_per_target)
        and props.requests_per_target < 1
    ):
        p.add(
            "requests_per_target",
            props.requests_per_target,
            "must be at least 1",
            "e.g. 500, or leave it out",
        )
    if known(props.spot_share_percent):
        if not 0 <= props.spot_share_percent <= 100:
            p.add(
                "spot_share_percent", props.spot_share_percent, "outside 0..100", "use a percentage, e.g. 50"
            )
        elif props.spot_share_percent and architecture_name(props.cpu_architecture) == "ARM64":
            p.add(
                "spot_share_percent",
                props.spot_share_percent,
                "Fargate Spot does not run ARM64 tasks",
                "set cpu_architecture=ecs.CpuArchitecture.X86_64, or use 0",
            )
    if known(props.waf_rate_limit) and not 10 <= props.waf_rate_limit <= 2_000_000_000:
        p.add("waf_rate_limit", props.waf_rate_limit, "WAF accepts 10..2,000,000,000", "use e.g. 1000")
    if props.user.split(":")[0] in ("root", "0"):
        p.add(
            "user", props.user, "containers must not run as root", "use an unprivileged uid, e.g. '1000:1000'"
        )
    for name in props.environment:
        if _SECRET_LOOKING_NAME.search(name) and not _NOT_A_SECRET_SUFFIX.search(name):
            p.add(
                "environment",
                name,
                "looks like a secret, and plain environment is visible in the task definition",
                f"pass it as secrets={{{name!r}: ecs.Secret.from_secrets_manager(...)}}",
            )
    if props.iam_database_user and props.database is None:
        p.add("iam_database_user", props.iam_database_user, "given without database", "pass database= too")
    p.raise_if_any(scope)


def _seconds(value: Duration) -> float | None:
    return None if Token.is_unresolved(value) else value.to_seconds()


def _check_writable_paths(p: Problems, paths: Sequence[str]) -> None:
    if isinstance(paths, str):
        p.add("writable_paths", paths, "is one string, not a sequence of paths", f"pass ({paths!r},)")
        return
    seen: set[str] = set()
    for i, path in enumerate(paths):
        if not _is_directory_path(path):
            p.add(
                f"writable_paths[{i}]",
                path,
                "not an absolute, normalised directory path below /",
                "pass e.g. '/tmp' or '/var/cache/app' (no trailing '/', '.', '..' or spaces)",
            )
        elif path in seen:
            p.add(f"writable_paths[{i}]", path, "given twice", "list each path once")
        else:
            seen.add(path)


def _is_directory_path(path: object) -> bool:
    return (
        isinstance(path, str)
        and path.startswith("/")
        and not re.search(r"\s", path)
        and all(part not in ("", ".", "..") for part in path.split("/")[1:])
    )
