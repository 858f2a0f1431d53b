"""PostgresDatabase: one test per security promise and per error path.

All configurations live in one app, synthesized once for the module.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from aws_cdk.assertions import Match, Template

from cdk_casemgmt import PostgresDatabase, ServerlessV2Capacity, ValidationError, acknowledgements
from cdk_casemgmt.testing import (
    cfn_lint,
    compliance_findings,
    logical_ids,
    new_test_app,
    new_test_stack,
    synth_findings,
    template_of,
)
from tests.conftest import CFN_LINT_CONFIG
from tests.helpers import egress_vpc, isolated_vpc, only, resources_of

VARIANTS = ("default", "isolated", "serverless", "proxy", "dev")


class Built:
    def __init__(self) -> None:
        self.app = new_test_app()
        self.stacks: dict[str, Stack] = {}
        self.dbs: dict[str, PostgresDatabase] = {}
        for name in VARIANTS:
            stack = new_test_stack(self.app, f"Db{name.capitalize()}")
            vpc = isolated_vpc(stack) if name == "isolated" else egress_vpc(stack)
            kwargs: dict[str, Any] = {}
            if name == "serverless":
                kwargs["serverless_v2"] = ServerlessV2Capacity(min_acu=0.5, max_acu=8)
            if name == "proxy":
                kwargs["proxy"] = True
            if name == "dev":
                kwargs.update(multi_az=False, aws_backup=False)
            db = PostgresDatabase(stack, "Db", vpc=vpc, **kwargs)
            if name == "default":
                app_sg = ec2.SecurityGroup(stack, "AppSg", vpc=vpc, allow_all_outbound=False)
                db.allow_from(app_sg)
                role = iam.Role(stack, "AppRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
                db.grant_connect(role, "app_user")
            self.stacks[name] = stack
            self.dbs[name] = db
        self.templates = {name: template_of(stack) for name, stack in self.stacks.items()}
        self.findings = compliance_findings(self.app)


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


@pytest.fixture(scope="module")
def default(built: Built) -> dict[str, Any]:
    return built.templates["default"]


def _instance(template: dict[str, Any]) -> dict[str, Any]:
    return only(template, "AWS::RDS::DBInstance")[1]


# --- compliance -------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_unacknowledged_findings_under_the_database(built: Built, variant: str) -> None:
    path = f"Db{variant.capitalize()}/Db/"
    assert [str(f) for f in built.findings if f.path.startswith(path)] == []


def test_no_cloudformation_validation_findings_at_synth(built: Built) -> None:
    assert [str(f) for f in synth_findings(built.app)] == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_cfn_lint_is_clean(built: Built, variant: str) -> None:
    assert cfn_lint(built.templates[variant], config_file=CFN_LINT_CONFIG) == []


def _ours(built: Built, variant: str) -> list[tuple[str, str]]:
    db = built.dbs[variant]
    return [
        (a.rule_id, a.path.removeprefix(db.node.path + "/"))
        for a in acknowledgements(db)
        if not a.rule_id.startswith("CloudFormation-Validate::")  # aws-cdk-lib's own, on its constructs
    ]


def test_default_props_acknowledge_only_the_two_structural_wildcards(built: Built) -> None:
    assert _ours(built, "default") == [
        (
            "AwsSolutions-IAM5[Resource::arn:aws:logs:us-east-1:111111111111:log-group:RDSOSMetrics:log-stream:*]",
            "MonitoringPolicy",
        ),
        (
            "AwsSolutions-IAM5[Resource::arn:aws:rds:us-east-1:111111111111:snapshot:awsbackup:job-*]",
            "BackupPolicy",
        ),
    ]


def test_opt_outs_are_acknowledged_on_the_instance_naming_the_prop(built: Built) -> None:
    acked = [a for a in acknowledgements(built.dbs["dev"]) if "/Db/Instance" in a.path]
    rules = {a.rule_id for a in acked}
    assert {"AwsSolutions-RDS3", "PCI.DSS.321-RDSMultiAZSupport", "HIPAA.Security-RDSInBackupPlan"} <= rules
    assert all("multi_az=False" in a.reason or "aws_backup=False" in a.reason for a in acked)


# --- engine and sizing ------------------------------------------------------------------------


def test_engine_pinned_to_a_supported_minor_with_automatic_minor_upgrades(default: dict[str, Any]) -> None:
    props = _instance(default)["Properties"]
    assert props["Engine"] == "postgres"
    assert props["EngineVersion"] == "17.9"
    assert props["AutoMinorVersionUpgrade"] is True
    assert props["AllowMajorVersionUpgrade"] is False


def test_extended_support_is_never_enabled_silently(default: dict[str, Any]) -> None:
    assert (
        _instance(default)["Properties"]["EngineLifecycleSupport"]
        == "open-source-rds-extended-support-disabled"
    )


def test_graviton_multi_az_gp3_with_storage_autoscaling(default: dict[str, Any]) -> None:
    props = _instance(default)["Properties"]
    assert props["DBInstanceClass"] == "db.t4g.medium"
    assert props["MultiAZ"] is True
    assert props["StorageType"] == "gp3"
    assert props["AllocatedStorage"] == "20"
    assert props["MaxAllocatedStorage"] == 100


def test_not_publicly_accessible_and_on_a_non_default_port(default: dict[str, Any]) -> None:
    props = _instance(default)["Properties"]
    assert props["PubliclyAccessible"] is False
    assert props["Port"] == "5433"


# --- encryption -------------------------------------------------------------------------------


def test_customer_managed_key_with_rotation(default: dict[str, Any]) -> None:
    keys = resources_of(default, "AWS::KMS::Key")
    db_keys = {k: v for k, v in keys.items() if k.startswith("DbKey")}
    assert len(db_keys) == 1
    assert next(iter(db_keys.values()))["Properties"]["EnableKeyRotation"] is True


def test_storage_performance_insights_and_secret_use_the_key(default: dict[str, Any]) -> None:
    key_ref = {"Fn::GetAtt": [Match.string_like_regexp("^DbKey"), "Arn"]}
    Template.from_json(default).has_resource_properties(
        "AWS::RDS::DBInstance",
        {
            "StorageEncrypted": True,
            "KmsKeyId": key_ref,
            "EnablePerformanceInsights": True,
            "PerformanceInsightsKMSKeyId": key_ref,
        },
    )
    Template.from_json(default).has_resource_properties("AWS::SecretsManager::Secret", {"KmsKeyId": key_ref})


def test_tls_is_forced_and_slow_queries_are_logged(default: dict[str, Any]) -> None:
    params = only(default, "AWS::RDS::DBParameterGroup")[1]["Properties"]["Parameters"]
    assert params["rds.force_ssl"] == "1"
    assert params["log_min_duration_statement"] == "1000"
    assert params["password_encryption"] == "scram-sha-256"


def test_log_exports_go_to_encrypted_log_groups_with_retention(default: dict[str, Any]) -> None:
    props = _instance(default)["Properties"]
    assert props["EnableCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    identifier = props["DBInstanceIdentifier"]
    groups = {
        v["Properties"]["LogGroupName"]: v for v in resources_of(default, "AWS::Logs::LogGroup").values()
    }
    for log_type in ("postgresql", "upgrade"):
        group = groups[f"/aws/rds/instance/{identifier}/{log_type}"]
        assert group["Properties"]["RetentionInDays"] == 365
        assert "KmsKeyId" in group["Properties"]


def test_log_groups_exist_before_the_instance(default: dict[str, Any]) -> None:
    _, instance = only(default, "AWS::RDS::DBInstance")
    depends = instance.get("DependsOn", [])
    assert any(d.startswith("DbLogsPostgresql") for d in depends)
    assert any(d.startswith("DbLogsUpgrade") for d in depends)


def test_enhanced_monitoring_every_60_seconds_without_aws_managed_policy(default: dict[str, Any]) -> None:
    props = _instance(default)["Properties"]
    assert props["MonitoringInterval"] == 60
    roles = resources_of(default, "AWS::IAM::Role")
    monitoring = next(v for k, v in roles.items() if k.startswith("DbMonitoringRole"))
    assert "ManagedPolicyArns" not in monitoring["Properties"]
    assert "Policies" not in monitoring["Properties"]


def _monitoring_policy(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (k, v)
        for k, v in resources_of(template, "AWS::IAM::ManagedPolicy").items()
        if k.startswith("DbMonitoringPolicy")
    ]
    return found


def test_monitoring_policy_names_this_regions_rdsosmetrics_group_and_no_instance(
    default: dict[str, Any],
) -> None:
    """RDS checks the role when it creates the instance: the policy cannot wait for the instance's
    DbiResourceId, so it names the RDSOSMetrics group of this account and region, and its streams."""
    _, policy = _monitoring_policy(default)
    group = "arn:aws:logs:us-east-1:111111111111:log-group:RDSOSMetrics"
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert [(s["Effect"], sorted(s["Action"]), s["Resource"]) for s in statements] == [
        ("Allow", ["logs:CreateLogGroup", "logs:DescribeLogStreams", "logs:PutRetentionPolicy"], group),
        (
            "Allow",
            ["logs:CreateLogStream", "logs:GetLogEvents", "logs:PutLogEvents"],
            f"{group}:log-stream:*",
        ),
    ]
    monitoring_role = next(
        k for k in resources_of(default, "AWS::IAM::Role") if k.startswith("DbMonitoringRole")
    )
    assert policy["Properties"]["Roles"] == [{"Ref": monitoring_role}]
    instance_id, _ = only(default, "AWS::RDS::DBInstance")
    assert instance_id not in json.dumps(policy), "the policy must not wait for the instance"


@pytest.mark.parametrize("variant", ["default", "serverless"])
def test_every_monitored_database_waits_for_the_monitoring_policy(built: Built, variant: str) -> None:
    template = built.templates[variant]
    policy_id, _ = _monitoring_policy(template)
    monitored = {
        k: v
        for k, v in resources_of(template, "AWS::RDS::DBInstance").items()
        if "MonitoringRoleArn" in v["Properties"]
    }
    assert len(monitored) == (1 if variant == "default" else 2)
    for logical_id, instance in monitored.items():
        assert policy_id in instance.get("DependsOn", []), logical_id


def test_monitoring_stream_wildcard_is_acknowledged_on_the_policy_alone(built: Built) -> None:
    acked = [a for a in acknowledgements(built.dbs["default"]) if "RDSOSMetrics" in a.rule_id]
    assert [(a.rule_id, a.path) for a in acked] == [
        (
            "AwsSolutions-IAM5[Resource::arn:aws:logs:us-east-1:111111111111:log-group:RDSOSMetrics:log-stream:*]",
            "DbDefault/Db/MonitoringPolicy",
        )
    ]
    assert "DbiResourceId" in acked[0].reason and "at create" in acked[0].reason


# --- backups and lifecycle --------------------------------------------------------------------


def test_backups_deletion_protection_and_snapshot_on_removal(default: dict[str, Any]) -> None:
    _, instance = only(default, "AWS::RDS::DBInstance")
    props = instance["Properties"]
    assert props["BackupRetentionPeriod"] == 7
    assert props["DeletionProtection"] is True
    assert props["CopyTagsToSnapshot"] is True
    assert props["DeleteAutomatedBackups"] is False
    assert instance["DeletionPolicy"] == "Snapshot"
    assert instance["UpdateReplacePolicy"] == "Snapshot"


def test_aws_backup_plan_covers_the_instance(default: dict[str, Any]) -> None:
    _, selection = only(default, "AWS::Backup::BackupSelection")
    resources = selection["Properties"]["BackupSelection"]["Resources"]
    assert any("DbInstance" in str(r) for r in resources)
    _, vault = only(default, "AWS::Backup::BackupVault")
    assert "EncryptionKeyArn" in vault["Properties"]


def test_aws_backup_role_has_no_aws_managed_policy(default: dict[str, Any]) -> None:
    roles = resources_of(default, "AWS::IAM::Role")
    role = next(v for k, v in roles.items() if k.startswith("DbBackupRole"))
    assert "ManagedPolicyArns" not in role["Properties"]


# --- network ----------------------------------------------------------------------------------


def test_lives_in_isolated_subnets(default: dict[str, Any]) -> None:
    _, group = only(default, "AWS::RDS::DBSubnetGroup")
    refs = {r["Ref"] for r in group["Properties"]["SubnetIds"]}
    assert refs and all(r.startswith("Vpcisolated") for r in refs)


def test_security_group_has_no_ingress_of_its_own_and_no_egress(built: Built) -> None:
    template = built.templates["serverless"]
    sg_id = next(
        k for k in resources_of(template, "AWS::EC2::SecurityGroup") if k.startswith("DbSecurityGroup")
    )
    sg = template["Resources"][sg_id]["Properties"]
    assert "SecurityGroupIngress" not in sg
    assert sg["SecurityGroupEgress"][0]["CidrIp"] == "255.255.255.255/32"  # CDK's "no egress" marker


def _ingress_to_db(template: dict[str, Any]) -> list[dict[str, Any]]:
    sg_id = next(
        k for k in resources_of(template, "AWS::EC2::SecurityGroup") if k.startswith("DbSecurityGroup")
    )
    return [
        r["Properties"]
        for r in resources_of(template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [sg_id, "GroupId"]}
    ]


def test_allow_from_opens_only_the_database_port_from_security_groups(default: dict[str, Any]) -> None:
    rules = _ingress_to_db(default)
    assert rules, "allow_from and the rotation function should have added rules"
    for rule in rules:
        assert (rule["FromPort"], rule["ToPort"], rule["IpProtocol"]) == (5433, 5433, "tcp")
        assert "SourceSecurityGroupId" in rule
        assert "CidrIp" not in rule
    sources = {str(r["SourceSecurityGroupId"]) for r in rules}
    assert any("AppSg" in s for s in sources)


def test_nothing_in_any_variant_opens_ingress_to_the_world(built: Built) -> None:
    for template in built.templates.values():
        for rule in resources_of(template, "AWS::EC2::SecurityGroupIngress").values():
            assert rule["Properties"].get("CidrIp") != "0.0.0.0/0"
        for sg in resources_of(template, "AWS::EC2::SecurityGroup").values():
            for rule in sg["Properties"].get("SecurityGroupIngress", []):
                assert rule.get("CidrIp") != "0.0.0.0/0"


# --- credentials ------------------------------------------------------------------------------


def test_generated_secret_is_rotated_every_30_days(default: dict[str, Any]) -> None:
    _, schedule = only(default, "AWS::SecretsManager::RotationSchedule")
    assert schedule["Properties"]["RotationRules"]["ScheduleExpression"] == "rate(30 days)"


def test_rotation_in_a_vpc_with_nat_runs_in_private_subnets(default: dict[str, Any]) -> None:
    assert resources_of(default, "AWS::EC2::VPCEndpoint") == {}
    _, app = only(default, "AWS::Serverless::Application")
    subnets = app["Properties"]["Parameters"]["vpcSubnetIds"]
    assert "Vpcprivate" in str(subnets)


def test_rotation_in_an_isolated_vpc_gets_a_secrets_manager_endpoint(built: Built) -> None:
    template = built.templates["isolated"]
    _, endpoint = only(template, "AWS::EC2::VPCEndpoint")
    assert "secretsmanager" in str(endpoint["Properties"]["ServiceName"])
    assert endpoint["Properties"]["PrivateDnsEnabled"] is True
    _, app = only(template, "AWS::Serverless::Application")
    assert "endpoint" in str(app["Properties"]["Parameters"]).lower()


def test_iam_authentication_and_grant_connect(default: dict[str, Any]) -> None:
    assert _instance(default)["Properties"]["EnableIAMDatabaseAuthentication"] is True
    policies = [
        v
        for v in resources_of(default, "AWS::IAM::Policy").values()
        if "AppRole" in str(v["Properties"]["Roles"])
    ]
    statement = policies[0]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Action"] == "rds-db:connect"
    assert "app_user" in str(statement["Resource"])


# --- alarms -----------------------------------------------------------------------------------


def test_alarms_on_cpu_storage_memory_and_connections_to_an_encrypted_topic(default: dict[str, Any]) -> None:
    alarms = {
        v["Properties"]["MetricName"]: v["Properties"]
        for v in resources_of(default, "AWS::CloudWatch::Alarm").values()
    }
    assert set(alarms) == {"CPUUtilization", "FreeStorageSpace", "FreeableMemory", "DatabaseConnections"}
    topic_id, topic = only(default, "AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic["Properties"]
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
    assert alarms["FreeStorageSpace"]["Threshold"] == 20 * 1024**3 * 0.1
    assert alarms["DatabaseConnections"]["Threshold"] == 360  # 80% of 4 GiB / 9531392


# --- variants ---------------------------------------------------------------------------------


def test_serverless_v2_cluster_with_writer_and_scaling_reader(built: Built) -> None:
    template = built.templates["serverless"]
    _, cluster = only(template, "AWS::RDS::DBCluster")
    props = cluster["Properties"]
    assert props["Engine"] == "aurora-postgresql"
    assert props["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.5, "MaxCapacity": 8}
    assert props["StorageEncrypted"] is True
    assert props["DeletionProtection"] is True
    assert props["EnableIAMDatabaseAuthentication"] is True
    assert props["EngineLifecycleSupport"] == "open-source-rds-extended-support-disabled"
    assert cluster["DeletionPolicy"] == "Snapshot"
    instances = resources_of(template, "AWS::RDS::DBInstance")
    assert len(instances) == 2
    assert all(i["Properties"]["DBInstanceClass"] == "db.serverless" for i in instances.values())


def test_proxy_requires_tls_reads_the_secret_and_is_the_only_way_in(built: Built) -> None:
    template = built.templates["proxy"]
    _, proxy = only(template, "AWS::RDS::DBProxy")
    assert proxy["Properties"]["RequireTLS"] is True
    # Clients sign in with the secret's password, as without a proxy (proxy_iam_auth=False).
    assert proxy["Properties"]["Auth"][0]["IAMAuth"] == "DISABLED"
    assert proxy["Properties"]["Auth"][0]["AuthScheme"] == "SECRETS"
    rules = _ingress_to_db(template)
    assert all(r["FromPort"] == 5433 for r in rules)
    assert any("DbProxySecurityGroup" in str(r["SourceSecurityGroupId"]) for r in rules)
    db = built.dbs["proxy"]
    assert db.connections.default_port is not None
    assert db.connections.default_port.to_string() == "5432"
    assert (db.endpoint_port, db.port, db.iam_auth_required) == (5432, 5433, False)


def test_proxy_iam_auth_requires_iam_tokens() -> None:
    stack = new_test_stack()
    db = PostgresDatabase(stack, "Db", vpc=egress_vpc(stack), proxy=True, proxy_iam_auth=True)
    _, proxy = only(template_of(stack), "AWS::RDS::DBProxy")
    assert [a["IAMAuth"] for a in proxy["Properties"]["Auth"]] == ["REQUIRED"]
    assert (db.endpoint_port, db.iam_auth_required) == (5432, True)


def test_dev_profile_is_single_az_and_says_so(built: Built) -> None:
    template = built.templates["dev"]
    instance = _instance(template)
    assert instance["Properties"]["MultiAZ"] is False
    assert resources_of(template, "AWS::Backup::BackupPlan") == {}


# --- public attributes and logical IDs --------------------------------------------------------


def test_attributes_are_exposed(built: Built) -> None:
    db = built.dbs["default"]
    assert db.instance is not None and db.cluster is None
    assert db.port == 5433
    assert db.database_name == "app"
    assert db.secret is not None and db.kms_key is not None
    assert len(db.alarms) == 4
    assert db.connections.default_port is not None and db.connections.default_port.to_string() == "5433"


def test_stateful_logical_ids_do_not_change(built: Built) -> None:
    # Renaming any of these replaces the database, its key or its secret: a breaking change.
    ids = logical_ids(built.templates["default"])
    assert {k: v for k, v in ids.items() if k.startswith("Db")} == {
        "DbAlarmTopicF131FA13": "AWS::SNS::Topic",
        "DbBackupVault5D094E6F": "AWS::Backup::BackupVault",
        # aws-cdk-lib derives the generated secret's ID from the stack and construct names.
        "DbDefaultDbInstanceSecretF3CB59B53fdaad7efa858a3daf9490cf0a702aeb": "AWS::SecretsManager::Secret",
        "DbInstanceD710EDDF": "AWS::RDS::DBInstance",
        "DbInstanceSubnetGroupD2385C7C": "AWS::RDS::DBSubnetGroup",
        "DbKey15491AC0": "AWS::KMS::Key",
        "DbLogsPostgresql7AA17CB2": "AWS::Logs::LogGroup",
        "DbLogsUpgradeEE37970D": "AWS::Logs::LogGroup",
        "DbParameters8822AC2B": "AWS::RDS::DBParameterGroup",
    }


# --- validation -------------------------------------------------------------------------------


def _build(**kwargs: Any) -> PostgresDatabase:
    app = App()
    stack = Stack(app, "V")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    return PostgresDatabase(stack, "Db", vpc=vpc, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"backup_retention": Duration.days(40)},
            r"backup_retention=40 days: must be a whole number of days from 1 to 35",
        ),
        ({"backup_retention": Duration.hours(36)}, r"backup_retention=.*whole number of days"),
        (
            {"max_allocated_storage_gib": 10, "allocated_storage_gib": 50},
            r"max_allocated_storage_gib=10: is below allocated_storage_gib=50",
        ),
        ({"allocated_storage_gib": -5}, r"allocated_storage_gib=-5: gp3 storage is a whole number of GiB"),
        ({"allocated_storage_gib": 20.5}, r"allocated_storage_gib=20.5"),
        (
            {"engine_version": rds.PostgresEngineVersion.of("17.99", "17")},
            r"engine_version='17.99': aws-cdk-lib does not know",
        ),
        (
            {"engine_version": rds.PostgresEngineVersion.VER_12_22},
            r"engine_version='12.22': PostgreSQL 12 left RDS standard support",
        ),
        ({"engine_version": rds.PostgresEngineVersion.VER_17}, r"engine_version='17': a major version alone"),
        (
            {"instance_class": "db.t2.micro"},
            r"instance_class='db.t2.micro': RDS PostgreSQL does not offer the t2 family",
        ),
        ({"instance_class": "db.t4g.huge"}, r"instance_class='db.t4g.huge': the t4g family comes in"),
        ({"instance_class": "t4g.medium"}, r"instance_class='t4g.medium': expected an RDS instance class"),
        (
            {"serverless_v2": ServerlessV2Capacity(min_acu=8, max_acu=2)},
            r"min_acu \(8\) is above max_acu \(2\)",
        ),
        (
            {"serverless_v2": ServerlessV2Capacity(min_acu=0.25, max_acu=2)},
            r"serverless_v2.min_acu=0.25: .*0.5 to 256.0 ACU",
        ),
        ({"serverless_v2": ServerlessV2Capacity(min_acu=1, max_acu=300)}, r"serverless_v2.max_acu=300"),
        ({"serverless_v2": ServerlessV2Capacity(min_acu=1, max_acu=2.3)}, r"steps of 0.5"),
        ({"port": 80}, r"port=80: RDS accepts ports 1150 to 65535"),
        ({"database_name": "1-bad"}, r"database_name='1-bad'"),
        ({"rotation_interval": Duration.days(0)}, r"rotation_interval"),
        ({"proxy_iam_auth": True}, r"proxy_iam_auth=True: applies to the RDS Proxy, and proxy is False"),
    ],
)
def test_bad_props_raise_validation_error_naming_prop_value_and_fix(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        _build(**kwargs)
    assert "Fix:" in str(err.value)
    assert err.value.path == "V/Db"


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ValidationError) as err:
        _build(
            backup_retention=Duration.days(0), instance_class="db.x1.nope", allocated_storage_gib=5, port=1
        )
    assert len(err.value.problems) == 4
    assert {re.match(r"\w+", p).group(0) for p in err.value.problems} == {
        "backup_retention",
        "instance_class",
        "allocated_storage_gib",
        "port",
    }


def test_validation_error_is_a_value_error() -> None:
    assert issubclass(ValidationError, ValueError)
