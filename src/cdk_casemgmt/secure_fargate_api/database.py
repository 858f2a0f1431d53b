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
    def connections(self) -> ec2.Connections: ...
    @property
    def secret(self) -> secretsmanager.ISecret: ...
    @property
    def port(self) -> int: ...
    @property
    def endpoint_address(self) -> str: ...
    @property
    def database_name(self) -> str: ...
    def allow_from(self, peer: ec2.IConnectable) -> None: ...
    def grant_connect(self, grantee: iam.IGrantable, db_user: str | None = None) -> iam.Grant: ...


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
    """Open the database port from the tasks, give ``containers`` the database's coordinates (no secret
    value) and let ``task_role`` read its secret (and, with ``iam_database_user``, connect as that user)."""
    port = database.port
    database.allow_from(service)
    # The tasks' egress is closed by default: open exactly the database port towards its group.
    service.connections.allow_to(database.connections, ec2.Port.tcp(port), "PostgreSQL from the API tasks")
    config = {
        "DB_HOST": database.endpoint_address,
        "DB_PORT": str(port),
        "DB_NAME": database.database_name,
        "DB_SECRET_ARN": database.secret.secret_arn,
    }
    if iam_database_user:
        config["DB_IAM_USER"] = iam_database_user
        database.grant_connect(task_role, iam_database_user)
    for container in containers:
        for name, value in config.items():
            container.add_environment(env_prefix + name, value)
    database.secret.grant_read(task_role)
    acknowledge(
        task_definition,
        "AwsSolutions-ECS2",
        "Only database coordinates are in the environment (host, port, name, the secret's ARN): "
        "no secret value. The app reads the secret itself so that rotation reaches running tasks.",
    )
