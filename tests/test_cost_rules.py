"""The registered rule set: which resource types are priced and which are declared free of charge.

Adding, moving to "no charge" or dropping a type changes what every estimate shows, so it is a
deliberate change: edit these lists together with the rule or the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from cdk_casemgmt.cost import estimate_template
from cdk_casemgmt.cost.no_charge import NO_CHARGE
from cdk_casemgmt.cost.rules import RULES
from cdk_casemgmt.cost.rules._registry import rule

PRICED = {
    "AWS::Backup::BackupPlan",
    "AWS::CertificateManager::Certificate",
    "AWS::CloudFormation::Stack",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::MonitoringSubscription",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::CompositeAlarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::Cognito::UserPool",
    "AWS::EC2::EIP",
    "AWS::EC2::NatGateway",
    "AWS::EC2::VPCEndpoint",
    "AWS::ECS::Service",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::KMS::Key",
    "AWS::KMS::ReplicaKey",
    "AWS::Logs::LogGroup",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBProxy",
    "AWS::Route53::HostedZone",
    "AWS::S3::Bucket",
    "AWS::SES::EmailIdentity",
    "AWS::SecretsManager::Secret",
    "AWS::Serverless::Application",
    "AWS::WAFv2::RuleGroup",
    "AWS::WAFv2::WebACL",
}
NO_CHARGE_TYPES = {
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::Backup::BackupSelection",
    "AWS::Backup::BackupVault",
    "AWS::Budgets::Budget",
    "AWS::CDK::Metadata",
    "AWS::CloudFormation::CustomResource",
    "AWS::CloudFormation::WaitCondition",
    "AWS::CloudFormation::WaitConditionHandle",
    "AWS::CloudFront::CachePolicy",
    "AWS::CloudFront::CloudFrontOriginAccessIdentity",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::OriginRequestPolicy",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::CloudFront::VpcOrigin",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolDomain",
    "AWS::Cognito::UserPoolGroup",
    "AWS::Cognito::UserPoolResourceServer",
    "AWS::EC2::EgressOnlyInternetGateway",
    "AWS::EC2::FlowLog",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::LaunchTemplate",
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::NetworkAclEntry",
    "AWS::EC2::PrefixList",
    "AWS::EC2::Route",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::Subnet",
    "AWS::EC2::SubnetNetworkAclAssociation",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::VPC",
    "AWS::EC2::VPCCidrBlock",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::ECR::Repository",
    "AWS::ECR::RepositoryCreationTemplate",
    "AWS::ECS::Cluster",
    "AWS::ECS::ClusterCapacityProviderAssociations",
    "AWS::ECS::TaskDefinition",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::ListenerCertificate",
    "AWS::ElasticLoadBalancingV2::ListenerRule",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::Events::Rule",
    "AWS::IAM::InstanceProfile",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::IAM::ServiceLinkedRole",
    "AWS::KMS::Alias",
    "AWS::Lambda::Alias",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Function",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Permission",
    "AWS::Lambda::Url",
    "AWS::Lambda::Version",
    "AWS::Logs::LogStream",
    "AWS::Logs::MetricFilter",
    "AWS::Logs::ResourcePolicy",
    "AWS::Logs::SubscriptionFilter",
    "AWS::RDS::DBClusterParameterGroup",
    "AWS::RDS::DBParameterGroup",
    "AWS::RDS::DBProxyEndpoint",
    "AWS::RDS::DBProxyTargetGroup",
    "AWS::RDS::DBSubnetGroup",
    "AWS::RDS::OptionGroup",
    "AWS::Route53::RecordSet",
    "AWS::Route53::RecordSetGroup",
    "AWS::S3::BucketPolicy",
    "AWS::SES::ConfigurationSet",
    "AWS::SES::ConfigurationSetEventDestination",
    "AWS::SNS::Subscription",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::SSM::Parameter",
    "AWS::SecretsManager::ResourcePolicy",
    "AWS::SecretsManager::RotationSchedule",
    "AWS::SecretsManager::SecretTargetAttachment",
    "AWS::WAFv2::IPSet",
    "AWS::WAFv2::LoggingConfiguration",
    "AWS::WAFv2::RegexPatternSet",
    "AWS::WAFv2::WebACLAssociation",
}


def test_the_priced_types_are_these() -> None:
    assert set(RULES) == PRICED


def test_the_types_without_charge_are_these() -> None:
    assert set(NO_CHARGE) == NO_CHARGE_TYPES


def test_a_type_is_priced_or_free_never_both() -> None:
    assert PRICED.isdisjoint(NO_CHARGE_TYPES)


def test_a_second_rule_for_a_priced_type_is_refused() -> None:
    before = dict(RULES)

    def another(ctx: Any, lid: str, props: Mapping[str, Any]) -> Any:
        raise AssertionError("never registered")

    with pytest.raises(
        ValueError, match=r"AWS::S3::Bucket is priced by usage_share_rule\('AWS::S3::Bucket'\) already"
    ):
        rule("AWS::Example::New", "AWS::S3::Bucket")(another)
    with pytest.raises(ValueError, match="AWS::ECS::Service is priced by _ecs_service already"):
        rule("AWS::ECS::Service")(another)
    assert RULES == before


def test_unknown_types_are_unpriced_and_custom_resources_free() -> None:
    estimate = estimate_template(
        {
            "Resources": {
                "Search": {"Type": "AWS::OpenSearchService::Domain"},
                "Seed": {"Type": "Custom::SeedData", "Properties": {"ServiceToken": "arn"}},
            }
        },
        usage="fixed",
    )
    assert [(u.logical_id, u.reason) for u in estimate.unpriced] == [
        ("Search", "no pricing rule for this resource type")
    ]
    assert [(n.logical_id, n.reason) for n in estimate.no_charge] == [
        ("Seed", "custom resource: its provider runs at deploy time only")
    ]
