"""SecureFargateApi.connect follows the database it is given: straight to the instance, or through an RDS
Proxy that accepts the secret's password (the default) or only IAM tokens. One app, synthesized once.

Expected values are written out: the proxy listens on PostgreSQL's default port (5432) whatever the
database's own (5433 here); the database's IAM user through a proxy is the master user, whose secret the
proxy holds.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack

from cdk_casemgmt import PostgresDatabase, SecureFargateApi, ValidationError
from cdk_casemgmt.testing import compliance_findings, new_test_app, new_test_stack, template_of
from tests._fargate_support import APP_DIR
from tests.helpers import only, resources_of

PROXY_PORT = 5432
DATABASE_PORT = 5433
SHAPES = ("direct", "proxy", "proxyiam")


class Connected:
    def __init__(self) -> None:
        self.app = new_test_app()
        self.stacks: dict[str, Stack] = {}
        self.apis: dict[str, SecureFargateApi] = {}
        self.dbs: dict[str, PostgresDatabase] = {}
        for shape in SHAPES:
            stack = new_test_stack(self.app, shape.capitalize())
            api = SecureFargateApi(stack, "Api", image=APP_DIR, migration_command=["migrate"])
            db = PostgresDatabase(
                stack, "Db", vpc=api.vpc, proxy=shape != "direct", proxy_iam_auth=shape == "proxyiam"
            )
            api.connect(db)
            self.stacks[shape], self.apis[shape], self.dbs[shape] = stack, api, db
        self.templates = {shape: template_of(stack) for shape, stack in self.stacks.items()}
        self.findings = compliance_findings(self.app)

    def env(self, shape: str) -> list[dict[str, Any]]:
        _, task = only(self.templates[shape], "AWS::ECS::TaskDefinition")
        return [
            {e["Name"]: e["Value"] for e in c["Environment"]}
            for c in task["Properties"]["ContainerDefinitions"]
        ]

    def group(self, shape: str, construct: Any) -> str:
        resolved = self.stacks[shape].resolve(construct.security_group_id)
        return str(resolved["Fn::GetAtt"][0])

    def task_policy(self, shape: str) -> list[dict[str, Any]]:
        policies = resources_of(self.templates[shape], "AWS::IAM::ManagedPolicy")
        (policy,) = [p for k, p in policies.items() if k.startswith("ApiTaskRolePolicy")]
        return list(policy["Properties"]["PolicyDocument"]["Statement"])


@pytest.fixture(scope="module")
def connected() -> Connected:
    return Connected()


def _egress(template: dict[str, Any], group: str) -> list[tuple[int, int, str]]:
    """(from, to, destination group) of every egress rule of ``group`` towards another group."""
    found = []
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::EC2::SecurityGroupEgress" and resource["Properties"]["GroupId"] == {
            "Fn::GetAtt": [group, "GroupId"]
        }:
            props = resource["Properties"]
            found.append(
                (props["FromPort"], props["ToPort"], props["DestinationSecurityGroupId"]["Fn::GetAtt"][0])
            )
    return sorted(found)


def _ingress_from(template: dict[str, Any], group: str, source: str) -> list[tuple[int, int]]:
    """(from, to) of every ingress rule into ``group`` from the group ``source``, inline or standalone."""
    rules: list[dict[str, Any]] = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::EC2::SecurityGroup" and logical_id == group:
            rules += resource["Properties"].get("SecurityGroupIngress", [])
        elif resource["Type"] == "AWS::EC2::SecurityGroupIngress" and resource["Properties"]["GroupId"] == {
            "Fn::GetAtt": [group, "GroupId"]
        }:
            rules.append(resource["Properties"])
    return sorted(
        (r["FromPort"], r["ToPort"])
        for r in rules
        if r.get("SourceSecurityGroupId") == {"Fn::GetAtt": [source, "GroupId"]}
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_no_unacknowledged_findings(connected: Connected, shape: str) -> None:
    assert [str(f) for f in connected.findings if f.path.startswith(f"{shape.capitalize()}/")] == []


@pytest.mark.parametrize(
    ("shape", "port"), [("direct", DATABASE_PORT), ("proxy", PROXY_PORT), ("proxyiam", PROXY_PORT)]
)
def test_every_container_is_told_the_port_clients_use(connected: Connected, shape: str, port: int) -> None:
    db = connected.dbs[shape]
    host = connected.stacks[shape].resolve(db.endpoint_address)
    if shape != "direct":
        assert host == {"Fn::GetAtt": [only(connected.templates[shape], "AWS::RDS::DBProxy")[0], "Endpoint"]}
    assert db.endpoint_port == port and db.port == DATABASE_PORT
    envs = connected.env(shape)
    assert len(envs) == 2  # app and migrate
    for env in envs:
        assert (env["DB_HOST"], env["DB_PORT"]) == (host, str(port))


@pytest.mark.parametrize(
    ("shape", "port"), [("direct", DATABASE_PORT), ("proxy", PROXY_PORT), ("proxyiam", PROXY_PORT)]
)
def test_the_tasks_reach_exactly_that_port_of_that_group(connected: Connected, shape: str, port: int) -> None:
    template = connected.templates[shape]
    tasks = connected.group(shape, connected.apis[shape].security_group)
    db = connected.dbs[shape]
    target = connected.group(
        shape, db.security_group if shape == "direct" else db.connections.security_groups[0]
    )
    assert _egress(template, tasks) == [(port, port, target)]
    assert _ingress_from(template, target, tasks) == [(port, port)]
    # Behind a proxy the database admits the proxy alone, on the database's own port.
    if shape != "direct":
        database_group = connected.group(shape, db.security_group)
        assert _ingress_from(template, database_group, tasks) == []
        assert _ingress_from(template, database_group, target) == [(DATABASE_PORT, DATABASE_PORT)]


def test_a_proxy_accepts_the_secrets_password_by_default(connected: Connected) -> None:
    _, proxy = only(connected.templates["proxy"], "AWS::RDS::DBProxy")
    auth = proxy["Properties"]["Auth"]
    secret = connected.stacks["proxy"].resolve(connected.dbs["proxy"].secret.secret_arn)
    assert [(a["AuthScheme"], a["IAMAuth"], a["SecretArn"]) for a in auth] == [
        ("SECRETS", "DISABLED", secret)
    ]
    assert proxy["Properties"]["RequireTLS"] is True
    for env in connected.env("proxy"):
        assert env["DB_AUTH"] == "password" and "DB_IAM_USER" not in env
    assert not [s for s in connected.task_policy("proxy") if s["Action"] == "rds-db:connect"]


def test_an_iam_only_proxy_gets_iam_configuration_and_connect_permission(connected: Connected) -> None:
    proxy_id, proxy = only(connected.templates["proxyiam"], "AWS::RDS::DBProxy")
    assert [a["IAMAuth"] for a in proxy["Properties"]["Auth"]] == ["REQUIRED"]
    for env in connected.env("proxyiam"):
        assert (env["DB_AUTH"], env["DB_IAM_USER"]) == ("iam", "postgres")
    (connect,) = [s for s in connected.task_policy("proxyiam") if s["Action"] == "rds-db:connect"]
    # rds-db:connect names the proxy's resource id (the last part of its ARN) and the user.
    assert connect["Resource"] == {
        "Fn::Join": [
            "",
            [
                "arn:aws:rds-db:us-east-1:111111111111:dbuser:",
                {"Fn::Select": [6, {"Fn::Split": [":", {"Fn::GetAtt": [proxy_id, "DBProxyArn"]}]}]},
                "/postgres",
            ],
        ]
    }
    # The secret stays readable: it is the master user's, and the app may still need its name.
    assert any("secretsmanager:GetSecretValue" in s["Action"] for s in connected.task_policy("proxyiam"))


def test_direct_connection_signs_in_with_the_password(connected: Connected) -> None:
    for env in connected.env("direct"):
        assert env["DB_AUTH"] == "password"
    assert connected.dbs["direct"].iam_auth_required is False
    assert json.dumps(connected.templates["direct"]).count("rds-db:connect") == 0


# ---------------------------------------------------------------------------------------- bad input


def _database(proxy: bool, proxy_iam_auth: bool = False) -> tuple[SecureFargateApi, PostgresDatabase]:
    stack = new_test_stack()
    api = SecureFargateApi(stack, "Api", image=APP_DIR)
    return api, PostgresDatabase(stack, "Db", vpc=api.vpc, proxy=proxy, proxy_iam_auth=proxy_iam_auth)


def test_an_iam_user_through_a_password_proxy_is_refused() -> None:
    api, db = _database(proxy=True)
    with pytest.raises(
        ValidationError, match=r"db_user='app_user'.*accepts passwords only.*proxy_iam_auth=True"
    ):
        api.connect(db, iam_database_user="app_user")


def test_an_iam_user_the_proxy_holds_no_secret_for_is_refused() -> None:
    api, db = _database(proxy=True, proxy_iam_auth=True)
    with pytest.raises(
        ValidationError, match=r"db_user='app_user'.*only the master user's secret \('postgres'\)"
    ):
        api.connect(db, iam_database_user="app_user")


def test_proxy_iam_auth_without_a_proxy_is_refused() -> None:
    stack = new_test_stack()
    api = SecureFargateApi(stack, "Api", image=APP_DIR)
    with pytest.raises(ValidationError, match=r"proxy_iam_auth=True.*proxy is False.*pass proxy=True"):
        PostgresDatabase(stack, "Db", vpc=api.vpc, proxy_iam_auth=True)
