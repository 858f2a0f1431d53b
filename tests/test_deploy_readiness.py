"""DeployReadinessChecks: for each rule, stacks built from plain aws-cdk-lib constructs that break it and
that pass it (like cdk-nag's own rule tests), then the pack as a whole.

Expectations name the resource a rule must flag; "passes" means the rule reports nothing anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aws_cdk import App, CfnMapping, Duration, Environment, RemovalPolicy, Stack, Validations
from aws_cdk import aws_backup as backup
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from constructs import IConstruct

from cdk_casemgmt import DeployReadinessChecks, acknowledge
from cdk_casemgmt.deploy_readiness import IMAGE_VOLUMES_METADATA, RULES
from cdk_casemgmt.deploy_readiness.retention import NAME_PROPERTIES
from cdk_casemgmt.secure_fargate_api import CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS
from tests.conftest import ROOT

US_EAST_1 = Environment(account="111111111111", region="us-east-1")
# us-east-1's com.amazonaws.global.cloudfront.origin-facing (AWS publishes it per region).
CLOUDFRONT_PREFIX_LIST_US_EAST_1 = "pl-3b927c52"


def new_stack(env: Environment | None = US_EAST_1) -> Stack:
    return Stack(App(), "Test", env=env)


def flagged(stack: Stack, rule_id: str) -> list[str]:
    """Paths of the resources the pack flags for ``DeployReadiness-<rule_id>``."""
    report = DeployReadinessChecks().validate_scope(stack.node.root)
    for violation in report.violations:
        assert "threw an error" not in violation.description, violation.rule_name
    return sorted(
        resource.construct_path
        for violation in report.violations
        if violation.rule_name == f"DeployReadiness-{rule_id}"
        for resource in violation.violating_resources
    )


def path(construct: IConstruct) -> str:
    """The path of the CloudFormation resource a construct stands for (itself, or its default child)."""
    return str((construct.node.default_child or construct).node.path)


def alarm(
    stack: Stack, id: str, metric: cloudwatch.IMetric, topic: sns.ITopic | None = None
) -> cloudwatch.Alarm:
    created = cloudwatch.Alarm(stack, id, metric=metric, threshold=1, evaluation_periods=1)
    if topic is not None:
        created.add_alarm_action(cw_actions.SnsAction(topic))
    return created


def any_metric() -> cloudwatch.Metric:
    return cloudwatch.Metric(namespace="App", metric_name="Errors")


# -------------------------------------------------------------------------------- AlarmTopicPolicy


def test_alarm_topic_policy_flags_a_topic_whose_policy_only_denies_non_tls() -> None:
    stack = new_stack()
    topic = sns.Topic(stack, "Topic", enforce_ssl=True)  # its TopicPolicy holds only the TLS deny
    flagged_alarm = alarm(stack, "Alarm", any_metric(), topic)
    assert flagged(stack, "AlarmTopicPolicy") == [path(flagged_alarm)]


def test_alarm_topic_policy_flags_ok_actions_too() -> None:
    stack = new_stack()
    topic = sns.Topic(stack, "Topic", enforce_ssl=True)
    created = alarm(stack, "Alarm", any_metric())
    created.add_ok_action(cw_actions.SnsAction(topic))
    assert flagged(stack, "AlarmTopicPolicy") == [path(created)]


def test_alarm_topic_policy_passes_when_cloudwatch_may_publish() -> None:
    stack = new_stack()
    topic = sns.Topic(stack, "Topic", enforce_ssl=True)
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            actions=["sns:Publish"],
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            resources=[topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
        )
    )
    alarm(stack, "Alarm", any_metric(), topic)
    assert flagged(stack, "AlarmTopicPolicy") == []


def test_alarm_topic_policy_passes_a_topic_with_sns_default_policy() -> None:
    stack = new_stack()
    alarm(stack, "Alarm", any_metric(), sns.Topic(stack, "Topic"))
    assert flagged(stack, "AlarmTopicPolicy") == []


# ----------------------------------------------------------------------------------- AlarmTopicKey


def test_alarm_topic_key_flags_a_key_cloudwatch_may_not_use() -> None:
    stack = new_stack()
    topic = sns.Topic(stack, "Topic", master_key=kms.Key(stack, "Key"))
    flagged_alarm = alarm(stack, "Alarm", any_metric(), topic)
    assert flagged(stack, "AlarmTopicKey") == [path(flagged_alarm)]


def test_alarm_topic_key_flags_the_aws_managed_sns_key() -> None:
    stack = new_stack()
    topic = sns.Topic(stack, "Topic", master_key=kms.Alias.from_alias_name(stack, "Managed", "alias/aws/sns"))
    flagged_alarm = alarm(stack, "Alarm", any_metric(), topic)
    assert flagged(stack, "AlarmTopicKey") == [path(flagged_alarm)]


def test_alarm_topic_key_passes_a_key_that_admits_cloudwatch() -> None:
    stack = new_stack()
    key = kms.Key(stack, "Key")
    key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
    alarm(stack, "Alarm", any_metric(), sns.Topic(stack, "Topic", master_key=key))
    assert flagged(stack, "AlarmTopicKey") == []


# -------------------------------------------------------------------------- CloudFrontMetricRegion


def distribution(stack: Stack) -> cloudfront.Distribution:
    return cloudfront.Distribution(
        stack,
        "Distribution",
        default_behavior=cloudfront.BehaviorOptions(origin=origins.HttpOrigin("example.com")),
    )


def test_cloudfront_metric_region_flags_aws_cdk_libs_own_distribution_metric() -> None:
    stack = new_stack()
    flagged_alarm = alarm(stack, "Alarm", distribution(stack).metric5xx_error_rate())
    assert flagged(stack, "CloudFrontMetricRegion") == [path(flagged_alarm)]


def cloudfront_metric(dist: cloudfront.Distribution) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/CloudFront",
        metric_name="5xxErrorRate",
        dimensions_map={"DistributionId": dist.distribution_id, "Region": "Global"},
        period=Duration.minutes(5),
    )


def test_cloudfront_metric_region_passes_region_global_in_us_east_1() -> None:
    stack = new_stack()
    alarm(stack, "Alarm", cloudfront_metric(distribution(stack)))
    assert flagged(stack, "CloudFrontMetricRegion") == []


def test_cloudfront_metric_region_flags_an_alarm_outside_us_east_1() -> None:
    stack = new_stack(Environment(account="111111111111", region="eu-west-1"))
    flagged_alarm = alarm(stack, "Alarm", cloudfront_metric(distribution(stack)))
    assert flagged(stack, "CloudFrontMetricRegion") == [path(flagged_alarm)]


def test_cloudfront_metric_region_reads_metric_math() -> None:
    stack = new_stack()
    dist = distribution(stack)
    expression = cloudwatch.MathExpression(
        expression="a + b",
        using_metrics={"a": dist.metric4xx_error_rate(), "b": cloudfront_metric(dist)},
        period=Duration.minutes(5),
    )
    flagged_alarm = alarm(stack, "Alarm", expression)
    assert flagged(stack, "CloudFrontMetricRegion") == [path(flagged_alarm)]


# --------------------------------------------------------------------------- WAF behind CloudFront


def web_acl(
    stack: Stack, rules: list[wafv2.CfnWebACL.RuleProperty], scope: str = "REGIONAL"
) -> wafv2.CfnWebACL:
    return wafv2.CfnWebACL(
        stack,
        "WebAcl",
        scope=scope,
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=visibility("WebAcl"),
        rules=rules,
    )


def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def rate_rule(aggregate: str) -> wafv2.CfnWebACL.RuleProperty:
    forwarded = (
        wafv2.CfnWebACL.ForwardedIPConfigurationProperty(
            header_name="X-Forwarded-For", fallback_behavior="MATCH"
        )
        if aggregate == "FORWARDED_IP"
        else None
    )
    return wafv2.CfnWebACL.RuleProperty(
        name="RateLimit",
        priority=0,
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                aggregate_key_type=aggregate, limit=1000, forwarded_ip_config=forwarded
            )
        ),
        visibility_config=visibility("RateLimit"),
    )


def managed_rule(name: str, priority: int = 1, **group: object) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=name, **group
            )
        ),
        visibility_config=visibility(name),
    )


def protected_alb(stack: Stack, acl: wafv2.CfnWebACL) -> elbv2.ApplicationLoadBalancer:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc, internet_facing=False)
    wafv2.CfnWebACLAssociation(
        stack, "Association", resource_arn=alb.load_balancer_arn, web_acl_arn=acl.attr_arn
    )
    return alb


def behind_vpc_origin(stack: Stack, alb: elbv2.ApplicationLoadBalancer) -> None:
    cloudfront.Distribution(
        stack,
        "Distribution",
        default_behavior=cloudfront.BehaviorOptions(
            origin=origins.VpcOrigin.with_application_load_balancer(
                alb, protocol_policy=cloudfront.OriginProtocolPolicy.HTTP_ONLY
            )
        ),
    )


def test_waf_ip_rate_rule_is_flagged_on_a_load_balancer_behind_a_vpc_origin() -> None:
    stack = new_stack()
    acl = web_acl(stack, [rate_rule("IP")])
    behind_vpc_origin(stack, protected_alb(stack, acl))
    assert flagged(stack, "WAFSourceIPBehindCloudFront") == [acl.node.path]


def test_waf_forwarded_ip_rate_rule_passes_behind_cloudfront() -> None:
    stack = new_stack()
    acl = web_acl(stack, [rate_rule("FORWARDED_IP")])
    behind_vpc_origin(stack, protected_alb(stack, acl))
    assert flagged(stack, "WAFSourceIPBehindCloudFront") == []


def test_waf_ip_reputation_list_is_flagged_behind_a_cloudfront_only_security_group() -> None:
    stack = new_stack()
    acl = web_acl(stack, [managed_rule("AWSManagedRulesAmazonIpReputationList")])
    alb = protected_alb(stack, acl)
    alb.connections.allow_from(ec2.Peer.prefix_list(CLOUDFRONT_PREFIX_LIST_US_EAST_1), ec2.Port.tcp(80))
    assert flagged(stack, "WAFSourceIPBehindCloudFront") == [acl.node.path]


def test_waf_recognises_cloudfronts_prefix_list_looked_up_in_a_per_region_mapping() -> None:
    stack = new_stack()
    acl = web_acl(stack, [rate_rule("IP")])
    alb = protected_alb(stack, acl)
    # What a template without context lookups does: the published table as a CfnMapping keyed by region.
    mapping = CfnMapping(
        stack,
        "PrefixLists",
        mapping={r: {"id": pl} for r, pl in CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS.items()},
    )
    alb.connections.allow_from(
        ec2.Peer.prefix_list(mapping.find_in_map(stack.region, "id")), ec2.Port.tcp(80)
    )
    assert flagged(stack, "WAFSourceIPBehindCloudFront") == [acl.node.path]


def test_waf_ip_rate_rule_passes_on_a_load_balancer_clients_reach_directly() -> None:
    stack = new_stack()
    acl = web_acl(stack, [rate_rule("IP")])
    protected_alb(stack, acl).connections.allow_from(ec2.Peer.ipv4("10.0.0.0/8"), ec2.Port.tcp(80))
    assert flagged(stack, "WAFSourceIPBehindCloudFront") == []


# -------------------------------------------------------------------------- WAFBodySizeRestriction


def test_waf_common_rule_set_without_body_override_is_a_warning() -> None:
    stack = new_stack()
    acl = web_acl(stack, [managed_rule("AWSManagedRulesCommonRuleSet")])
    assert flagged(stack, "WAFBodySizeRestriction") == [acl.node.path]
    report = DeployReadinessChecks().validate_scope(stack.node.root)
    assert {v.severity for v in report.violations if v.rule_name.endswith("WAFBodySizeRestriction")} == {
        "warning"
    }


def test_waf_common_rule_set_with_body_rule_counted_passes() -> None:
    stack = new_stack()
    override = wafv2.CfnWebACL.RuleActionOverrideProperty(
        name="SizeRestrictions_BODY", action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
    )
    web_acl(stack, [managed_rule("AWSManagedRulesCommonRuleSet", rule_action_overrides=[override])])
    assert flagged(stack, "WAFBodySizeRestriction") == []


# --------------------------------------------------------------------------------- WAFLogRedaction


def waf_logging(stack: Stack, *headers: str) -> wafv2.CfnLoggingConfiguration:
    acl = web_acl(stack, [])
    return wafv2.CfnLoggingConfiguration(
        stack,
        "Logging",
        resource_arn=acl.attr_arn,
        log_destination_configs=["arn:aws:logs:us-east-1:111111111111:log-group:aws-waf-logs-test"],
        redacted_fields=[
            wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": h}) for h in headers
        ]
        or None,
    )


def test_waf_log_redaction_flags_logs_that_keep_every_header() -> None:
    stack = new_stack()
    logging = waf_logging(stack)
    assert flagged(stack, "WAFLogRedaction") == [logging.node.path]


def test_waf_log_redaction_flags_logs_that_keep_the_cookie() -> None:
    stack = new_stack()
    logging = waf_logging(stack, "authorization")
    assert flagged(stack, "WAFLogRedaction") == [logging.node.path]


def test_waf_log_redaction_passes_authorization_and_cookie_redacted() -> None:
    stack = new_stack()
    waf_logging(stack, "Authorization", "cookie")  # header names are case-insensitive
    assert flagged(stack, "WAFLogRedaction") == []


# --------------------------------------------------------------------------- RetainedNamedResource


def test_retained_named_log_group_and_backup_vault_are_flagged() -> None:
    stack = new_stack()
    group = logs.LogGroup(stack, "Logs", log_group_name="/app/fixed", removal_policy=RemovalPolicy.RETAIN)
    vault = backup.BackupVault(stack, "Vault", removal_policy=RemovalPolicy.RETAIN)  # name generated, fixed
    bucket = s3.Bucket(stack, "Bucket", bucket_name="fixed-bucket-name", removal_policy=RemovalPolicy.RETAIN)
    assert flagged(stack, "RetainedNamedResource") == sorted([path(group), path(vault), path(bucket)])


def test_retain_except_on_create_or_a_generated_name_passes() -> None:
    stack = new_stack()
    logs.LogGroup(
        stack, "Named", log_group_name="/app/fixed", removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
    )
    logs.LogGroup(stack, "Unnamed", removal_policy=RemovalPolicy.RETAIN)
    logs.LogGroup(stack, "Deleted", log_group_name="/app/deleted", removal_policy=RemovalPolicy.DESTROY)
    assert flagged(stack, "RetainedNamedResource") == []


# ----------------------------------------------------------------------- RDSMonitoringRoleAtCreate


def db_instance(stack: Stack, role: iam.IRole) -> rds.CfnDBInstance:
    return rds.CfnDBInstance(
        stack,
        "Db",
        db_instance_class="db.t4g.micro",
        engine="postgres",
        allocated_storage="20",
        master_username="postgres",
        manage_master_user_password=True,
        monitoring_interval=60,
        monitoring_role_arn=role.role_arn,
    )


def monitoring_role(stack: Stack, **props: object) -> iam.Role:
    return iam.Role(
        stack, "MonitoringRole", assumed_by=iam.ServicePrincipal("monitoring.rds.amazonaws.com"), **props
    )


def test_monitoring_role_whose_only_policy_names_the_instance_is_flagged() -> None:
    stack = new_stack()
    role = monitoring_role(stack)
    db = db_instance(stack, role)
    iam.ManagedPolicy(
        stack,
        "Own",
        roles=[role],
        statements=[
            iam.PolicyStatement(
                actions=["logs:PutLogEvents"],
                resources=[
                    f"arn:aws:logs:us-east-1:111111111111:log-group:RDSOSMetrics:log-stream:{db.attr_dbi_resource_id}"
                ],
            )
        ],
    )
    assert flagged(stack, "RDSMonitoringRoleAtCreate") == [db.node.path]


def test_monitoring_role_with_a_policy_attached_in_parallel_is_flagged() -> None:
    stack = new_stack()
    role = monitoring_role(stack)
    db = db_instance(stack, role)
    iam.ManagedPolicy(  # names no instance, but nothing makes CloudFormation attach it before the instance
        stack,
        "Later",
        roles=[role],
        statements=[iam.PolicyStatement(actions=["logs:PutLogEvents"], resources=["*"])],
    )
    assert flagged(stack, "RDSMonitoringRoleAtCreate") == [db.node.path]


def test_monitoring_role_with_the_aws_managed_policy_passes() -> None:
    stack = new_stack()
    managed = iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonRDSEnhancedMonitoringRole")
    db_instance(stack, monitoring_role(stack, managed_policies=[managed]))
    assert flagged(stack, "RDSMonitoringRoleAtCreate") == []


def test_monitoring_role_with_a_policy_the_instance_waits_for_passes() -> None:
    stack = new_stack()
    role = monitoring_role(stack)
    db = db_instance(stack, role)
    policy = iam.ManagedPolicy(
        stack,
        "First",
        roles=[role],
        statements=[iam.PolicyStatement(actions=["logs:PutLogEvents"], resources=["*"])],
    )
    db.node.add_dependency(policy)
    assert flagged(stack, "RDSMonitoringRoleAtCreate") == []


def test_aws_cdk_libs_own_database_instance_monitoring_passes() -> None:
    stack = new_stack()
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    rds.DatabaseInstance(
        stack,
        "Db",
        engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_17),
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        monitoring_interval=Duration.seconds(60),
    )
    assert flagged(stack, "RDSMonitoringRoleAtCreate") == []


# --------------------------------------------------------------------------------------- RDS Proxy


class ProxyStack:
    """A PostgreSQL instance on 5433, an RDS Proxy in front of it and a Fargate task that uses it."""

    def __init__(self, *, iam_auth: bool, port: str, grant: bool = False) -> None:
        self.stack = new_stack()
        vpc = ec2.Vpc(self.stack, "Vpc", max_azs=2, nat_gateways=0)
        instance = rds.DatabaseInstance(
            self.stack,
            "Db",
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_17),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            port=5433,
        )
        self.proxy_group = ec2.SecurityGroup(self.stack, "ProxyGroup", vpc=vpc)
        self.proxy = rds.DatabaseProxy(
            self.stack,
            "Proxy",
            proxy_target=rds.ProxyTarget.from_instance(instance),
            secrets=[instance.secret or secretsmanager.Secret(self.stack, "Unused")],
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            security_groups=[self.proxy_group],
            iam_auth=iam_auth,
        )
        self.task = ecs.FargateTaskDefinition(self.stack, "Task")
        self.task.add_container(
            "app",
            image=ecs.ContainerImage.from_registry("public.ecr.aws/example/app:1"),
            environment={"DB_HOST": self.proxy.endpoint, "DB_PORT": port},
        )
        if grant:
            self.proxy.grant_connect(self.task.task_role, "app")
        self.client_group = ec2.SecurityGroup(self.stack, "ClientGroup", vpc=vpc)


def test_proxy_port_flags_a_client_told_the_databases_port() -> None:
    built = ProxyStack(iam_auth=False, port="5433")
    assert flagged(built.stack, "RDSProxyPort") == [path(built.task)]


def test_proxy_port_passes_a_client_told_the_proxys_port() -> None:
    built = ProxyStack(iam_auth=False, port="5432")
    assert flagged(built.stack, "RDSProxyPort") == []


def test_proxy_port_flags_a_security_group_rule_on_the_databases_port() -> None:
    built = ProxyStack(iam_auth=False, port="5432")
    built.proxy_group.add_ingress_rule(built.client_group, ec2.Port.tcp(5433), "clients")
    found = flagged(built.stack, "RDSProxyPort")
    assert len(found) == 1 and found[0].startswith(built.proxy_group.node.path + "/")


def test_proxy_port_passes_a_security_group_rule_on_the_proxys_port() -> None:
    built = ProxyStack(iam_auth=False, port="5432")
    built.proxy_group.add_ingress_rule(built.client_group, ec2.Port.tcp(5432), "clients")
    built.client_group.add_egress_rule(built.proxy_group, ec2.Port.tcp(5432), "to the proxy")
    assert flagged(built.stack, "RDSProxyPort") == []


def test_proxy_iam_auth_flags_a_client_that_cannot_make_tokens() -> None:
    built = ProxyStack(iam_auth=True, port="5432")
    assert flagged(built.stack, "RDSProxyIAMAuth") == [path(built.task)]


def test_proxy_iam_auth_passes_a_client_allowed_to_connect() -> None:
    built = ProxyStack(iam_auth=True, port="5432", grant=True)
    assert flagged(built.stack, "RDSProxyIAMAuth") == []


def test_proxy_iam_auth_does_not_apply_without_iam_auth() -> None:
    built = ProxyStack(iam_auth=False, port="5432")
    assert flagged(built.stack, "RDSProxyIAMAuth") == []


# ---------------------------------------------------------------------------- ECSBindMountWritable


def task_with_tmp(stack: Stack, *, user: str, read_only_root: bool = True) -> ecs.FargateTaskDefinition:
    task = ecs.FargateTaskDefinition(stack, "Task", volumes=[ecs.Volume(name="tmp")])
    container = task.add_container(
        "app",
        image=ecs.ContainerImage.from_registry("public.ecr.aws/example/app:1"),
        user=user,
        readonly_root_filesystem=read_only_root,
    )
    container.add_mount_points(ecs.MountPoint(source_volume="tmp", container_path="/tmp", read_only=False))
    return task


@pytest.mark.parametrize(
    ("stated", "is_flagged"),
    [
        pytest.param(None, True, id="nothing-stated"),
        pytest.param(["/tmp"], False, id="the-mounted-path-stated"),
        pytest.param(["/var/cache/app"], True, id="another-path-stated"),
    ],
)
def test_bind_mount_for_a_non_root_user_on_a_read_only_root_is_a_warning_unless_the_image_declares_it(
    stated: list[str] | None, is_flagged: bool
) -> None:
    """The task states in its metadata which volumes its image declares; a mount at any other path is
    flagged."""
    stack = new_stack()
    task = task_with_tmp(stack, user="10001:10001")
    if stated is not None:
        cast_task = task.node.default_child
        assert isinstance(cast_task, ecs.CfnTaskDefinition)
        cast_task.add_metadata(IMAGE_VOLUMES_METADATA, stated)
    assert flagged(stack, "ECSBindMountWritable") == ([path(task)] if is_flagged else [])


def test_bind_mount_for_root_or_with_a_writable_root_passes() -> None:
    stack = new_stack()
    task_with_tmp(stack, user="0")
    task_with_tmp(Stack(stack.node.root, "Other", env=US_EAST_1), user="10001", read_only_root=False)
    assert flagged(stack, "ECSBindMountWritable") == []


# ---------------------------------------------------------------------------------------- the pack


def test_the_pack_runs_on_a_stack_of_plain_constructs_and_finds_nothing_there() -> None:
    stack = new_stack()
    topic = sns.Topic(stack, "Topic")
    alarm(stack, "Alarm", any_metric(), topic)
    s3.Bucket(stack, "Bucket")
    logs.LogGroup(stack, "Logs", retention=logs.RetentionDays.ONE_MONTH)
    report = DeployReadinessChecks().validate_scope(stack.node.root)
    assert report.success and list(report.violations) == []


def test_an_acknowledged_finding_is_not_reported() -> None:
    stack = new_stack()
    flagged_alarm = alarm(stack, "Alarm", any_metric(), sns.Topic(stack, "Topic", enforce_ssl=True))
    acknowledge(flagged_alarm, "DeployReadiness-AlarmTopicPolicy", "the topic is only for a manual test")
    assert flagged(stack, "AlarmTopicPolicy") == []


def test_registered_as_a_plugin_it_fails_synth_and_names_the_rule() -> None:
    stack = new_stack()
    alarm(stack, "Alarm", any_metric(), sns.Topic(stack, "Topic", enforce_ssl=True))
    Validations.of(stack.node.root).add_plugins(DeployReadinessChecks())
    with pytest.raises(Exception, match="DeployReadiness-AlarmTopicPolicy"):
        app = App.of(stack)
        assert app is not None
        app.synth()


def test_verbose_findings_carry_the_explanation_and_its_documentation() -> None:
    stack = new_stack()
    alarm(stack, "Alarm", any_metric(), sns.Topic(stack, "Topic", enforce_ssl=True))
    (violation,) = DeployReadinessChecks(verbose=True).validate_scope(stack.node.root).violations
    (rule,) = [r for r in RULES if violation.rule_name == f"DeployReadiness-{r.id}"]
    assert rule.documentation in violation.description


def test_every_rule_cites_aws_documentation_and_the_docs_table_lists_it() -> None:
    page = (ROOT / "docs" / "deploy-readiness.md").read_text()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `DeployReadiness-(\w+)` \|.*$", page, re.M)}
    assert sorted(rows) == sorted(r.id for r in RULES)
    for rule in RULES:
        assert re.match(r"https://(docs\.aws\.amazon\.com|repost\.aws)/", rule.documentation), rule.id
        assert rule.documentation in rows[rule.id], rule.id
        assert rule.level.name.lower().replace("warn", "warning") in rows[rule.id].lower(), rule.id


def test_the_docs_list_every_name_property_the_retention_rule_reads() -> None:
    page = (ROOT / "docs" / "deploy-readiness.md").read_text()
    listed = page.split("Name properties read by `RetainedNamedResource`", 1)[1].split("##", 1)[0]
    for type_, name in NAME_PROPERTIES.items():
        assert f"`{name}`" in listed and type_.split("::")[-1] in listed, type_


def test_mkdocs_lists_the_page() -> None:
    assert "deploy-readiness.md" in Path(ROOT / "mkdocs.yml").read_text()
