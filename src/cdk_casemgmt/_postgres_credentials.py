"""PostgresDatabase's master credentials: a generated password (characters that break connection URLs
and shells left out), kept in Secrets Manager and rotated by a function that reaches both the database
and Secrets Manager."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

__all__ = ["add_rotation", "generated_credentials"]

_EXCLUDED_PASSWORD_CHARACTERS = " %+~`#$&*()|[]{}:;<>?!'/@\"\\"


def generated_credentials(username: str, key: kms.IKey) -> rds.Credentials:
    """A generated master password for ``username``, its secret encrypted with ``key``."""
    return rds.Credentials.from_generated_secret(
        username, encryption_key=key, exclude_characters=_EXCLUDED_PASSWORD_CHARACTERS
    )


def add_rotation(
    scope: Construct,
    *,
    secret: secretsmanager.ISecret,
    database: ec2.Connections,
    vpc: ec2.IVpc,
    db_subnets: ec2.SubnetSelection,
    rotation_subnets: ec2.SubnetSelection | None,
    endpoint: ec2.IInterfaceVpcEndpoint | None,
    interval: Duration,
) -> tuple[secretsmanager.SecretRotation, ec2.InterfaceVpcEndpoint | None]:
    """Single-user rotation every ``interval``; returns it and the endpoint created for it, if any."""
    # The rotation function must reach both the database and Secrets Manager.
    created: ec2.InterfaceVpcEndpoint | None = None
    if rotation_subnets is None and endpoint is None:
        if vpc.private_subnets:
            rotation_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        else:
            created = ec2.InterfaceVpcEndpoint(
                scope,
                "SecretsManagerEndpoint",
                vpc=vpc,
                service=ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
                subnets=db_subnets,
                private_dns_enabled=True,
                open=False,
            )
            endpoint = created
    rotation_sg = ec2.SecurityGroup(
        scope,
        "RotationSecurityGroup",
        vpc=vpc,
        description=f"{scope.node.path}: secret rotation function",
        allow_all_outbound=True,
    )
    if created is not None:
        created.connections.allow_from(
            rotation_sg, ec2.Port.tcp(443), "secret rotation function to Secrets Manager"
        )
    # SecretRotation directly (not add_rotation_single_user) so the ingress rule it adds uses our
    # literal port instead of the instance's {IndirectPort} token.
    rotation = secretsmanager.SecretRotation(
        scope,
        "Rotation",
        application=secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
        secret=secret,
        target=database,
        vpc=vpc,
        vpc_subnets=rotation_subnets or db_subnets,
        endpoint=endpoint,
        automatically_after=interval,
        exclude_characters=_EXCLUDED_PASSWORD_CHARACTERS,
        security_group=rotation_sg,
    )
    return rotation, created
