"""DeployReadinessChecks on our own constructs: at default props, and with an RDS Proxy reached through
SecureFargateApi.connect, the rules about the database's monitoring role, the proxy's port and sign-in,
and the task's writable volumes find nothing, with nothing acknowledged.

(The other rules of the pack concern alarms, WAF and retention, whose fixes land separately.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import Stack

from cdk_casemgmt import (
    DeployReadinessChecks,
    PostgresDatabase,
    SecureFargateApi,
    SecureVpc,
    ServerlessV2Capacity,
)
from cdk_casemgmt.testing import new_test_app, new_test_stack
from tests._fargate_support import APP_DIR

RULES = ("RDSMonitoringRoleAtCreate", "RDSProxyPort", "RDSProxyIAMAuth", "ECSBindMountWritable")


def _api_and_database(**database: Any) -> Callable[[Stack], None]:
    def build(stack: Stack) -> None:
        api = SecureFargateApi(stack, "Api", image=APP_DIR, migration_command=["migrate"])
        api.connect(PostgresDatabase(stack, "Db", vpc=api.vpc, **database))

    return build


def _api_alone(stack: Stack) -> None:
    SecureFargateApi(stack, "Api", image=APP_DIR)


def _database_alone(stack: Stack) -> None:
    PostgresDatabase(stack, "Db", vpc=SecureVpc(stack, "Net").vpc)


STACKS: dict[str, Callable[[Stack], None]] = {
    "ApiAlone": _api_alone,
    "DatabaseAlone": _database_alone,
    "Connected": _api_and_database(),
    "Serverless": _api_and_database(serverless_v2=ServerlessV2Capacity()),
    "Proxy": _api_and_database(proxy=True),
    "ProxyIam": _api_and_database(proxy=True, proxy_iam_auth=True),
}


@pytest.fixture(scope="module")
def report() -> dict[str, list[str]]:
    """Rule -> paths of the resources it flags, over one app holding every stack."""
    app = new_test_app()
    for name, build in STACKS.items():
        build(new_test_stack(app, name))
    found: dict[str, list[str]] = {rule: [] for rule in RULES}
    for violation in DeployReadinessChecks().validate_scope(app).violations:
        assert "threw an error" not in violation.description, violation.rule_name
        rule = violation.rule_name.removeprefix("DeployReadiness-")
        if rule in found:
            found[rule] += [r.construct_path for r in violation.violating_resources]
    return found


@pytest.mark.parametrize("rule", RULES)
def test_our_constructs_pass(report: dict[str, list[str]], rule: str) -> None:
    assert report[rule] == []
