"""Resource types AWS does not bill by themselves, each with the reason shown in the estimate.

Where a type's use is billed elsewhere (flow logs at their log group, a task definition with its
service) the reason says where, so a reader does not mistake "no charge" for "free to run".
"""

from __future__ import annotations

NO_CHARGE: dict[str, str] = {
    **dict.fromkeys(
        (
            "AWS::EC2::VPC",
            "AWS::EC2::Subnet",
            "AWS::EC2::RouteTable",
            "AWS::EC2::Route",
            "AWS::EC2::SubnetRouteTableAssociation",
            "AWS::EC2::InternetGateway",
            "AWS::EC2::VPCGatewayAttachment",
            "AWS::EC2::SecurityGroup",
            "AWS::EC2::SecurityGroupIngress",
            "AWS::EC2::SecurityGroupEgress",
            "AWS::EC2::NetworkAcl",
            "AWS::EC2::NetworkAclEntry",
            "AWS::EC2::SubnetNetworkAclAssociation",
            "AWS::EC2::EgressOnlyInternetGateway",
            "AWS::EC2::VPCCidrBlock",
            "AWS::EC2::PrefixList",
            "AWS::EC2::LaunchTemplate",
            "AWS::IAM::Role",
            "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy",
            "AWS::IAM::InstanceProfile",
            "AWS::IAM::ServiceLinkedRole",
            "AWS::ECS::ClusterCapacityProviderAssociations",
            "AWS::ElasticLoadBalancingV2::Listener",
            "AWS::ElasticLoadBalancingV2::ListenerRule",
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            "AWS::ElasticLoadBalancingV2::ListenerCertificate",
            "AWS::ApplicationAutoScaling::ScalableTarget",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            "AWS::RDS::DBSubnetGroup",
            "AWS::RDS::DBParameterGroup",
            "AWS::RDS::DBClusterParameterGroup",
            "AWS::RDS::OptionGroup",
            "AWS::RDS::DBProxyTargetGroup",
            "AWS::RDS::DBProxyEndpoint",
            "AWS::SecretsManager::SecretTargetAttachment",
            "AWS::SecretsManager::ResourcePolicy",
            "AWS::KMS::Alias",
            "AWS::Logs::ResourcePolicy",
            "AWS::Logs::LogStream",
            "AWS::SNS::Subscription",
            "AWS::SNS::TopicPolicy",
            "AWS::SQS::QueuePolicy",
            "AWS::S3::BucketPolicy",
            "AWS::CloudFront::OriginAccessControl",
            "AWS::CloudFront::CachePolicy",
            "AWS::CloudFront::OriginRequestPolicy",
            "AWS::CloudFront::ResponseHeadersPolicy",
            "AWS::CloudFront::VpcOrigin",
            "AWS::CloudFront::CloudFrontOriginAccessIdentity",
            "AWS::WAFv2::WebACLAssociation",
            "AWS::WAFv2::IPSet",
            "AWS::WAFv2::RegexPatternSet",
            "AWS::Lambda::Permission",
            "AWS::Lambda::Version",
            "AWS::Lambda::Alias",
            "AWS::Lambda::EventSourceMapping",
            "AWS::Lambda::LayerVersion",
            "AWS::Lambda::Url",
            "AWS::CDK::Metadata",
            "AWS::CloudFormation::WaitConditionHandle",
            "AWS::CloudFormation::WaitCondition",
            "AWS::Route53::RecordSet",
            "AWS::Route53::RecordSetGroup",
            "AWS::Backup::BackupVault",
            "AWS::Backup::BackupSelection",
            "AWS::Cognito::UserPoolClient",
            "AWS::Cognito::UserPoolDomain",
            "AWS::Cognito::UserPoolGroup",
            "AWS::Cognito::UserPoolResourceServer",
            "AWS::SES::ConfigurationSet",
            "AWS::SES::ConfigurationSetEventDestination",
            "AWS::ECR::RepositoryCreationTemplate",
        ),
        "no charge for the resource itself",
    ),
    "AWS::ECS::Cluster": "no charge for the cluster; Container Insights metrics and logs are billed by use",
    "AWS::ECS::TaskDefinition": "priced with the ECS service that runs it",
    "AWS::EC2::FlowLog": "flow logs are billed as vended-log ingestion into their destination (log group)",
    "AWS::WAFv2::LoggingConfiguration": "WAF logs are billed at their destination (log group, S3, Firehose)",
    "AWS::Logs::MetricFilter": "billed as custom metrics by use ($0.30/metric-month), not priced",
    "AWS::Logs::SubscriptionFilter": "billed at the destination by use",
    "AWS::SecretsManager::RotationSchedule": "rotation runs a Lambda function billed per invocation",
    "AWS::Lambda::Function": "billed per request and GB-second by use; nothing at rest",
    "AWS::CloudFront::Function": "billed per invocation by use ($0.10 per 1M), not priced",
    "AWS::SNS::Topic": "no charge per topic; publishes and deliveries billed by use, not priced",
    "AWS::SQS::Queue": "no charge per queue; requests billed by use, not priced",
    "AWS::Events::Rule": "billed per event by use (AWS service events are free)",
    "AWS::ECR::Repository": "image storage billed by use, not priced",
    "AWS::SSM::Parameter": "standard parameters carry no charge",
    "AWS::Budgets::Budget": "budgets without actions carry no charge (AWS Budgets pricing, unverified here)",
    "AWS::CloudFormation::CustomResource": "custom resource: its provider runs at deploy time only",
}


def no_charge_reason(rtype: str) -> str | None:
    """Why ``rtype`` carries no charge of its own, or None when it is not known to be free.

    Every ``Custom::`` type is a custom resource: its provider runs at deploy time only.
    """
    if rtype in NO_CHARGE:
        return NO_CHARGE[rtype]
    if rtype.startswith("Custom::"):
        return NO_CHARGE["AWS::CloudFormation::CustomResource"]
    return None
