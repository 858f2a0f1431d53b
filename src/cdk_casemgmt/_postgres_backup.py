"""PostgresDatabase's AWS Backup copies: a daily plan into a vault encrypted with the database key, a role
that may snapshot this one database only, and the backup findings the choice settles or leaves."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_backup as backup
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from constructs import Construct, IConstruct

from cdk_casemgmt.compliance import acknowledge

__all__ = ["acknowledge_aurora_members", "acknowledge_no_aws_backup", "add_backup_plan"]

_BACKUP_PLAN_RULES = ("HIPAA.Security-RDSInBackupPlan", "NIST.800.53.R5-RDSInBackupPlan")


def add_backup_plan(
    scope: Construct,
    database: rds.DatabaseInstance | rds.DatabaseCluster,
    key: kms.IKey,
    retention: Duration,
) -> backup.BackupPlan:
    """AWS Backup daily copies with long retention, in a vault encrypted with ``key``."""
    stack = Stack.of(scope)
    # The vault has a name (aws-cdk-lib always sets one): kept with its recovery points on deletion, but
    # not after a failed first create, whose retry would fail with "already exists".
    vault = backup.BackupVault(
        scope, "BackupVault", encryption_key=key, removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
    )
    plan = backup.BackupPlan(scope, "BackupPlan", backup_vault=vault)
    plan.add_rule(
        backup.BackupPlanRule(
            rule_name="Daily",
            schedule_expression=events.Schedule.cron(minute="0", hour="5"),
            delete_after=retention,
        )
    )
    # IAM action names stay literal, so that an audit finds them by searching.
    if isinstance(database, rds.DatabaseInstance):
        resource_arn = database.instance_arn
        target = backup.BackupResource.from_rds_database_instance(database)
        snapshot = "snapshot"
        actions = ["rds:CreateDBSnapshot", "rds:CopyDBSnapshot", "rds:DeleteDBSnapshot"]
        describe = ["rds:DescribeDBInstances", "rds:DescribeDBSnapshots"]
    else:
        resource_arn = database.cluster_arn
        target = backup.BackupResource.from_rds_serverless_cluster(database)
        snapshot = "cluster-snapshot"
        actions = ["rds:CreateDBClusterSnapshot", "rds:CopyDBClusterSnapshot", "rds:DeleteDBClusterSnapshot"]
        describe = ["rds:DescribeDBClusters", "rds:DescribeDBClusterSnapshots"]
    snapshot_arn = stack.format_arn(
        service="rds",
        resource=snapshot,
        resource_name="awsbackup:job-*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    role = iam.Role(
        scope,
        "BackupRole",
        assumed_by=iam.ServicePrincipal("backup.amazonaws.com"),
        description=f"{scope.node.path}: AWS Backup snapshots this database only",
    )
    policy = iam.ManagedPolicy(
        scope,
        "BackupPolicy",
        description=f"{scope.node.path}: AWS Backup snapshots this database only",
        roles=[role],
        statements=[
            iam.PolicyStatement(
                actions=[*actions, *describe, "rds:AddTagsToResource", "rds:ListTagsForResource"],
                resources=[resource_arn, snapshot_arn],
            ),
            iam.PolicyStatement(
                actions=["kms:DescribeKey", "kms:CreateGrant"],
                resources=[key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ],
    )
    acknowledge(
        policy,
        f"AwsSolutions-IAM5[Resource::{_nag_arn(stack, snapshot_arn.rsplit(':', 3)[-3:])}]",
        "AWS Backup names each snapshot it takes 'awsbackup:job-<job id>', unknown until the job "
        "runs; the wildcard is limited to this account's, this region's AWS Backup snapshots, and "
        "the only alternative is the AWS managed AWSBackupServiceRolePolicyForBackup (wider)",
    )
    plan.add_selection(
        "Selection",
        resources=[target],
        role=role,
        allow_restores=False,
        disable_default_backup_policy=True,
    )
    return plan


def acknowledge_aurora_members(cluster: rds.DatabaseCluster) -> None:
    """The plan selects the Aurora cluster; the packs look for each of its instances."""
    for member in (c for c in cluster.node.children if isinstance(c.node.default_child, rds.CfnDBInstance)):
        for rule in _BACKUP_PLAN_RULES:
            acknowledge(
                member,
                rule,
                "AWS Backup backs Aurora up per cluster, never per instance: the cluster is in "
                "this construct's BackupPlan",
            )


def acknowledge_no_aws_backup(instances: Iterable[IConstruct]) -> None:
    """``aws_backup=False``: the instances are in no plan, by the user's choice."""
    for member in instances:
        for rule in _BACKUP_PLAN_RULES:
            acknowledge(
                member,
                rule,
                "aws_backup=False was chosen on PostgresDatabase: only RDS automated backups "
                "(backup_retention) protect this database; set aws_backup=True for daily AWS "
                "Backup copies",
            )


def _nag_arn(stack: Stack, resource_parts: list[str]) -> str:
    """An RDS ARN as cdk-nag prints it in a granular finding id: pseudo parameters it cannot resolve
    appear as ``<AWS::Partition>``, ``<AWS::Region>``, ``<AWS::AccountId>``."""

    def text(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    partition = text(stack.partition, "Partition")
    region = text(stack.region, "Region")
    account = text(stack.account, "AccountId")
    return f"arn:{partition}:rds:{region}:{account}:{':'.join(resource_parts)}"
