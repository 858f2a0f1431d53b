"""Resources that make a failed first deploy impossible to retry."""

from __future__ import annotations

from collections.abc import Mapping

from cdk_nag import NagRuleCompliance

from cdk_casemgmt.deploy_readiness._rule import rule
from cdk_casemgmt.deploy_readiness._template import Resource

NAME_PROPERTIES: Mapping[str, str] = {
    "AWS::Backup::BackupVault": "BackupVaultName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::DynamoDB::GlobalTable": "TableName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::ElastiCache::ReplicationGroup": "ReplicationGroupId",
    "AWS::Events::EventBus": "Name",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Role": "RoleName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::OpenSearchService::Domain": "DomainName",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
    "AWS::RDS::DBInstance": "DBInstanceIdentifier",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SSM::Parameter": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
}
"""Resource types whose physical name must be unique (in the account and region, or globally for S3
buckets), and the property that fixes it. A retained resource keeps its name taken."""


@rule(
    "RetainedNamedResource",
    types=tuple(NAME_PROPERTIES),
    info="The resource has a fixed physical name and DeletionPolicy Retain.",
    explanation="CloudFormation applies DeletionPolicy Retain also when it rolls back a failed create: "
    "the resource stays in the account, outside any stack. Its name is fixed in the template, so the "
    "next deploy of the same template fails with 'already exists' until someone deletes it by hand; "
    "and cdk destroy leaves it behind to collide with the next stack of that name. Fix: use "
    "RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (DeletionPolicy RetainExceptOnCreate), which retains the "
    "resource on stack deletion but removes it when its own creation is rolled back; or let "
    "CloudFormation generate the name.",
    documentation="https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
)
def retained_named_resource(resource: Resource) -> NagRuleCompliance:
    """A named resource that a rolled-back create leaves behind."""
    if resource.get(NAME_PROPERTIES[resource.type]) is None:
        return NagRuleCompliance.NOT_APPLICABLE
    if resource.deletion_policy == "Retain":
        return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


RULES = (retained_named_resource,)
