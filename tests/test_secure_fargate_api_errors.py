"""Every bad prop of SecureFargateApi raises ValidationError naming prop, value and fix; all at once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2

from cdk_casemgmt.errors import ValidationError
from cdk_casemgmt.secure_fargate_api import ApiIngress, SecureFargateApi
from cdk_casemgmt.testing import new_test_stack
from tests._fargate_support import APP_DIR, DOMAIN, certificate, hosted_zone


def problems(**props: Any) -> tuple[str, ...]:
    stack = new_test_stack()
    resolved = {k: (v(stack) if callable(v) else v) for k, v in props.items()}
    with pytest.raises(ValidationError) as raised:
        SecureFargateApi(stack, "Api", image=APP_DIR, **resolved)
    return raised.value.problems


CASES = {
    "invalid cpu/memory pair": (
        {"cpu": 256, "memory_limit_mib": 4096},
        r"memory_limit_mib=4096: not valid with cpu=256 on Fargate\. Fix: use 512\.\.2048",
    ),
    "unknown cpu": ({"cpu": 300}, r"cpu=300: not a Fargate task size\. Fix: use one of \[256, 512"),
    "port out of range": (
        {"container_port": 70000},
        r"container_port=70000: port out of range\. Fix: use 1\.\.65535",
    ),
    "domain without hosted zone": (
        {"domain_name": DOMAIN},
        r"domain_name='app\.example\.com': given without hosted_zone\. Fix: pass hosted_zone=",
    ),
    "hosted zone without domain": (
        {"hosted_zone": hosted_zone},
        r"hosted_zone='<IHostedZone>': given without domain_name\. Fix: pass domain_name=",
    ),
    "certificate with HTTP": (
        {"certificate": certificate, "protocol": elbv2.ApplicationProtocol.HTTP},
        r"protocol='HTTP': a certificate .* plain HTTP\. Fix: drop protocol=",
    ),
    "HTTPS without certificate": (
        {"protocol": elbv2.ApplicationProtocol.HTTPS},
        r"protocol='HTTPS': HTTPS needs a certificate\. Fix: pass certificate=",
    ),
    "public without certificate": (
        {"ingress": ApiIngress.PUBLIC},
        r"ingress='PUBLIC': a public API must serve HTTPS .* Fix: pass certificate=",
    ),
    "min > max tasks": (
        {"min_tasks": 5, "max_tasks": 3},
        r"min_tasks=5: greater than max_tasks \(3\)\. Fix:",
    ),
    "desired outside min..max": (
        {"desired_count": 9},
        r"desired_count=9: outside min_tasks\.\.max_tasks \(2\.\.4\).* Fix: use a value in that range",
    ),
    "stop timeout over 120 s": (
        {"stop_timeout": Duration.seconds(150)},
        r"stop_timeout=2 minutes 30 seconds: Fargate allows at most 120 seconds\. Fix:",
    ),
    "deregistration delay not below stop timeout": (
        {"deregistration_delay": Duration.seconds(60), "stop_timeout": Duration.seconds(60)},
        r"deregistration_delay=1 minute: not below stop_timeout \(60 s\).* Fix: use at most "
        r"Duration\.seconds\(55\)",
    ),
    "health check path without slash": (
        {"health_check_path": "health"},
        r"health_check_path='health': must start with '/'\. Fix: use '/health'",
    ),
    "spot share outside 0..100": (
        {"spot_share_percent": 120, "cpu_architecture": ecs.CpuArchitecture.X86_64},
        r"spot_share_percent=120: outside 0\.\.100",
    ),
    "spot with ARM64": (
        {"spot_share_percent": 50},
        r"spot_share_percent=50: Fargate Spot does not run ARM64 tasks\. Fix: set cpu_architecture=",
    ),
    "root user": ({"user": "root"}, r"user='root': containers must not run as root\. Fix:"),
    "lower-case database env prefix": (
        {"database_env_prefix": "api_"},
        r"database_env_prefix='api_': not an environment variable prefix\. Fix: use upper-case",
    ),
    "relative writable path": (
        {"writable_paths": ["tmp"]},
        r"writable_paths\[0\]='tmp': not an absolute, normalised directory path below /\. "
        r"Fix: pass e\.g\. '/tmp'",
    ),
    "root as writable path": ({"writable_paths": ["/"]}, r"writable_paths\[0\]='/': not an absolute"),
    "trailing slash": ({"writable_paths": ["/tmp/"]}, r"writable_paths\[0\]='/tmp/': not an absolute"),
    "parent directory": ({"writable_paths": ["/tmp/../etc"]}, r"writable_paths\[0\]='/tmp/\.\./etc'"),
    "writable path twice": (
        {"writable_paths": ["/tmp", "/data", "/tmp"]},
        r"writable_paths\[2\]='/tmp': given twice\. Fix: list each path once",
    ),
    "one string for writable paths": (
        {"writable_paths": "/tmp"},
        r"writable_paths='/tmp': is one string, not a sequence of paths\. Fix: pass \('/tmp',\)",
    ),
    "secret-looking environment": (
        {"environment": {"DB_PASSWORD": "x"}},
        r"environment='DB_PASSWORD': looks like a secret.* Fix: pass it as secrets=",
    ),
}


@pytest.mark.parametrize(("props", "message"), CASES.values(), ids=CASES.keys())
def test_bad_prop_is_named_with_value_and_fix(props: dict[str, Any], message: str) -> None:
    found = problems(**props)
    assert len(found) == 1, found
    assert re.search(message, found[0]), found[0]


def test_all_problems_are_reported_at_once() -> None:
    found = problems(
        cpu=256,
        memory_limit_mib=4096,
        container_port=0,
        min_tasks=5,
        max_tasks=3,
        stop_timeout=Duration.seconds(200),
        health_check_path="x",
        spot_share_percent=-1,
    )
    assert [p.split("=")[0] for p in found] == [
        "memory_limit_mib",
        "container_port",
        "health_check_path",
        "stop_timeout",
        "min_tasks",
        "spot_share_percent",
    ]


def test_unknown_region_needs_an_explicit_prefix_list() -> None:
    stack = new_test_stack(region="me-central-1")
    api = SecureFargateApi(stack, "Api", image=APP_DIR)
    with pytest.raises(
        ValidationError, match=r"cloudfront_prefix_list_id=None: region 'me-central-1'.*Fix: pass"
    ):
        api.enable_cloudfront_ingress()
