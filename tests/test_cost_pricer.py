"""The pricer on hand-written templates: each priced line equals a hand computation from the price file."""

from __future__ import annotations

from typing import Any

import pytest

from cdk_casemgmt.cost import UsageProfile, estimate_template, load_prices, load_template
from cdk_casemgmt.errors import ValidationError

US = load_prices("us-east-1")
H = 730


def p(key: str, region: str = "us-east-1") -> float:
    return load_prices(region).prices[key].usd


def tpl(**resources: Any) -> dict[str, Any]:
    return {"Resources": resources}


def res(rtype: str, **props: Any) -> dict[str, Any]:
    return {"Type": rtype, "Properties": props}


def task_def(cpu: str = "512", memory: str = "1024", **extra: Any) -> dict[str, Any]:
    return res(
        "AWS::ECS::TaskDefinition", Cpu=cpu, Memory=memory, RequiresCompatibilities=["FARGATE"], **extra
    )


def fargate_service(**props: Any) -> dict[str, Any]:
    return res("AWS::ECS::Service", TaskDefinition={"Ref": "Td"}, **props)


def postgres_instance(instance_class: Any, **props: Any) -> dict[str, Any]:
    """An RDS for PostgreSQL DB instance of ``instance_class`` (a literal, or an intrinsic)."""
    return res("AWS::RDS::DBInstance", Engine="postgres", DBInstanceClass=instance_class, **props)


def scaling(lo: int, hi: int) -> dict[str, Any]:
    return res(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        ServiceNamespace="ecs",
        MinCapacity=lo,
        MaxCapacity=hi,
        ResourceId={"Fn::Join": ["", ["service/", {"Ref": "Cluster"}, "/", {"Fn::GetAtt": ["Svc", "Name"]}]]},
    )


def test_fargate_two_tasks_x86() -> None:
    est = estimate_template(
        tpl(Td=task_def(), Svc=fargate_service(LaunchType="FARGATE", DesiredCount=2)), usage="fixed"
    )
    item = est.item("Svc")
    hand = 2 * (0.5 * p("fargate.linux.x86_64.vcpu_hour") + 1 * p("fargate.linux.x86_64.gb_hour")) * H
    assert item.monthly_usd == pytest.approx(hand)
    assert item.monthly_usd == pytest.approx(36.04, abs=0.01)
    assert "2 tasks × (0.5 vCPU × $0.04048 + 1 GB × $0.004445) per task-hour × 730 h" in item.basis


def test_fargate_arm64_with_a_spot_share_priced_at_the_stated_discount() -> None:
    strategy = [
        {"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1},
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 3},
    ]
    est = estimate_template(
        tpl(
            Td=task_def(
                "1024", "2048", RuntimePlatform={"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}
            ),
            Svc=fargate_service(DesiredCount=5, CapacityProviderStrategy=strategy),
        ),
        usage="fixed",
    )
    per_task_hour = 1 * p("fargate.linux.arm64.vcpu_hour") + 2 * p("fargate.linux.arm64.gb_hour")
    discount = p("fargate.spot.discount")
    # base 1 on FARGATE, the other 4 split 1:3 -> 2 on-demand, 3 Spot
    hand = 2 * per_task_hour * H + 3 * per_task_hour * (1 - discount) * H
    item = est.item("Svc")
    assert item.monthly_usd == pytest.approx(hand)
    assert "Spot discount" in item.basis and "0.7" in item.basis
    assert "ARM64" in item.basis
    assert item.confidence == "low"  # the Spot discount row is low-confidence, and the estimate says so
    assert any("fargate.spot.discount" in n for n in est.notes)


@pytest.mark.parametrize(("profile", "tasks"), [("fixed", 1), ("typical", 2), ("high", 10)])
def test_autoscaled_service_priced_per_profile_with_the_maximum_shown(profile: str, tasks: int) -> None:
    est = estimate_template(
        tpl(Td=task_def(), Svc=fargate_service(LaunchType="FARGATE", DesiredCount=2), Scale=scaling(1, 10)),
        usage=profile,
    )
    per_task = (0.5 * p("fargate.linux.x86_64.vcpu_hour") + p("fargate.linux.x86_64.gb_hour")) * H
    item = est.item("Svc")
    assert item.monthly_usd == pytest.approx(tasks * per_task)
    assert "autoscaling 1-10" in item.basis
    if tasks != 10:
        assert item.max_monthly_usd == pytest.approx(10 * per_task)


def test_public_task_addresses_and_ephemeral_storage() -> None:
    est = estimate_template(
        tpl(
            Td=task_def(EphemeralStorage={"SizeInGiB": 50}),
            Svc=fargate_service(
                LaunchType="FARGATE",
                DesiredCount=3,
                NetworkConfiguration={"AwsvpcConfiguration": {"AssignPublicIp": "ENABLED", "Subnets": ["a"]}},
            ),
        ),
        usage="fixed",
    )
    per_task = (0.5 * p("fargate.linux.x86_64.vcpu_hour") + p("fargate.linux.x86_64.gb_hour")) * H
    hand = (
        3 * per_task + 3 * 30 * p("fargate.ephemeral_storage.gb_hour") * H + 3 * p("vpc.public_ipv4.hour") * H
    )
    assert est.item("Svc").monthly_usd == pytest.approx(hand)


def test_internet_facing_alb_pays_an_address_per_az_and_usage() -> None:
    template = tpl(
        Alb=res(
            "AWS::ElasticLoadBalancingV2::LoadBalancer", Subnets=[{"Ref": "A"}, {"Ref": "B"}, {"Ref": "C"}]
        ),
        Internal=res("AWS::ElasticLoadBalancingV2::LoadBalancer", Scheme="internal", Subnets=["a", "b"]),
    )
    est = estimate_template(template, usage="fixed")
    assert est.item("Alb").monthly_usd == pytest.approx(
        p("elb.application.hour") * H + 3 * p("vpc.public_ipv4.hour") * H
    )
    assert est.item("Internal").monthly_usd == pytest.approx(p("elb.application.hour") * H)
    typical = UsageProfile.named("typical")
    est = estimate_template(template, usage="typical")
    assert est.item("Internal").usage_monthly_usd == pytest.approx(
        typical.alb_lcu_per_hour * p("elb.application.lcu_hour") * H
    )
    assert est.item("Alb").usage_monthly_usd == pytest.approx(
        typical.alb_lcu_per_hour * p("elb.application.lcu_hour") * H
        + typical.data_out_gb * p("data_transfer.internet_out.gb")
    )


def test_nat_gateways_split_the_processed_gigabytes_and_eips_are_addresses() -> None:
    template = tpl(
        Nat1=res("AWS::EC2::NatGateway", AllocationId={"Fn::GetAtt": ["Eip1", "AllocationId"]}),
        Nat2=res("AWS::EC2::NatGateway", AllocationId={"Fn::GetAtt": ["Eip2", "AllocationId"]}),
        Eip1=res("AWS::EC2::EIP", Domain="vpc"),
        Eip2=res("AWS::EC2::EIP", Domain="vpc"),
    )
    est = estimate_template(template, usage=UsageProfile.named("fixed").with_(nat_gb=100))
    assert est.item("Nat1").monthly_usd == pytest.approx(
        p("vpc.nat_gateway.hour") * H + 50 * p("vpc.nat_gateway.gb")
    )
    assert est.item("Eip2").monthly_usd == pytest.approx(p("vpc.public_ipv4.hour") * H)


def test_interface_endpoints_per_az_and_gateway_endpoints_free() -> None:
    est = estimate_template(
        tpl(
            Sm=res(
                "AWS::EC2::VPCEndpoint", VpcEndpointType="Interface", SubnetIds=[{"Ref": "A"}, {"Ref": "B"}]
            ),
            S3=res("AWS::EC2::VPCEndpoint", ServiceName="s3"),
        ),
        usage="fixed",
    )
    assert est.item("Sm").monthly_usd == pytest.approx(2 * p("vpc.interface_endpoint.az_hour") * H)
    assert [n.logical_id for n in est.no_charge] == ["S3"]


def test_multi_az_database_priced_per_class_not_by_doubling() -> None:
    est = estimate_template(
        tpl(Db=postgres_instance("db.t4g.medium", MultiAZ=True, AllocatedStorage="20", StorageType="gp3")),
        usage="fixed",
    )
    hand = p("rds.postgres.db.t4g.medium.multi_az.hour") * H + 20 * p("rds.storage.gp3.multi_az.gb_month")
    assert est.item("Db").monthly_usd == pytest.approx(hand)
    assert p("rds.postgres.db.t4g.medium.multi_az.hour") != 2 * p("rds.postgres.db.t4g.medium.single_az.hour")


def test_a_class_without_a_rate_is_unpriced_not_doubled_or_zero() -> None:
    est = estimate_template(
        tpl(Db=postgres_instance("db.r7g.4xlarge", MultiAZ=True, AllocatedStorage="20")),
        usage="fixed",
    )
    assert est.items == ()
    (u,) = est.unpriced
    assert u.logical_id == "Db" and "never by doubling" in u.reason and "db.r7g.4xlarge" in u.reason
    assert est.total_monthly_usd == 0


def test_aurora_serverless_v2_minimum_acu_and_cluster_storage() -> None:
    template = tpl(
        Cluster=res(
            "AWS::RDS::DBCluster",
            Engine="aurora-postgresql",
            ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 4},
        ),
        Writer=res(
            "AWS::RDS::DBInstance",
            DBClusterIdentifier={"Ref": "Cluster"},
            DBInstanceClass="db.serverless",
            Engine="aurora-postgresql",
        ),
    )
    est = estimate_template(template, usage="typical")
    acu = p("rds.aurora_postgresql.serverless_v2.acu_hour")
    assert est.item("Writer").monthly_usd == pytest.approx(0.5 * acu * H)
    assert est.item("Writer").max_monthly_usd == pytest.approx(4 * acu * H)
    typical = UsageProfile.named("typical")
    assert est.item("Cluster").monthly_usd == pytest.approx(
        typical.aurora_storage_gb * p("rds.aurora.storage.gb_month")
        + typical.aurora_io_millions * p("rds.aurora.io.million_requests")
    )


def test_rds_proxy_bills_at_least_two_vcpus() -> None:
    template = tpl(
        Db=postgres_instance("db.t4g.micro", AllocatedStorage="20"),
        Proxy=res("AWS::RDS::DBProxy", EngineFamily="POSTGRESQL"),
        Targets=res(
            "AWS::RDS::DBProxyTargetGroup",
            DBProxyName={"Ref": "Proxy"},
            DBInstanceIdentifiers=[{"Ref": "Db"}],
        ),
    )
    est = estimate_template(template, usage="fixed")
    assert est.item("Proxy").monthly_usd == pytest.approx(2 * p("rds.proxy.vcpu_hour") * H)


def test_keys_secrets_alarms_dashboards() -> None:
    template = tpl(
        Key=res("AWS::KMS::Key", EnableKeyRotation=True),
        Secret=res("AWS::SecretsManager::Secret", ReplicaRegions=[{"Region": "eu-west-1"}]),
        Alarm=res("AWS::CloudWatch::Alarm", Period=300),
        Fast=res("AWS::CloudWatch::Alarm", Period=10),
        Math=res(
            "AWS::CloudWatch::Alarm",
            Metrics=[
                {"Id": "a", "MetricStat": {"Period": 60}},
                {"Id": "b", "MetricStat": {"Period": 60}},
                {"Id": "e", "Expression": "a/b"},
            ],
        ),
        Composite=res("AWS::CloudWatch::CompositeAlarm", AlarmRule="ALARM(x)"),
        Dash=res("AWS::CloudWatch::Dashboard", DashboardBody="{}"),
    )
    est = estimate_template(template, usage="fixed")
    assert est.item("Key").monthly_usd == p("kms.key_month")
    assert est.item("Secret").monthly_usd == pytest.approx(2 * p("secretsmanager.secret_month"))
    assert est.item("Alarm").monthly_usd == p("cloudwatch.alarm.standard_metric_month")
    assert est.item("Fast").monthly_usd == p("cloudwatch.alarm.high_resolution_metric_month")
    assert est.item("Math").monthly_usd == pytest.approx(2 * p("cloudwatch.alarm.standard_metric_month"))
    assert est.item("Composite").monthly_usd == p("cloudwatch.alarm.composite_month")
    assert est.item("Dash").monthly_usd == p("cloudwatch.dashboard_month")


def test_log_groups_share_ingestion_and_store_it_for_their_retention() -> None:
    template = tpl(
        Week=res("AWS::Logs::LogGroup", RetentionInDays=7),
        Forever=res("AWS::Logs::LogGroup"),
    )
    est = estimate_template(template, usage=UsageProfile.named("fixed").with_(log_gb_ingested=10))
    ingest, store = p("logs.ingest.standard.gb"), p("logs.storage.gb_month")
    assert est.item("Week").monthly_usd == pytest.approx(5 * ingest + 5 * (7 / (365 / 12)) * store)
    assert est.item("Forever").monthly_usd == pytest.approx(5 * ingest + 5 * 12 * store)


def test_waf_acl_rules_and_requests() -> None:
    rules = [
        {
            "Name": f"r{i}",
            "Statement": {"ManagedRuleGroupStatement": {"Name": "AWSManagedRulesCommonRuleSet"}},
        }
        for i in range(3)
    ]
    est = estimate_template(
        tpl(Acl=res("AWS::WAFv2::WebACL", Rules=rules)),
        usage=UsageProfile.named("fixed").with_(requests=2_000_000),
    )
    hand = p("waf.web_acl_month") + 3 * p("waf.rule_month") + 2 * p("waf.million_requests")
    assert est.item("Acl").monthly_usd == pytest.approx(hand)


def test_usage_driven_storage_delivery_identity_and_mail() -> None:
    template = tpl(
        Bucket=res("AWS::S3::Bucket"),
        Cdn=res("AWS::CloudFront::Distribution", DistributionConfig={}),
        Pool=res("AWS::Cognito::UserPool", UserPoolTier="PLUS"),
        Mail=res("AWS::SES::EmailIdentity", EmailIdentity="example.com"),
        Plan=res("AWS::Backup::BackupPlan", BackupPlan={}),
        Zone=res("AWS::Route53::HostedZone", Name="example.com"),
    )
    u = UsageProfile.named("typical")
    est = estimate_template(template, usage=u)
    assert est.item("Bucket").monthly_usd == pytest.approx(u.s3_gb * p("s3.standard.gb_month"))
    assert est.item("Cdn").monthly_usd == pytest.approx(
        u.cloudfront_gb * p("cloudfront.us.gb") + u.requests / 1e4 * p("cloudfront.us.https_10k")
    )
    assert est.item("Pool").monthly_usd == pytest.approx(u.cognito_mau * p("cognito.plus.mau"))
    assert est.item("Mail").monthly_usd == pytest.approx(u.ses_emails / 1000 * p("ses.emails_1k"))
    assert est.item("Plan").monthly_usd == pytest.approx(u.backup_gb * p("rds.backup.gb_month"))
    assert est.item("Zone").monthly_usd == p("route53.hosted_zone_month")


def test_unknown_types_are_listed_never_counted_as_zero() -> None:
    est = estimate_template(tpl(Thing=res("AWS::Foo::Bar"), Role=res("AWS::IAM::Role")), usage="fixed")
    assert [(u.logical_id, u.type) for u in est.unpriced] == [("Thing", "AWS::Foo::Bar")]
    assert [i.logical_id for i in est.items] == []
    assert [n.logical_id for n in est.no_charge] == ["Role"]
    assert "NOT PRICED (1)" in est.to_table()


def test_a_rate_missing_in_a_region_is_unpriced_there() -> None:
    db = postgres_instance("db.t3.medium", MultiAZ=True, AllocatedStorage="100", StorageType="gp2")
    assert estimate_template(tpl(Db=db), region="us-east-1", usage="fixed").items
    est = estimate_template(tpl(Db=db), region="sa-east-1", usage="fixed")
    assert est.items == () and "sa-east-1" in est.unpriced[0].reason


def test_partly_priced_resource_lists_the_missing_part() -> None:
    est = estimate_template(
        tpl(Db=postgres_instance("db.t4g.micro", AllocatedStorage="100", StorageType="io2", Iops=3000)),
        usage="fixed",
    )
    assert est.item("Db").monthly_usd == pytest.approx(p("rds.postgres.db.t4g.micro.single_az.hour") * H)
    (u,) = est.unpriced
    assert u.partial and "rds.storage.io2.single_az.gb_month" in u.reason


def test_parameters_defaults_resolve_and_other_intrinsics_do_not() -> None:
    template = {
        "Parameters": {"Count": {"Type": "Number", "Default": 3}},
        "Resources": {
            "Td": task_def(),
            "Svc": fargate_service(LaunchType="FARGATE", DesiredCount={"Ref": "Count"}),
            "Db": postgres_instance({"Fn::If": ["Big", "db.m6g.large", "db.t4g.micro"]}),
        },
    }
    est = estimate_template(template, usage="fixed")
    assert "3 tasks" in est.item("Svc").basis
    (u,) = est.unpriced
    assert u.logical_id == "Db" and "DBInstanceClass is not a literal" in u.reason


def test_nested_stack_resources_are_priced_through_the_loader() -> None:
    parent = {
        "Resources": {
            "Child": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {},
                "Metadata": {"aws:asset:path": "child.json"},
            }
        }
    }
    child = tpl(Key=res("AWS::KMS::Key"))
    est = estimate_template(parent, usage="fixed", stack="P", nested_loader=lambda path: child)
    assert est.item("Key").stack == "P/Child"
    without = estimate_template(parent, usage="fixed", stack="P")
    assert [u.reason for u in without.unpriced] == ["nested template not available"]


def test_unknown_usage_profile_names_the_profiles() -> None:
    with pytest.raises(ValidationError) as err:
        estimate_template(tpl(), usage="busy")
    assert "usage='busy'" in str(err.value) and "typical" in str(err.value)
    with pytest.raises(ValidationError) as err:
        UsageProfile.named("low").with_(nat_gb=-1)
    assert "nat_gb=-1" in str(err.value)


def test_json_document_has_the_issue_schema() -> None:
    est = estimate_template(tpl(Key=res("AWS::KMS::Key"), X=res("AWS::Foo::Bar")), usage="fixed", stack="S")
    doc = est.to_dict()
    assert doc["currency"] == "USD"
    assert doc["prices_as_of"] == US.prices_as_of
    assert doc["total_monthly_usd"] == 1.0
    assert {"stack", "logical_id", "type", "monthly_usd", "basis"} <= set(doc["items"][0])
    assert doc["unpriced"] == [
        {
            "stack": "S",
            "logical_id": "X",
            "type": "AWS::Foo::Bar",
            "reason": "no pricing rule for this resource type",
        }
    ]


def test_yaml_templates_with_short_form_tags(tmp_path: Any) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n"
        "  Nat:\n    Type: AWS::EC2::NatGateway\n    Properties:\n"
        "      AllocationId: !GetAtt Eip.AllocationId\n      SubnetId: !Ref Subnet\n"
        "  Eip:\n    Type: AWS::EC2::EIP\n"
    )
    template = load_template(path)
    assert template["Resources"]["Nat"]["Properties"]["AllocationId"] == {
        "Fn::GetAtt": ["Eip", "AllocationId"]
    }
    est = estimate_template(template, usage="fixed")
    assert est.total_monthly_usd == pytest.approx((p("vpc.nat_gateway.hour") + p("vpc.public_ipv4.hour")) * H)


def test_custom_usage_from_a_mapping_rejects_unknown_fields() -> None:
    profile = UsageProfile.from_mapping({"base": "low", "nat_gb": 42})
    assert profile.nat_gb == 42 and profile.requests == UsageProfile.named("low").requests
    with pytest.raises(ValidationError) as err:
        UsageProfile.from_mapping({"nat_gigabytes": 1})
    assert "['nat_gigabytes']: unknown usage field(s)" in str(err.value)


def test_service_scaled_to_zero_costs_nothing_and_says_why() -> None:
    est = estimate_template(
        tpl(Td=task_def(), Svc=fargate_service(LaunchType="FARGATE", DesiredCount=0)), usage="fixed"
    )
    assert est.item("Svc").monthly_usd == 0
    assert "0 tasks: nothing runs" in est.item("Svc").basis
    assert est.unpriced == ()


def test_ec2_launch_type_is_billed_as_instances() -> None:
    est = estimate_template(
        tpl(Td=task_def(), Svc=fargate_service(LaunchType="EC2", DesiredCount=2)), usage="fixed"
    )
    assert [(n.logical_id, n.reason) for n in est.no_charge if n.logical_id == "Svc"] == [
        ("Svc", "EC2 capacity: billed as the EC2 instances that run the tasks")
    ]
