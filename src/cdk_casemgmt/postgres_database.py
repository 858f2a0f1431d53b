"""PostgresDatabase: a production PostgreSQL on RDS (or Aurora Serverless v2), secure by construction."""

from __future__ import annotations

import re
from typing import Any, TypeVar, cast

from aws_cdk import ArnFormat, Duration, Names, RemovalPolicy, Stack, Token
from aws_cdk import aws_backup as backup
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_casemgmt._alarm_topic import alarm_topic as new_alarm_topic
from cdk_casemgmt._defaults import DATABASE
from cdk_casemgmt._iam import nag_resource
from cdk_casemgmt._kms_key import rotating_key
from cdk_casemgmt._postgres_alarms import add_alarms
from cdk_casemgmt._postgres_backup import (
    acknowledge_aurora_members,
    acknowledge_no_aws_backup,
    add_backup_plan,
)
from cdk_casemgmt._postgres_credentials import add_rotation, generated_credentials
from cdk_casemgmt._postgres_props import CheckedProps, ServerlessV2Capacity, database_subnets, validate
from cdk_casemgmt._postgres_proxy import PROXY_PORT, add_proxy
from cdk_casemgmt.compliance import acknowledge
from cdk_casemgmt.errors import Problems
from cdk_casemgmt.network import allow_logs_service

__all__ = ["PostgresDatabase", "ServerlessV2Capacity"]


class PostgresDatabase(Construct):
    """A production PostgreSQL: RDS instance by default, Aurora Serverless v2 on request.

    Defaults: PostgreSQL 17 (minor upgrades automatic, RDS Extended Support never enabled silently),
    ``db.t4g.medium`` Multi-AZ, gp3 20 GiB growing to 100 GiB, everything encrypted with a
    customer-managed KMS key (rotation on), TLS forced, slow-query logging, log exports to
    KMS-encrypted log groups with retention, enhanced monitoring, Performance Insights, 7-day
    backups, deletion protection, SNAPSHOT on removal, isolated subnets (else private ones), a security
    group with no ingress until [`allow_from()`][cdk_casemgmt.PostgresDatabase.allow_from], generated
    master credentials rotated every 30 days, IAM database authentication, and alarms on CPU, storage,
    memory and connections.

    :param scope: parent construct.
    :param id: construct id; part of every logical ID below it (public API: do not rename).
    :param vpc: the VPC to place the database in.
    :param vpc_subnets: where the database lives. :default: - the VPC's isolated subnets; in a VPC without
        them its private subnets, with a synth-time note (info) saying why isolated ones are better; in a
        VPC with only public subnets, a ValidationError
    :param engine_version: RDS PostgreSQL version (instance mode). :default: PostgresEngineVersion.VER_17_9
    :param aurora_engine_version: Aurora PostgreSQL version (Serverless v2 mode).
        :default: AuroraPostgresEngineVersion.VER_17_9
    :param instance_class: RDS instance class, e.g. ``db.t4g.medium`` (instance mode).
        :default: "db.t4g.medium"
    :param serverless_v2: use Aurora PostgreSQL Serverless v2 with this capacity instead of an RDS instance.
        :default: - an RDS instance
    :param multi_az: a standby in a second AZ (instance) or a reader that scales with the writer (Aurora).
        ``False`` saves about half the compute cost and is acknowledged on the database for the
        Multi-AZ rules, naming this prop. :default: True
    :param port: the port PostgreSQL listens on. :default: 5433 (not the engine default, AwsSolutions-RDS11)
    :param database_name: database created at launch. :default: "app"
    :param master_username: master user name (its password is generated). :default: "postgres"
    :param allocated_storage_gib: initial gp3 storage (instance mode). :default: 20
    :param max_allocated_storage_gib: storage autoscaling ceiling (instance mode). :default: 100
    :param backup_retention: automated backup retention, 1 to 35 days. :default: Duration.days(7)
    :param deletion_protection: refuse deletion while on. :default: True
    :param removal_policy: what happens when the resource leaves the stack. :default: RemovalPolicy.SNAPSHOT
    :param kms_key: key for storage, Performance Insights, logs, secret and alarm topic.
        :default: - a new customer-managed key with rotation
    :param rotation_interval: how often the master password is rotated. :default: Duration.days(30)
    :param rotation_subnets: where the rotation function runs; it must reach Secrets Manager.
        :default: - the VPC's private subnets with egress if it has any, else the database subnets
        plus a Secrets Manager interface endpoint
    :param secrets_manager_endpoint: an existing Secrets Manager interface endpoint for the rotation
        function. :default: - see ``rotation_subnets``
    :param proxy: put an RDS Proxy (TLS required) in front of the database;
        [`connections`][cdk_casemgmt.PostgresDatabase.connections],
        [`endpoint_address`][cdk_casemgmt.PostgresDatabase.endpoint_address] and
        [`endpoint_port`][cdk_casemgmt.PostgresDatabase.endpoint_port] (5432: a proxy listens on the
        engine's default port) then point at the proxy. :default: False
    :param proxy_iam_auth: with ``proxy``: the proxy accepts only IAM authentication tokens, for the master
        user (the one secret it holds); clients then need ``grant_connect``. ``False``: clients sign in
        with the secret's user and password, as they do without a proxy. :default: False
    :param log_retention: retention of the exported PostgreSQL logs. :default: RetentionDays.ONE_YEAR
    :param slow_query_threshold: statements slower than this are logged. :default: Duration.seconds(1)
    :param apply_immediately: apply modifications now instead of in the maintenance window
        (``rds.force_ssl`` and other static parameters still need a reboot). :default: False
    :param alarm_topic: SNS topic for the alarms. :default: - a new topic encrypted with the key
    :param aws_backup: also back the database up daily with AWS Backup, into a vault encrypted with the
        key (HIPAA/NIST RDSInBackupPlan). ``False`` is acknowledged on the database, naming this prop.
        :default: True
    :param aws_backup_retention: how long AWS Backup keeps each daily copy. :default: Duration.days(35)
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection | None = None,
        engine_version: rds.PostgresEngineVersion = DATABASE.engine_version,
        aurora_engine_version: rds.AuroraPostgresEngineVersion = DATABASE.aurora_engine_version,
        instance_class: str = DATABASE.instance_class,
        serverless_v2: ServerlessV2Capacity | None = None,
        multi_az: bool = DATABASE.multi_az,
        port: int = DATABASE.port,
        database_name: str = DATABASE.database_name,
        master_username: str = DATABASE.master_username,
        allocated_storage_gib: int = DATABASE.allocated_storage_gib,
        max_allocated_storage_gib: int = DATABASE.max_allocated_storage_gib,
        backup_retention: Duration = DATABASE.backup_retention,
        deletion_protection: bool = DATABASE.deletion_protection,
        removal_policy: RemovalPolicy = DATABASE.removal_policy,
        kms_key: kms.IKey | None = None,
        rotation_interval: Duration = DATABASE.rotation_interval,
        rotation_subnets: ec2.SubnetSelection | None = None,
        secrets_manager_endpoint: ec2.IInterfaceVpcEndpoint | None = None,
        proxy: bool = DATABASE.proxy,
        proxy_iam_auth: bool = DATABASE.proxy_iam_auth,
        log_retention: logs.RetentionDays = DATABASE.log_retention,
        slow_query_threshold: Duration = DATABASE.slow_query_threshold,
        apply_immediately: bool = DATABASE.apply_immediately,
        alarm_topic: sns.ITopic | None = None,
        aws_backup: bool = DATABASE.aws_backup,
        aws_backup_retention: Duration = DATABASE.aws_backup_retention,
    ) -> None:
        super().__init__(scope, id)
        checked = CheckedProps(
            engine_version=engine_version,
            instance_class=instance_class,
            serverless_v2=serverless_v2,
            port=port,
            database_name=database_name,
            allocated_storage_gib=allocated_storage_gib,
            max_allocated_storage_gib=max_allocated_storage_gib,
            backup_retention=backup_retention,
            rotation_interval=rotation_interval,
            proxy=proxy,
            proxy_iam_auth=proxy_iam_auth,
        )
        validate(self, checked)
        self.vpc: ec2.IVpc = vpc
        """The VPC the database, its security group and its rotation function are in (``vpc`` as given)."""
        self.port: int = port
        """The port PostgreSQL listens on (clients of a proxy use
        [`endpoint_port`][cdk_casemgmt.PostgresDatabase.endpoint_port])."""
        self.endpoint_port: int = port
        """The port clients connect to: the proxy's with ``proxy=True``, else
        [`port`][cdk_casemgmt.PostgresDatabase.port]."""
        self.iam_auth_required: bool = False
        """Whether clients must sign in with an IAM token (``proxy_iam_auth=True``), not the password."""
        self.master_username: str = master_username
        """The master user's name (``master_username`` as given); its password is in ``secret``."""
        self.database_name: str = database_name
        """The database created on first start (``database_name`` as given)."""
        self.is_serverless: bool = serverless_v2 is not None
        """``True`` for Aurora Serverless v2 (``serverless_v2`` given), ``False`` for an RDS instance."""
        self.instance_class: str | None = None if serverless_v2 else instance_class
        """The RDS instance class, e.g. ``db.t4g.medium``; ``None`` for Aurora Serverless v2."""
        subnets = database_subnets(self, vpc, vpc_subnets)

        self.kms_key: kms.IKey = kms_key or rotating_key(
            self,
            description=f"{self.node.path}: storage, Performance Insights, logs, secret and alarms",
            removal_policy=RemovalPolicy.RETAIN,
        )
        """Encrypts storage, Performance Insights, exported logs, the secret and the alarm topic (``kms_key``
        as given, else a new key with rotation on)."""
        # Exported logs are encrypted with the key too (and the alarm topic: new_alarm_topic below).
        allow_logs_service(self.kms_key)

        self.security_group: ec2.SecurityGroup = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"{self.node.path}: PostgreSQL on {port}; ingress only through allow_from()",
            allow_all_outbound=False,
        )
        """The database's security group: no ingress until ``allow_from()``, no egress."""
        # A literal port keeps the rules readable for reviewers and for cdk-nag (no {IndirectPort}).
        self._db_connections = ec2.Connections(
            security_groups=[self.security_group], default_port=ec2.Port.tcp(port)
        )

        self.secret: secretsmanager.ISecret
        """The master credentials: rotated every ``rotation_interval``, encrypted with ``kms_key``."""
        self.instance: rds.DatabaseInstance | None = None
        """The RDS instance, or ``None`` with ``serverless_v2``."""
        self.cluster: rds.DatabaseCluster | None = None
        """The Aurora Serverless v2 cluster with ``serverless_v2``, else ``None``."""
        identifier = _identifier(self)
        log_types = ["postgresql", "upgrade"] if serverless_v2 is None else ["postgresql"]
        kind = "instance" if serverless_v2 is None else "cluster"
        self.log_groups: dict[str, logs.LogGroup] = {
            log_type: logs.LogGroup(
                self,
                f"Logs{log_type.capitalize()}",
                log_group_name=f"/aws/rds/{kind}/{identifier}/{log_type}",
                retention=log_retention,
                encryption_key=self.kms_key,
                # Named groups: kept on deletion, but not after a failed first create (the retry would
                # fail with "already exists").
                removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
            )
            for log_type in log_types
        }
        """The encrypted log groups the database exports to, by log type (``postgresql``; ``upgrade`` too for
        an RDS instance)."""
        self.monitoring_role: iam.Role = iam.Role(
            self,
            "MonitoringRole",
            assumed_by=iam.ServicePrincipal("monitoring.rds.amazonaws.com"),
            description=f"{self.node.path}: RDS enhanced monitoring publishes OS metrics",
        )
        """The role RDS enhanced monitoring publishes OS metrics with (to ``RDSOSMetrics`` only)."""
        credentials = generated_credentials(master_username, self.kms_key)
        # What the instance and the Aurora cluster share: one place for the security settings.
        shared: dict[str, Any] = {
            "vpc": vpc,
            "vpc_subnets": subnets,
            "security_groups": [self.security_group],
            "port": port,
            "credentials": credentials,
            "storage_encrypted": True,
            "storage_encryption_key": self.kms_key,
            "cloudwatch_logs_exports": log_types,
            "monitoring_interval": DATABASE.monitoring_interval,
            "monitoring_role": self.monitoring_role,
            "copy_tags_to_snapshot": True,
            "delete_automated_backups": False,
            "deletion_protection": deletion_protection,
            "removal_policy": removal_policy,
            "iam_authentication": True,
            "engine_lifecycle_support": rds.EngineLifecycleSupport.OPEN_SOURCE_RDS_EXTENDED_SUPPORT_DISABLED,
        }
        # Settings of each database instance: the RDS instance, or the Aurora writer and reader.
        instance_options: dict[str, Any] = {
            "auto_minor_version_upgrade": True,
            "enable_performance_insights": True,
            "performance_insight_encryption_key": self.kms_key,
            "publicly_accessible": False,
            "ca_certificate": rds.CaCertificate.RDS_CA_RSA2048_G1,
            "apply_immediately": apply_immediately,
        }

        if serverless_v2 is None:
            engine = rds.DatabaseInstanceEngine.postgres(version=engine_version)
            self.parameter_group: rds.ParameterGroup = self._parameter_group(engine, slow_query_threshold)
            """TLS forced, SCRAM passwords; connections and statements slower than ``slow_query_threshold``
            logged."""
            instance = rds.DatabaseInstance(
                self,
                "Instance",
                engine=engine,
                instance_identifier=identifier,
                instance_type=ec2.InstanceType(instance_class.removeprefix("db.")),
                database_name=database_name,
                multi_az=multi_az,
                storage_type=rds.StorageType.GP3,
                allocated_storage=allocated_storage_gib,
                max_allocated_storage=max_allocated_storage_gib,
                backup_retention=backup_retention,
                allow_major_version_upgrade=False,
                parameter_group=self.parameter_group,
                **instance_options,
                **shared,
            )
            self.instance = instance
            self._database: rds.DatabaseInstance | rds.DatabaseCluster = instance
            self.endpoint_address: str = instance.db_instance_endpoint_address
            """The host name clients connect to: the proxy's with ``proxy=True``, else the instance's or the
            cluster's writer endpoint."""
            proxy_target = rds.ProxyTarget.from_instance(instance)
        else:
            cluster_engine = rds.DatabaseClusterEngine.aurora_postgres(version=aurora_engine_version)
            self.parameter_group = self._parameter_group(cluster_engine, slow_query_threshold)
            cluster = rds.DatabaseCluster(
                self,
                "Cluster",
                engine=cluster_engine,
                cluster_identifier=identifier,
                writer=rds.ClusterInstance.serverless_v2("Writer", **instance_options),
                readers=(
                    [rds.ClusterInstance.serverless_v2("Reader", scale_with_writer=True, **instance_options)]
                    if multi_az
                    else []
                ),
                serverless_v2_min_capacity=serverless_v2.min_acu,
                serverless_v2_max_capacity=serverless_v2.max_acu,
                default_database_name=database_name,
                backup=rds.BackupProps(retention=backup_retention),
                parameter_group=self.parameter_group,
                **shared,
            )
            if aws_backup:
                acknowledge_aurora_members(cluster)
            self.cluster = cluster
            self._database = cluster
            self.endpoint_address = cluster.cluster_endpoint.hostname
            proxy_target = rds.ProxyTarget.from_cluster(cluster)
        # RDS writes to the log groups as soon as the database exists: they are created first.
        for group in self.log_groups.values():
            self._database.node.add_dependency(group)
        self.secret = _must(self._database.secret)

        self._scope_monitoring_policy()
        self.backup_plan: backup.BackupPlan | None = (
            add_backup_plan(self, self._database, self.kms_key, aws_backup_retention) if aws_backup else None
        )
        """The AWS Backup plan making daily copies kept ``aws_backup_retention``, or ``None`` without
        ``aws_backup``."""
        self.rotation: secretsmanager.SecretRotation
        """The single-user rotation of ``secret``, every ``rotation_interval``."""
        self.secrets_manager_endpoint: ec2.InterfaceVpcEndpoint | None
        """The Secrets Manager interface endpoint made for the rotation function when the VPC has no
        private subnets and neither ``rotation_subnets`` nor ``secrets_manager_endpoint`` is given; else
        ``None``."""
        self.rotation, self.secrets_manager_endpoint = add_rotation(
            self,
            secret=self.secret,
            database=self._db_connections,
            vpc=vpc,
            db_subnets=subnets,
            rotation_subnets=rotation_subnets,
            endpoint=secrets_manager_endpoint,
            interval=rotation_interval,
        )

        self.proxy: rds.DatabaseProxy | None = None
        """The RDS Proxy with ``proxy=True``, else ``None``."""
        self.connections: ec2.Connections = self._db_connections
        """What clients connect to (the proxy's with ``proxy=True``), on ``endpoint_port``; prefer
        ``allow_from()``, which opens that port only."""
        if proxy:
            self.proxy, self.connections = add_proxy(
                self,
                vpc=vpc,
                subnets=subnets,
                target=proxy_target,
                secret=self.secret,
                key=self.kms_key,
                database=self._db_connections,
                database_security_group=self.security_group,
                iam_auth=proxy_iam_auth,
            )
            self.endpoint_address = self.proxy.endpoint
            self.endpoint_port = PROXY_PORT
            self.iam_auth_required = proxy_iam_auth

        self.alarm_topic: sns.ITopic = alarm_topic or new_alarm_topic(self, self.kms_key, owner=self)
        """The SNS topic the alarms notify (``alarm_topic`` as given, else a new one encrypted with
        ``kms_key``)."""
        self.alarms: list[cloudwatch.Alarm] = add_alarms(self, self.alarm_topic, self._database, checked)
        """Every alarm of the database (CPU, memory, connections, storage or Serverless capacity); each
        notifies ``alarm_topic`` when it goes off and when it is OK again."""

        if not multi_az:
            self._acknowledge_single_az()
        if not aws_backup:
            acknowledge_no_aws_backup(self._monitored_instances())

    # --- public API -------------------------------------------------------------------------

    def allow_from(self, peer: ec2.IConnectable, description: str | None = None) -> None:
        """Open the database port (or the proxy's) to ``peer``'s security groups, and nothing else."""
        self.connections.allow_default_port_from(
            peer, description or "allowed by PostgresDatabase.allow_from"
        )

    def grant_connect(self, grantee: iam.IGrantable, db_user: str | None = None) -> iam.Grant:
        """Let ``grantee`` connect with IAM database authentication as ``db_user``.

        :param db_user: the PostgreSQL role to log in as (it needs ``GRANT rds_iam``; through a proxy,
            only the master user, whose secret the proxy holds). :default: - the master user
        :raises ValidationError: through a proxy that accepts passwords only (``proxy_iam_auth=False``),
            or as a user the proxy holds no secret for.
        """
        user = db_user or self.master_username
        if self.proxy is None:
            return self._database.grant_connect(grantee, user)
        p = Problems()
        if not self.iam_auth_required:
            p.add(
                "db_user",
                user,
                "the RDS Proxy accepts passwords only (proxy_iam_auth=False), so it refuses an IAM token",
                "create the PostgresDatabase with proxy_iam_auth=True, or sign in with the secret's password "
                "(no iam_database_user / grant_connect)",
            )
        elif not Token.is_unresolved(user) and user != self.master_username:
            p.add(
                "db_user",
                user,
                f"the RDS Proxy holds only the master user's secret ({self.master_username!r}) and "
                "authenticates no other user",
                f"connect as {self.master_username!r}",
            )
        p.raise_if_any(self)
        return self.proxy.grant_connect(grantee, user)

    def grant_secret_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the master secret (and decrypt it with the key), nothing else."""
        return self.secret.grant_read(grantee)

    # --- building blocks --------------------------------------------------------------------

    def _monitored_instances(self) -> list[rds.CfnDBInstance]:
        if self.instance is not None:
            return [cast(rds.CfnDBInstance, self.instance.node.default_child)]
        cluster = _must(self.cluster)
        return [child for child in cluster.node.find_all() if isinstance(child, rds.CfnDBInstance)]

    def _parameter_group(self, engine: rds.IEngine, slow_query_threshold: Duration) -> rds.ParameterGroup:
        """``Parameters`` for ``engine`` (RDS PostgreSQL or Aurora PostgreSQL): TLS forced, SCRAM passwords,
        connections and statements slower than ``slow_query_threshold`` logged."""
        return rds.ParameterGroup(
            self,
            "Parameters",
            engine=engine,
            description=f"{self.node.path}: TLS forced, slow queries and connections logged",
            parameters={
                "rds.force_ssl": "1",
                "log_min_duration_statement": str(int(slow_query_threshold.to_milliseconds())),
                "log_connections": "1",
                "log_disconnections": "1",
                "password_encryption": "scram-sha-256",
            },
        )

    def _scope_monitoring_policy(self) -> None:
        """What the AWS managed AmazonRDSEnhancedMonitoringRole allows, narrowed to this account's and
        region's ``RDSOSMetrics`` log group, attached before RDS creates the database.

        RDS checks the role's permissions when it creates the instance, so the policy must exist by
        then and cannot name the stream RDS writes to: the stream is named after the instance's
        ``DbiResourceId``, which exists only once the instance does. Hence the stream wildcard,
        acknowledged on this one policy.
        """
        stack = Stack.of(self)
        group = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="RDSOSMetrics",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        streams = f"{group}:log-stream:*"
        policy = iam.ManagedPolicy(
            self,
            "MonitoringPolicy",
            description=f"{self.node.path}: enhanced monitoring writes to the RDSOSMetrics log group",
            roles=[self.monitoring_role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DescribeLogStreams"],
                    resources=[group],
                ),
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:GetLogEvents"],
                    resources=[streams],
                ),
            ],
        )
        for database in self._monitored_instances():
            database.node.add_dependency(policy)
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{nag_resource(stack, streams)}]",
            "RDS checks the enhanced-monitoring role's permissions when it creates the instance, and names "
            "the instance's log stream after its DbiResourceId, which exists only once the instance does: "
            "a policy that works at create cannot name the stream. The wildcard is limited to streams of "
            "the RDSOSMetrics group of this account and region, and only RDS enhanced monitoring can "
            "assume the role.",
        )

    def _acknowledge_single_az(self) -> None:
        """The packs' Multi-AZ rules look at RDS instances; a single-reader Aurora cluster raises none."""
        if self.instance is None:
            return
        for rule in _SINGLE_AZ_RULES:
            acknowledge(
                self.instance,
                rule,
                "multi_az=False was chosen on PostgresDatabase (a cost profile for non-production); "
                "set multi_az=True to add a standby in a second AZ",
            )


_SINGLE_AZ_RULES = (
    "AwsSolutions-RDS3",
    "HIPAA.Security-RDSMultiAZSupport",
    "NIST.800.53.R5-RDSMultiAZSupport",
    "PCI.DSS.321-RDSMultiAZSupport",
)

_T = TypeVar("_T")


def _must(value: _T | None) -> _T:
    if value is None:  # pragma: no cover - aws-cdk-lib always creates these for generated credentials
        raise RuntimeError("expected aws-cdk-lib to create this resource")
    return value


def _identifier(scope: Construct) -> str:
    """A stable, valid RDS identifier (<= 63 chars, letter first, no double hyphen).

    It is fixed rather than generated by CloudFormation so that the log groups can be created, with
    retention and encryption, before RDS writes to them.
    """
    raw = Names.unique_resource_name(scope, max_length=60, separator="-").lower()
    clean = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", raw)).strip("-")
    return clean if clean[:1].isalpha() else f"db-{clean}"[:63].rstrip("-")
