"""How the API's tasks reach a database: network path, configuration and the right to read its secret
(see docs/design.md#database-credentials)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager

from cdk_casemgmt.compliance import acknowledge

ENV_PREFIX = re.compile(r"([A-Z][A-Z0-9_]*)?")
"""What ``database_env_prefix`` may be: empty, or an upper-case environment variable name."""


@runtime_checkable
class ConnectableDatabase(Protocol):
    """What ``SecureFargateApi.connect`` needs from a database: cdk_casemgmt's ``PostgresDatabase`` has it."""

    @property
    def connections(self) -> ec2.Connections:
        """The security group that admits clients on ``endpoint_port``."""
        ...

    @property
    def secret(self) -> secretsmanager.ISecret:
        """The master credentials (user name and password)."""
        ...

    @property
    def endpoint_address(self) -> str:
        """The host name clients connect to (a proxy's, when there is one)."""
        ...

    @property
    def endpoint_port(self) -> int:
        """The port clients connect to (a proxy's, when there is one)."""
        ...

    @property
    def database_name(self) -> str:
        """The database the API uses."""
        ...

    @property
    def iam_auth_required(self) -> bool:
        """Whether clients must sign in with an IAM token instead of the secret's password."""
        ...

    @property
    def master_username(self) -> str:
        """The user an IAM token signs in as unless told otherwise."""
        ...

    def allow_from(self, peer: ec2.IConnectable) -> None:
        """Open ``endpoint_port`` to ``peer``."""
        ...

    def grant_connect(self, grantee: iam.IGrantable, db_user: str | None = None) -> iam.Grant:
        """Let ``grantee`` connect with an IAM token as ``db_user`` (default: ``master_username``)."""
        ...


def connect_database(
    database: ConnectableDatabase,
    *,
    service: ecs.FargateService,
    task_definition: ecs.TaskDefinition,
    task_role: iam.IRole,
    containers: Sequence[ecs.ContainerDefinition],
    env_prefix: str,
    iam_database_user: str | None,
) -> None:
    """Open the database's client port from the tasks, give ``containers`` the database's coordinates (no
    secret value) and how to sign in, and let ``task_role`` read its secret (and, with IAM authentication,
    connect as the IAM user).

    The port and the authentication follow the database: through an RDS Proxy the tasks connect on the
    proxy's port, and with a proxy that accepts only IAM tokens they sign in with IAM as
    ``iam_database_user`` (default: the master user).
    """
    port = database.endpoint_port
    database.allow_from(service)
    # The tasks' egress is closed by default: open exactly the client port towards its group.
    service.connections.allow_to(database.connections, ec2.Port.tcp(port), "PostgreSQL from the API tasks")
    iam_user = iam_database_user or (database.master_username if database.iam_auth_required else None)
    config = {
        "DB_HOST": database.endpoint_address,
        "DB_PORT": str(port),
        "DB_NAME": database.database_name,
        "DB_SECRET_ARN": database.secret.secret_arn,
        "DB_AUTH": "iam" if iam_user else "password",
    }
    if iam_user:
        config["DB_IAM_USER"] = iam_user
        database.grant_connect(task_role, iam_user)
    for container in containers:
        for name, value in config.items():
            container.add_environment(env_prefix + name, value)
    database.secret.grant_read(task_role)
    acknowledge(
        task_definition,
        "AwsSolutions-ECS2",
        "Only database coordinates are in the environment (host, port, name, the secret's ARN, the "
        "sign-in method): no secret value. The app reads the secret itself so that rotation reaches "
        "running tasks.",
    )
