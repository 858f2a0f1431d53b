"""One test per promise of SecureFargateApi (issue 3). Each configuration is synthesized once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs

from cdk_casemgmt.errors import ValidationError
from cdk_casemgmt.network import NatGateways
from cdk_casemgmt.secure_fargate_api import ApiIngress, SecureFargateApi
from cdk_casemgmt.testing import new_test_app, new_test_stack, template_of
from tests._fargate_support import APP_DIR, Built, build, certificate, ingress_rules


@pytest.fixture(scope="module")
def private() -> Built:
    """Only an image, plus a database and a migration command (the reference app's shape)."""
    return build(ApiIngress.PRIVATE, database=True, migration_command=["python", "-m", "app.migrate"])


@pytest.fixture(scope="module")
def public() -> Built:
    return build(ApiIngress.PUBLIC)


@pytest.fixture(scope="module")
def cloudfront() -> Built:
    return build(ApiIngress.CLOUDFRONT)


@pytest.fixture(scope="module")
def options() -> Built:
    """The opt-in features together: x86 with a Spot share, request-count scaling, ECS Exec, SES,
    plain configuration, no NAT gateway."""
    return build(
        ApiIngress.PRIVATE,
        cpu_architecture=ecs.CpuArchitecture.X86_64,
        spot_share_percent=50,
        requests_per_target=500,
        enable_execute_command=True,
        ses_identity="arn:aws:ses:us-east-1:111111111111:identity/example.com",
        environment={"LOG_LEVEL": "info"},
        nat_gateways=NatGateways.NONE,
        min_tasks=3,
        max_tasks=6,
        desired_count=3,
    )


def props(built: Built, type_: str) -> dict[str, Any]:
    return built.one(type_)


def app_container(built: Built) -> dict[str, Any]:
    containers = props(built, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    return next(c for c in containers if c["Name"] == "app")


# ---------------------------------------------------------------------------------------- network


def test_new_vpc_spans_two_azs_with_public_private_isolated_subnets(private: Built) -> None:
    subnets = private.resources("AWS::EC2::Subnet").values()
    azs = {json.dumps(s["Properties"]["AvailabilityZone"]) for s in subnets}
    kinds = {
        t["Value"] for s in subnets for t in s["Properties"]["Tags"] if t["Key"] == "aws-cdk:subnet-type"
    }
    assert len(azs) == 2
    assert kinds == {"Public", "Private", "Isolated"}


def test_flow_logs_go_to_a_kms_encrypted_group_with_retention(private: Built) -> None:
    flow = props(private, "AWS::EC2::FlowLog")
    group_id = flow["LogGroupName"]["Ref"]
    group = private.template["Resources"][group_id]["Properties"]
    assert flow["TrafficType"] == "ALL"
    assert "KmsKeyId" in group and group["RetentionInDays"] == 365


def test_default_security_group_is_closed(private: Built) -> None:
    assert private.resources("Custom::VpcRestrictDefaultSG")


def test_no_nat_runs_tasks_in_public_subnets_with_public_ips_reachable_only_from_the_alb(
    options: Built,
) -> None:
    assert not options.resources("AWS::EC2::NatGateway")
    network = props(options, "AWS::ECS::Service")["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "ENABLED"
    assert all("Public" in s["Ref"] for s in network["Subnets"])
    task_group = network["SecurityGroups"][0]["Fn::GetAtt"][0]
    into_tasks = [r for r in ingress_rules(options.template) if task_group in r["_group"]]
    assert [r["SourceSecurityGroupId"]["Fn::GetAtt"][0] for r in into_tasks] == [
        "ApiLoadBalancerSecurityGroup0EC682A9"
    ]


# ---------------------------------------------------------------------------------------- cluster


def test_cluster_has_container_insights(private: Built) -> None:
    settings = props(private, "AWS::ECS::Cluster")["ClusterSettings"]
    assert {"Name": "containerInsights", "Value": "enabled"} in settings


def test_existing_cluster_is_used() -> None:
    stack = new_test_stack()
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"])
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    api = SecureFargateApi(stack, "Api", image=APP_DIR, cluster=cluster)
    assert api.cluster is cluster and api.vpc is vpc
    clusters = [r for r in template_of(stack)["Resources"].values() if r["Type"] == "AWS::ECS::Cluster"]
    assert len(clusters) == 1


# ---------------------------------------------------------------------------------------- task


def test_task_is_arm64_with_the_requested_size(private: Built) -> None:
    task = props(private, "AWS::ECS::TaskDefinition")
    assert task["RuntimePlatform"] == {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}
    assert (task["Cpu"], task["Memory"]) == ("512", "1024")


@pytest.mark.parametrize(
    ("architecture", "platform"),
    [(ecs.CpuArchitecture.ARM64, "linux/arm64"), (ecs.CpuArchitecture.X86_64, "linux/amd64")],
)
def test_image_from_a_directory_is_built_for_the_task_architecture(
    architecture: ecs.CpuArchitecture, platform: str
) -> None:
    app = new_test_app()
    stack = new_test_stack(app)
    SecureFargateApi(stack, "Api", image=APP_DIR, cpu_architecture=architecture)
    manifest = json.loads((Path(app.synth().directory) / "Test.assets.json").read_text())
    images = list(manifest["dockerImages"].values())
    assert [i["source"]["platform"] for i in images] == [platform]


def test_containers_run_non_root_with_read_only_root_and_writable_tmp(private: Built) -> None:
    for container in props(private, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]:
        assert container["User"] == "1000:1000"
        assert container["ReadonlyRootFilesystem"] is True
        assert container["MountPoints"] == [
            {"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "tmp"}
        ]
        assert container["LinuxParameters"]["InitProcessEnabled"] is True
    assert props(private, "AWS::ECS::TaskDefinition")["Volumes"] == [{"Name": "tmp"}]
    # The container contract: the image declares /tmp with VOLUME, writable for the user.
    (task,) = private.resources("AWS::ECS::TaskDefinition").values()
    assert task["Metadata"]["cdk_casemgmt:imageVolumes"] == ["/tmp"]


def _task(**kwargs: Any) -> dict[str, Any]:
    stack = new_test_stack()
    SecureFargateApi(stack, "Api", image=APP_DIR, migration_command=["migrate"], **kwargs)
    (task,) = [r for r in template_of(stack)["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"]
    return task


def test_each_writable_path_is_a_volume_mounted_in_every_container_and_stated_as_the_images() -> None:
    task = _task(writable_paths=["/tmp", "/var/cache/app"])
    assert task["Properties"]["Volumes"] == [{"Name": "tmp"}, {"Name": "var-cache-app"}]
    for container in task["Properties"]["ContainerDefinitions"]:
        assert container["MountPoints"] == [
            {"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "tmp"},
            {"ContainerPath": "/var/cache/app", "ReadOnly": False, "SourceVolume": "var-cache-app"},
        ], container["Name"]
    assert task["Metadata"]["cdk_casemgmt:imageVolumes"] == ["/tmp", "/var/cache/app"]


def test_no_writable_path_leaves_the_containers_fully_read_only() -> None:
    task = _task(writable_paths=())
    assert "Volumes" not in task["Properties"] or task["Properties"]["Volumes"] == []
    for container in task["Properties"]["ContainerDefinitions"]:
        assert container["ReadonlyRootFilesystem"] is True
        assert not container.get("MountPoints")
    assert "cdk_casemgmt:imageVolumes" not in task.get("Metadata", {})


def test_stop_timeout_outlasts_the_deregistration_delay(private: Built) -> None:
    tg = props(private, "AWS::ElasticLoadBalancingV2::TargetGroup")
    delay = {a["Key"]: a["Value"] for a in tg["TargetGroupAttributes"]}[
        "deregistration_delay.timeout_seconds"
    ]
    assert (int(delay), app_container(private)["StopTimeout"]) == (30, 45)


def test_logs_are_non_blocking_to_a_kms_group_with_retention(private: Built) -> None:
    options = app_container(private)["LogConfiguration"]["Options"]
    group = private.template["Resources"][options["awslogs-group"]["Ref"]]["Properties"]
    assert options["mode"] == "non-blocking"
    assert "KmsKeyId" in group and group["RetentionInDays"] == 365


def test_secrets_go_through_ecs_secret_not_environment() -> None:
    from aws_cdk import aws_ssm as ssm

    stack = new_test_stack()
    param = ssm.StringParameter.from_secure_string_parameter_attributes(
        stack, "P", parameter_name="/app/token"
    )
    SecureFargateApi(stack, "Api", image=APP_DIR, secrets={"API_TOKEN": ecs.Secret.from_ssm_parameter(param)})
    container = next(
        c
        for r in template_of(stack)["Resources"].values()
        if r["Type"] == "AWS::ECS::TaskDefinition"
        for c in r["Properties"]["ContainerDefinitions"]
    )
    assert [s["Name"] for s in container["Secrets"]] == ["API_TOKEN"]
    assert "Environment" not in container


def test_migration_container_runs_first_and_the_app_waits_for_its_success(private: Built) -> None:
    containers = {c["Name"]: c for c in props(private, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]}
    assert containers["migrate"]["Essential"] is False
    assert containers["migrate"]["Command"] == ["python", "-m", "app.migrate"]
    assert containers["app"]["DependsOn"] == [{"Condition": "SUCCESS", "ContainerName": "migrate"}]


# ---------------------------------------------------------------------------------------- load balancer


def test_private_mode_has_an_internal_alb_open_only_to_the_vpc(private: Built) -> None:
    assert props(private, "AWS::ElasticLoadBalancingV2::LoadBalancer")["Scheme"] == "internal"
    alb_rules = [r for r in ingress_rules(private.template) if "LoadBalancerSecurityGroup" in r["_group"]]
    assert [(r.get("CidrIp"), r["FromPort"]) for r in alb_rules] == [("10.0.0.0/16", 80)]


def test_public_mode_is_internet_facing_https_with_tls13_and_a_redirect(public: Built) -> None:
    assert props(public, "AWS::ElasticLoadBalancingV2::LoadBalancer")["Scheme"] == "internet-facing"
    listeners = {
        listener["Port"]: listener
        for listener in (
            r["Properties"] for r in public.resources("AWS::ElasticLoadBalancingV2::Listener").values()
        )
    }
    assert listeners[443]["Protocol"] == "HTTPS"
    assert listeners[443]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listeners[80]["DefaultActions"][0]["RedirectConfig"] == {
        "Port": "443",
        "Protocol": "HTTPS",
        "StatusCode": "HTTP_301",
    }
    assert public.api.url == "https://app.example.com"
    assert public.api.domain_name == "app.example.com"  # CdnFrontend's name for the HTTPS VPC origin
    assert public.resources("AWS::CertificateManager::Certificate")
    assert public.resources("AWS::Route53::RecordSet")


def test_no_open_ingress_except_the_public_listener_ports(
    private: Built, public: Built, cloudfront: Built
) -> None:
    for built in (private, cloudfront):
        assert [r for r in ingress_rules(built.template) if r.get("CidrIp") == "0.0.0.0/0"] == []
    open_rules = [r for r in ingress_rules(public.template) if r.get("CidrIp") == "0.0.0.0/0"]
    assert sorted(r["FromPort"] for r in open_rules) == [80, 443]
    assert all("LoadBalancerSecurityGroup" in r["_group"] for r in open_rules)


def test_cloudfront_mode_admits_only_the_origin_facing_prefix_list(cloudfront: Built) -> None:
    alb_rules = [r for r in ingress_rules(cloudfront.template) if "LoadBalancerSecurityGroup" in r["_group"]]
    assert alb_rules == [
        {
            "Description": "CloudFront origin-facing servers only",
            "FromPort": 80,
            "ToPort": 80,
            "IpProtocol": "tcp",
            "GroupId": alb_rules[0]["GroupId"],
            "SourcePrefixListId": {"Fn::FindInMap": ["CloudFrontOriginFacingPrefixList", "us-east-1", "id"]},
            "_group": alb_rules[0]["_group"],
        }
    ]
    mapping = cloudfront.template["Mappings"]["CloudFrontOriginFacingPrefixList"]
    assert mapping["us-east-1"] == {"id": "pl-3b927c52"}
    assert cloudfront.api.ingress is ApiIngress.CLOUDFRONT
    assert props(cloudfront, "AWS::ElasticLoadBalancingV2::LoadBalancer")["Scheme"] == "internal"


def test_enable_cloudfront_ingress_is_idempotent() -> None:
    stack = new_test_stack()
    api = SecureFargateApi(stack, "Api", image=APP_DIR, certificate=certificate(stack))
    api.enable_cloudfront_ingress()
    api.enable_cloudfront_ingress()
    rules = [
        r
        for r in template_of(stack)["Resources"].values()
        if r["Type"] == "AWS::EC2::SecurityGroupIngress" and "SourcePrefixListId" in r["Properties"]
    ]
    assert [r["Properties"]["FromPort"] for r in rules] == [443]


def test_enable_cloudfront_ingress_refuses_a_public_api(public: Built) -> None:
    with pytest.raises(ValidationError, match=r"ingress=.*PUBLIC.*Fix: create the SecureFargateApi with"):
        public.api.enable_cloudfront_ingress()


def test_alb_drops_invalid_headers_uses_strictest_desync_and_logs_access(private: Built) -> None:
    attributes = {
        a["Key"]: a["Value"]
        for a in props(private, "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancerAttributes"]
    }
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["routing.http.desync_mitigation_mode"] == "strictest"
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["deletion_protection.enabled"] == "true"


def test_access_log_bucket_is_sse_s3_ssl_only_private_with_lifecycle(private: Built) -> None:
    bucket = props(private, "AWS::S3::Bucket")
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 365
    policy = json.dumps(props(private, "AWS::S3::BucketPolicy"))
    assert '"aws:SecureTransport": "false"' in policy


def test_regional_waf_with_managed_groups_rate_limit_and_logging(private: Built) -> None:
    acl = props(private, "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "REGIONAL"
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in acl["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert managed == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesSQLiRuleSet",
    }
    rate = next(r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"])
    assert rate["Statement"]["RateBasedStatement"]["Limit"] == 1000 and "Block" in rate["Action"]
    assert rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert private.resources("AWS::WAFv2::WebACLAssociation")
    destination = json.dumps(props(private, "AWS::WAFv2::LoggingConfiguration")["LogDestinationConfigs"])
    assert "log-group:aws-waf-logs-" in destination


def managed_groups(acl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]: r["Statement"]["ManagedRuleGroupStatement"]
        for r in acl["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    }


@pytest.mark.parametrize("mode", ["private", "public", "cloudfront"])
def test_regional_waf_counts_bodies_over_8_kb_instead_of_blocking_them(
    mode: str, request: pytest.FixtureRequest
) -> None:
    """The app enforces its own body limit; the core rule set's 8 KB limit would reject its requests."""
    built: Built = request.getfixturevalue(mode)
    common = managed_groups(props(built, "AWS::WAFv2::WebACL"))["AWSManagedRulesCommonRuleSet"]
    assert common["RuleActionOverrides"] == [{"ActionToUse": {"Count": {}}, "Name": "SizeRestrictions_BODY"}]


@pytest.mark.parametrize("mode", ["private", "public", "cloudfront"])
def test_regional_waf_logs_leave_out_tokens_and_cookies(mode: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(mode)
    logging = props(built, "AWS::WAFv2::LoggingConfiguration")
    assert logging["RedactedFields"] == [
        {"SingleHeader": {"Name": "authorization"}},
        {"SingleHeader": {"Name": "cookie"}},
    ]


def test_behind_cloudfront_the_regional_waf_has_no_rule_on_the_source_ip(cloudfront: Built) -> None:
    """The ALB sees CloudFront's addresses: no rate limit per IP and no IP reputation list there (the
    distribution's web ACL applies both to viewers); the rules that read the request itself stay."""
    acl = props(cloudfront, "AWS::WAFv2::WebACL")
    assert set(managed_groups(acl)) == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
    }
    assert [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]] == []
    assert sorted(r["Priority"] for r in acl["Rules"]) == [0, 1, 2]


def test_public_mode_keeps_the_rules_on_the_source_ip(public: Built) -> None:
    acl = props(public, "AWS::WAFv2::WebACL")
    assert "AWSManagedRulesAmazonIpReputationList" in managed_groups(acl)
    (rate,) = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"


def test_cloudfront_ingress_from_the_start_gets_the_same_web_acl_as_the_switch(cloudfront: Built) -> None:
    stack = new_test_stack()
    SecureFargateApi(stack, "Api", image=APP_DIR, ingress=ApiIngress.CLOUDFRONT)
    resources = template_of(stack)["Resources"].values()
    (acl,) = [r["Properties"] for r in resources if r["Type"] == "AWS::WAFv2::WebACL"]
    assert acl["Rules"] == props(cloudfront, "AWS::WAFv2::WebACL")["Rules"]


def test_target_group_health_check(private: Built) -> None:
    tg = props(private, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert (tg["HealthCheckPath"], tg["HealthyThresholdCount"], tg["UnhealthyThresholdCount"]) == (
        "/health",
        2,
        3,
    )
    assert props(private, "AWS::ECS::Service")["HealthCheckGracePeriodSeconds"] == 60


# ---------------------------------------------------------------------------------------- deployment


def test_deployments_keep_full_capacity_and_roll_back(private: Built) -> None:
    config = props(private, "AWS::ECS::Service")["DeploymentConfiguration"]
    assert (config["MinimumHealthyPercent"], config["MaximumPercent"]) == (100, 200)
    assert config["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}


def test_alarm_rollback_on_5xx_and_p99_without_a_dependency_cycle(private: Built) -> None:
    alarms = props(private, "AWS::ECS::Service")["DeploymentConfiguration"]["Alarms"]
    names = [a["Ref"] for a in alarms["AlarmNames"]]
    assert alarms["Enable"] is True and alarms["Rollback"] is True
    metrics = {n: private.template["Resources"][n]["Properties"] for n in names}
    assert {m["MetricName"] for m in metrics.values()} == {"HTTPCode_Target_5XX_Count", "TargetResponseTime"}
    # No ServiceName dimension, so the alarms never depend on the service that depends on them.
    for m in metrics.values():
        assert "ServiceName" not in json.dumps(m["Dimensions"])


def test_spot_share_splits_capacity_providers(options: Built) -> None:
    strategy = props(options, "AWS::ECS::Service")["CapacityProviderStrategy"]
    assert strategy == [
        {"Base": 1, "CapacityProvider": "FARGATE", "Weight": 50},
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 50},
    ]


# ---------------------------------------------------------------------------------------- scaling


def test_autoscaling_tracks_cpu_and_memory_between_min_and_max(private: Built) -> None:
    target = props(private, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 4)
    policies = [
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        for p in private.resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    ]
    tracked = {p["PredefinedMetricSpecification"]["PredefinedMetricType"]: p["TargetValue"] for p in policies}
    assert tracked == {"ECSServiceAverageCPUUtilization": 70, "ECSServiceAverageMemoryUtilization": 80}


def test_desired_count_is_left_to_autoscaling(private: Built) -> None:
    assert "DesiredCount" not in props(private, "AWS::ECS::Service")


def test_requests_per_target_adds_request_count_tracking(options: Built) -> None:
    policies = [
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        for p in options.resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    ]
    request = [
        p
        for p in policies
        if p["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ALBRequestCountPerTarget"
    ]
    assert [p["TargetValue"] for p in request] == [500]
    assert props(options, "AWS::ECS::Service")["DesiredCount"] == 3


# ---------------------------------------------------------------------------------------- alarms


def test_alarms_notify_an_encrypted_topic_and_a_dashboard_exists(private: Built) -> None:
    alarms = {
        k: v for k, v in private.resources("AWS::CloudWatch::Alarm").items() if k.startswith("ApiAlarms")
    }
    topic_id = Stack.of(private.stack).resolve(private.api.alarm_topic.topic_arn)["Ref"]
    assert "KmsMasterKeyId" in private.template["Resources"][topic_id]["Properties"]
    assert len(alarms) == len(private.api.alarms) == 8
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    names = {a["Properties"].get("MetricName") for a in alarms.values()}
    assert {
        "HTTPCode_Target_5XX_Count",
        "HTTPCode_ELB_5XX_Count",
        "TargetResponseTime",
        "UnHealthyHostCount",
        "RejectedConnectionCount",
        "CPUUtilization",
        "MemoryUtilization",
    } <= names
    assert private.resources("AWS::CloudWatch::Dashboard")


def test_given_alarm_topic_is_used() -> None:
    from aws_cdk import aws_sns as sns

    stack = new_test_stack()
    topic = sns.Topic.from_topic_arn(stack, "T", "arn:aws:sns:us-east-1:111111111111:ops")
    api = SecureFargateApi(stack, "Api", image=APP_DIR, alarm_topic=topic)
    assert api.alarm_topic is topic
    resources = template_of(stack)["Resources"].values()
    assert not [r for r in resources if r["Type"] == "AWS::SNS::Topic"]


# ---------------------------------------------------------------------------------------- ECS Exec, IAM


def test_ecs_exec_is_off_by_default(private: Built) -> None:
    assert props(private, "AWS::ECS::Service")["EnableExecuteCommand"] is False
    assert "Configuration" not in props(private, "AWS::ECS::Cluster")


def test_ecs_exec_when_on_is_kms_encrypted_and_logged(options: Built) -> None:
    config = props(options, "AWS::ECS::Cluster")["Configuration"]["ExecuteCommandConfiguration"]
    assert "KmsKeyId" in config and config["Logging"] == "OVERRIDE"
    assert config["LogConfiguration"]["CloudWatchEncryptionEnabled"] is True
    assert props(options, "AWS::ECS::Service")["EnableExecuteCommand"] is True


def test_roles_have_no_inline_policies_and_no_avoidable_wildcards(private: Built) -> None:
    assert not private.resources("AWS::IAM::Policy")
    for policy in private.resources("AWS::IAM::ManagedPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Resource"] == "*":
                assert statement["Action"] == "ecr:GetAuthorizationToken"


def test_ses_permission_is_scoped_to_the_identity(options: Built) -> None:
    statements = [
        s
        for p in options.resources("AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "ses:SendEmail" in s["Action"]
    ]
    assert [s["Resource"] for s in statements] == ["arn:aws:ses:us-east-1:111111111111:identity/example.com"]


# ---------------------------------------------------------------------------------------- database


def test_database_port_is_open_only_from_the_service_group(private: Built) -> None:
    resolved = Stack.of(private.stack).resolve
    db_group = json.dumps(resolved(private.db.security_group.security_group_id))
    rules = [r for r in ingress_rules(private.template) if r["_group"] == db_group]
    # The database's own rotation function is PostgresDatabase's business; every other rule is ours.
    rules = [r for r in rules if not r["SourceSecurityGroupId"]["Fn::GetAtt"][0].startswith("DbRotation")]
    assert [(r["FromPort"], r["ToPort"], r["SourceSecurityGroupId"]) for r in rules] == [
        (5433, 5433, resolved(private.api.security_group.security_group_id))
    ]


def test_database_coordinates_are_plain_config_and_the_task_role_reads_only_that_secret(
    private: Built,
) -> None:
    env = {e["Name"]: e["Value"] for e in app_container(private)["Environment"]}
    resolved = Stack.of(private.stack).resolve
    assert env == {
        "DB_HOST": resolved(private.db.endpoint_address),
        "DB_PORT": "5433",
        "DB_NAME": "app",
        "DB_SECRET_ARN": resolved(private.db.secret.secret_arn),
        "DB_AUTH": "password",
    }
    task_policy = next(
        p for k, p in private.resources("AWS::IAM::ManagedPolicy").items() if k.startswith("ApiTaskRole")
    )
    assert task_policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            "Effect": "Allow",
            "Resource": resolved(private.db.secret.secret_arn),
        }
    ]
    key_policy = json.dumps(private.template["Resources"][resolved(private.db.kms_key.key_id)["Ref"]])
    assert "ApiTaskRole" in key_policy and "kms:Decrypt" in key_policy


def test_iam_database_auth_grants_connect_as_the_user() -> None:
    from cdk_casemgmt.postgres_database import PostgresDatabase

    stack = new_test_stack()
    api = SecureFargateApi(stack, "Api", image=APP_DIR)
    db = PostgresDatabase(stack, "Db", vpc=api.vpc)
    api.connect(db, iam_database_user="app_user")
    api.connect(db)  # a second call changes nothing
    template = template_of(stack)
    task_policy = next(r for k, r in template["Resources"].items() if k.startswith("ApiTaskRolePolicy"))
    connect = [
        s for s in task_policy["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "rds-db:connect"
    ]
    assert len(connect) == 1 and "app_user" in json.dumps(connect[0]["Resource"])
    assert json.dumps(template).count('"DB_IAM_USER"') == 1
    (task,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"]
    env = {e["Name"]: e["Value"] for e in task["Properties"]["ContainerDefinitions"][0]["Environment"]}
    assert (env["DB_AUTH"], env["DB_IAM_USER"], env["DB_PORT"]) == ("iam", "app_user", "5433")


def test_database_env_prefix_names_the_variables_the_app_reads() -> None:
    """An app reading API_* settings (the reference API) gets API_DB_HOST... in every container."""
    from cdk_casemgmt.postgres_database import PostgresDatabase

    stack = new_test_stack()
    api = SecureFargateApi(
        stack, "Api", image=APP_DIR, database_env_prefix="API_", migration_command=["migrate"]
    )
    db = PostgresDatabase(stack, "Db", vpc=api.vpc)
    api.connect(db, iam_database_user="app_user")
    with pytest.raises(ValidationError, match=r"env_prefix='api': not an environment variable prefix"):
        api.connect(PostgresDatabase(stack, "Other", vpc=api.vpc), env_prefix="api")
    template = template_of(stack)
    (task,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"]
    for container in task["Properties"]["ContainerDefinitions"]:
        names = sorted(e["Name"] for e in container["Environment"])
        assert names == [
            "API_DB_AUTH",
            "API_DB_HOST",
            "API_DB_IAM_USER",
            "API_DB_NAME",
            "API_DB_PORT",
            "API_DB_SECRET_ARN",
        ], container["Name"]


# ---------------------------------------------------------------------------------------- durations


def test_stop_timeout_is_derived_from_a_custom_deregistration_delay() -> None:
    stack = new_test_stack()
    SecureFargateApi(stack, "Api", image=APP_DIR, deregistration_delay=Duration.seconds(60))
    task = next(
        r for r in template_of(stack)["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"
    )
    assert task["Properties"]["ContainerDefinitions"][0]["StopTimeout"] == 75


# ------------------------------------------------------------------------------ CdnFrontend contract


@pytest.mark.parametrize("with_certificate", [False, True], ids=["http-only", "https"])
def test_internal_alb_works_as_a_cloudfront_vpc_origin(with_certificate: bool) -> None:
    """What CdnFrontend(api=...) does: switch to CLOUDFRONT, then a VpcOrigin on the internal ALB."""
    from aws_cdk import aws_cloudfront as cloudfront
    from aws_cdk import aws_cloudfront_origins as origins

    stack = new_test_stack()
    api = SecureFargateApi(
        stack, "Api", image=APP_DIR, certificate=certificate(stack) if with_certificate else None
    )
    api.enable_cloudfront_ingress()
    policy = (
        cloudfront.OriginProtocolPolicy.HTTPS_ONLY
        if api.certificate is not None
        else cloudfront.OriginProtocolPolicy.HTTP_ONLY
    )
    origin = origins.VpcOrigin.with_application_load_balancer(api.load_balancer, protocol_policy=policy)
    cloudfront.Distribution(stack, "Cdn", default_behavior=cloudfront.BehaviorOptions(origin=origin))
    template = template_of(stack)
    vpc_origin = next(r for r in template["Resources"].values() if r["Type"] == "AWS::CloudFront::VpcOrigin")
    config = vpc_origin["Properties"]["VpcOriginEndpointConfig"]
    assert config["Arn"] == Stack.of(stack).resolve(api.load_balancer.load_balancer_arn)
    assert config["OriginProtocolPolicy"] == ("https-only" if with_certificate else "http-only")
    assert api.listener_port == (443 if with_certificate else 80)


def test_synthesizes_in_an_app_without_the_recommended_feature_flags() -> None:
    """A user's older app: the access-log bucket must still log through a policy, not an ACL."""
    from aws_cdk import App

    from cdk_casemgmt.testing import test_env

    app = App()
    stack = Stack(app, "Legacy", env=test_env())
    SecureFargateApi(stack, "Api", image=APP_DIR)
    buckets = [r for r in template_of(stack)["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
    assert [b["Properties"].get("AccessControl") for b in buckets] == [None]


def test_opt_ins_stay_compliant(options: Built) -> None:
    """ECS Exec, Spot, SES, plain configuration and the no-NAT profile add only acknowledged findings."""
    from cdk_casemgmt.testing import compliance_findings

    assert compliance_findings(options.stack) == []
    subnets = props(options, "AWS::ElasticLoadBalancingV2::LoadBalancer")["Subnets"]
    assert all("Isolated" in s["Ref"] for s in subnets)  # no private subnets: the internal ALB sits here


@pytest.mark.parametrize(
    "variant", ["deletion_protection_off", "given_vpc", "public_certificate_no_redirect"]
)
def test_named_opt_outs_and_a_given_vpc_stay_compliant(variant: str) -> None:
    from cdk_casemgmt.testing import compliance_findings
    from tests.helpers import egress_vpc

    stack = new_test_stack()
    kwargs: dict[str, Any] = {
        "deletion_protection_off": {"deletion_protection": False},
        "given_vpc": {"vpc": egress_vpc(stack) if variant == "given_vpc" else None},
        "public_certificate_no_redirect": {
            "ingress": ApiIngress.PUBLIC,
            "certificate": certificate(stack),
            "redirect_http": False,
        },
    }[variant]
    api = SecureFargateApi(stack, "Api", image=APP_DIR, **kwargs)
    assert template_of(stack)["Resources"]
    assert compliance_findings(api) == []


def test_build_output_and_dependencies_stay_out_of_the_image_hash(tmp_path: Path) -> None:
    """cdk.out, node_modules and .venv next to the Dockerfile change neither the image nor its hash."""
    import shutil

    def image_hash(directory: Path) -> str:
        app = new_test_app()
        stack = new_test_stack(app)
        SecureFargateApi(stack, "Api", image=str(directory))
        manifest = json.loads((Path(app.synth().directory) / "Test.assets.json").read_text())
        return next(iter(manifest["dockerImages"]))

    clean = tmp_path / "clean"
    shutil.copytree(APP_DIR, clean)
    noisy = tmp_path / "noisy"
    shutil.copytree(APP_DIR, noisy)
    for junk in ("cdk.out/manifest.json", "node_modules/x/index.js", ".venv/bin/python"):
        (noisy / junk).parent.mkdir(parents=True, exist_ok=True)
        (noisy / junk).write_text("junk")
    assert image_hash(clean) == image_hash(noisy)


def test_task_subnets_place_tasks_for_example_in_isolated_subnets() -> None:
    """A VPC without NAT that reaches AWS APIs through endpoints: tasks in isolated subnets, no public IP."""
    from aws_cdk import aws_ec2 as ec2

    from tests.helpers import isolated_vpc

    stack = new_test_stack()
    vpc = isolated_vpc(stack)
    SecureFargateApi(
        stack,
        "Api",
        image=APP_DIR,
        vpc=vpc,
        task_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
    )
    service = next(r for r in template_of(stack)["Resources"].values() if r["Type"] == "AWS::ECS::Service")
    network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    assert all("isolated" in s["Ref"] for s in network["Subnets"])
