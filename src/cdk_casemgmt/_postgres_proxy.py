"""The optional RDS Proxy in front of PostgresDatabase: TLS and IAM authentication required, its own
security group, a role that may read the one database secret, and the database reachable only from it."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

__all__ = ["PROXY_PORT", "add_proxy"]

PROXY_PORT = 5432
"""RDS Proxy listens on the engine's default port, whatever the database's own."""


def add_proxy(
    scope: Construct,
    *,
    vpc: ec2.IVpc,
    subnets: ec2.SubnetSelection,
    target: rds.ProxyTarget,
    secret: secretsmanager.ISecret,
    key: kms.IKey,
    database: ec2.Connections,
    database_security_group: ec2.SecurityGroup,
) -> tuple[rds.DatabaseProxy, ec2.Connections]:
    """The proxy and its connections; ``database`` then admits the proxy and nothing new else."""
    region = Stack.of(scope).region
    proxy_sg = ec2.SecurityGroup(
        scope,
        "ProxySecurityGroup",
        vpc=vpc,
        description=f"{scope.node.path}: RDS Proxy on {PROXY_PORT}; ingress only through allow_from()",
        allow_all_outbound=False,
    )
    proxy_role = iam.Role(
        scope,
        "ProxyRole",
        assumed_by=iam.ServicePrincipal("rds.amazonaws.com"),
        description=f"{scope.node.path}: RDS Proxy reads the database secret",
    )
    # The proxy's own grants would land in an inline policy (IAMNoInlinePolicy): use a
    # customer-managed policy that names the one secret and key instead.
    iam.ManagedPolicy(
        scope,
        "ProxyPolicy",
        description=f"{scope.node.path}: RDS Proxy reads the database secret",
        roles=[proxy_role],
        statements=[
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                resources=[secret.secret_arn],
            ),
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
            ),
        ],
    )
    proxy = rds.DatabaseProxy(
        scope,
        "Proxy",
        role=proxy_role.without_policy_updates(),
        proxy_target=target,
        vpc=vpc,
        vpc_subnets=subnets,
        security_groups=[proxy_sg],
        secrets=[secret],
        require_tls=True,
        iam_auth=True,
        debug_logging=False,
    )
    proxy_connections = ec2.Connections(security_groups=[proxy_sg], default_port=ec2.Port.tcp(PROXY_PORT))
    _drop_indirect_port_rules(database_security_group)
    database.allow_default_port_from(proxy_connections, "RDS Proxy to the database")
    return proxy, proxy_connections


def _drop_indirect_port_rules(group: ec2.SecurityGroup) -> None:
    """Remove ingress rules aws-cdk-lib added with the database port as a token.

    A ``{IndirectPort}`` rule is correct at deploy time but unreadable at synth: reviewers and the
    compliance packs cannot tell it from an open SSH port. The caller adds the same rule with the
    literal port instead.
    """
    for child in list(group.node.children):
        if "{IndirectPort}" in child.node.id:
            group.node.try_remove_child(child.node.id)
