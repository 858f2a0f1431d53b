"""PostgresDatabase: a production PostgreSQL on RDS (or Aurora Serverless v2), secure by construction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from aws_cdk import ArnFormat, Duration, Names, RemovalPolicy, Stack, Token
from aws_cdk import aws_backup as backup
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_casemgmt import _defaults
from cdk_casemgmt._defaults import DATABASE
from cdk_casemgmt.compliance import acknowledge
from cdk_casemgmt.errors import Problems
from cdk_casemgmt.network import allow_logs_service

__all__ = ["PostgresDatabase", "ServerlessV2Capacity"]


@dataclass(frozen=True)
class ServerlessV2Capacity:
    """Aurora PostgreSQL Serverless v2 capacity, in Aurora capacity units (1 ACU is about 2 GiB).

    :param min_acu: lowest capacity, 0.5 to 256 in steps of 0.5. :default: 0.5
    :param max_acu: highest capacity, ``min_acu`` to 256 in steps of 0.5. :default: 4
    """

    min_acu: float = DATABASE.serverless_min_acu
    max_acu: float = DATABASE.serverless_max_acu


class PostgresDatabase(Construct):
    """A production PostgreSQL: RDS instance by default, Aurora Serverless v2 on request.

    Defaults: PostgreSQL 17 (minor upgrades automatic, RDS Extended Support never enabled silently),
    ``db.t4g.medium`` Multi-AZ, gp3 20 GiB growing to 100 GiB, everything encrypted with a
    customer-managed KMS key (rotation on), TLS forced, slow-query logging, log exports to
    KMS-encrypted log groups with retention, enhanced monitoring, Performance Insights, 7-day
    backups, deletion protection, SNAPSHOT on removal, isolated subnets, a security group with no
    ingress until :meth:`allow_from`, generated master credentials rotated every 30 days, IAM database
    authentication, and alarms on CPU, storage, memory and connections.

    :param scope: parent construct.
    :param id: construct id; part of every logical ID below it (public API: do not rename).
    :param vpc: the VPC to place the database in.
    :param vpc_subnets: where the database lives. :default: - the VPC's isolated subnets
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
    :param proxy: put an RDS Proxy (TLS required, IAM authentication) in front of the database;
        :attr:`connections` and :attr:`endpoint_address` then point at the proxy. :default: False
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
        deletion_protection: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.SNAPSHOT,
        kms_key: kms.IKey | None = None,
        rotation_interval: Duration = DATABASE.rotation_interval,
        rotation_subnets: ec2.SubnetSelection | None = None,
        secrets_manager_endpoint: ec2.IInterfaceVpcEndpoint | None = None,
        proxy: bool = False,
        log_retention: logs.RetentionDays = DATABASE.log_retention,
        slow_query_threshold: Duration = Duration.millis(DATABASE.slow_query_threshold_ms),
        apply_immediately: bool = False,
        alarm_topic: sns.ITopic | None = None,
        aws_backup: bool = True,
        aws_backup_retention: Duration = Duration.days(35),
    ) -> None:
        super().__init__(scope, id)
        _validate(
            self,
            engine_version=engine_version,
            instance_class=instance_class,
            serverless_v2=serverless_v2,
            port=port,
            database_name=database_name,
            allocated_storage_gib=allocated_storage_gib,
            max_allocated_storage_gib=max_allocated_storage_gib,
            backup_retention=backup_retention,
            rotation_interval=rotation_interval,
        )
        stack = Stack.of(self)
        self.vpc = vpc
        self.port = port
        self.database_name = database_name
        self.is_serverless = serverless_v2 is not None
        self.instance_class = None if serverless_v2 else instance_class
        subnets = vpc_subnets or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)

        self.kms_key: kms.IKey = kms_key or kms.Key(
            self,
            "Key",
            description=f"{self.node.path}: storage, Performance Insights, logs, secret and alarms",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Exported logs and the alarm topic are encrypted with the key too.
        allow_logs_service(self.kms_key)
        self.kms_key.grant(
            iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*"
        )

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"{self.node.path}: PostgreSQL on {port}; ingress only through allow_from()",
            allow_all_outbound=False,
        )
        # A literal port keeps the rules readable for reviewers and for cdk-nag (no {IndirectPort}).
        self._db_connections = ec2.Connections(
            security_groups=[self.security_group], default_port=ec2.Port.tcp(port)
        )

        self.secret: secretsmanager.ISecret
        self.instance: rds.DatabaseInstance | None = None
        self.cluster: rds.DatabaseCluster | None = None
        identifier = _identifier(self)
        log_types = ["postgresql", "upgrade"] if serverless_v2 is None else ["postgresql"]
        kind = "instance" if serverless_v2 is None else "cluster"
        self.log_groups = {
            log_type: logs.LogGroup(
                self,
                f"Logs{log_type.capitalize()}",
                log_group_name=f"/aws/rds/{kind}/{identifier}/{log_type}",
                retention=log_retention,
                encryption_key=self.kms_key,
                removal_policy=RemovalPolicy.RETAIN,
            )
            for log_type in log_types
        }
        self.monitoring_role = iam.Role(
            self,
            "MonitoringRole",
            assumed_by=iam.ServicePrincipal("monitoring.rds.amazonaws.com"),
            description=f"{self.node.path}: RDS enhanced monitoring publishes OS metrics",
        )
        parameters = {
            "rds.force_ssl": "1",
            "log_min_duration_statement": str(int(slow_query_threshold.to_milliseconds())),
            "log_connections": "1",
            "log_disconnections": "1",
            "password_encryption": "scram-sha-256",
        }
        credentials = rds.Credentials.from_generated_secret(
            master_username, encryption_key=self.kms_key, exclude_characters=_EXCLUDED_PASSWORD_CHARACTERS
        )
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

        if serverless_v2 is None:
            engine = rds.DatabaseInstanceEngine.postgres(version=engine_version)
            self.parameter_group = rds.ParameterGroup(
                self,
                "Parameters",
                engine=engine,
                description=f"{self.node.path}: TLS forced, slow queries and connections logged",
                parameters=parameters,
            )
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
                enable_performance_insights=True,
                performance_insight_encryption_key=self.kms_key,
                backup_retention=backup_retention,
                auto_minor_version_upgrade=True,
                allow_major_version_upgrade=False,
                publicly_accessible=False,
                ca_certificate=rds.CaCertificate.RDS_CA_RSA2048_G1,
                apply_immediately=apply_immediately,
                parameter_group=self.parameter_group,
                **shared,
            )
            for group in self.log_groups.values():
                instance.node.add_dependency(group)
            self.instance = instance
            self.secret = _must(instance.secret)
            self._resource: Construct = instance
            self.endpoint_address: str = instance.db_instance_endpoint_address
            proxy_target = rds.ProxyTarget.from_instance(instance)
        else:
            cluster_engine = rds.DatabaseClusterEngine.aurora_postgres(version=aurora_engine_version)
            self.parameter_group = rds.ParameterGroup(
                self,
                "Parameters",
                engine=cluster_engine,
                description=f"{self.node.path}: TLS forced, slow queries and connections logged",
                parameters=parameters,
            )
            instance_options: dict[str, Any] = {
                "auto_minor_version_upgrade": True,
                "enable_performance_insights": True,
                "performance_insight_encryption_key": self.kms_key,
                "publicly_accessible": False,
                "ca_certificate": rds.CaCertificate.RDS_CA_RSA2048_G1,
                "apply_immediately": apply_immediately,
            }
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
            for group in self.log_groups.values():
                cluster.node.add_dependency(group)
            if aws_backup:
                for member in (
                    c for c in cluster.node.children if isinstance(c.node.default_child, rds.CfnDBInstance)
                ):
                    for pack in ("HIPAA.Security", "NIST.800.53.R5"):
                        acknowledge(
                            member,
                            f"{pack}-RDSInBackupPlan",
                            "AWS Backup backs Aurora up per cluster, never per instance: the cluster is in "
                            "this construct's BackupPlan",
                        )
            self.cluster = cluster
            self.secret = _must(cluster.secret)
            self._resource = cluster
            self.endpoint_address = cluster.cluster_endpoint.hostname
            proxy_target = rds.ProxyTarget.from_cluster(cluster)

        self._scope_monitoring_policy()
        self.backup_plan = self._add_backup_plan(aws_backup_retention) if aws_backup else None
        self.rotation = self._add_rotation(
            vpc, subnets, rotation_subnets, secrets_manager_endpoint, rotation_interval
        )

        self.proxy: rds.DatabaseProxy | None = None
        self.connections = self._db_connections
        if proxy:
            proxy_sg = ec2.SecurityGroup(
                self,
                "ProxySecurityGroup",
                vpc=vpc,
                description=f"{self.node.path}: RDS Proxy on 5432; ingress only through allow_from()",
                allow_all_outbound=False,
            )
            proxy_role = iam.Role(
                self,
                "ProxyRole",
                assumed_by=iam.ServicePrincipal("rds.amazonaws.com"),
                description=f"{self.node.path}: RDS Proxy reads the database secret",
            )
            # The proxy's own grants would land in an inline policy (IAMNoInlinePolicy): use a
            # customer-managed policy that names the one secret and key instead.
            iam.ManagedPolicy(
                self,
                "ProxyPolicy",
                description=f"{self.node.path}: RDS Proxy reads the database secret",
                roles=[proxy_role],
                statements=[
                    iam.PolicyStatement(
                        actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                        resources=[self.secret.secret_arn],
                    ),
                    iam.PolicyStatement(
                        actions=["kms:Decrypt"],
                        resources=[self.kms_key.key_arn],
                        conditions={
                            "StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"}
                        },
                    ),
                ],
            )
            self.proxy = rds.DatabaseProxy(
                self,
                "Proxy",
                role=proxy_role.without_policy_updates(),
                proxy_target=proxy_target,
                vpc=vpc,
                vpc_subnets=subnets,
                security_groups=[proxy_sg],
                secrets=[self.secret],
                require_tls=True,
                iam_auth=True,
                debug_logging=False,
            )
            proxy_connections = ec2.Connections(security_groups=[proxy_sg], default_port=ec2.Port.tcp(5432))
            _drop_indirect_port_rules(self.security_group)
            self._db_connections.allow_default_port_from(proxy_connections, "RDS Proxy to the database")
            self.connections = proxy_connections
            self.endpoint_address = self.proxy.endpoint

        self.alarm_topic: sns.ITopic = alarm_topic or sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"{self.node.path} alarms",
            master_key=self.kms_key,
            enforce_ssl=True,
        )
        self.alarms = self._add_alarms(serverless_v2, allocated_storage_gib, instance_class)

        if not multi_az:
            self._acknowledge_single_az()
        if not aws_backup:
            for member in self._monitored_instances():
                for pack in ("HIPAA.Security", "NIST.800.53.R5"):
                    acknowledge(
                        member,
                        f"{pack}-RDSInBackupPlan",
                        "aws_backup=False was chosen on PostgresDatabase: only RDS automated backups "
                        "(backup_retention) protect this database; set aws_backup=True for daily AWS "
                        "Backup copies",
                    )

    # --- public API -------------------------------------------------------------------------

    def allow_from(self, peer: ec2.IConnectable, description: str | None = None) -> None:
        """Open the database port (or the proxy's) to ``peer``'s security groups, and nothing else."""
        self.connections.allow_default_port_from(
            peer, description or "allowed by PostgresDatabase.allow_from"
        )

    def grant_connect(self, grantee: iam.IGrantable, db_user: str | None = None) -> iam.Grant:
        """Let ``grantee`` connect with IAM database authentication as ``db_user``.

        :param db_user: the PostgreSQL role to log in as (it needs ``GRANT rds_iam``).
            :default: - the master user
        """
        user = db_user or DATABASE.master_username
        if self.proxy is not None:
            return self.proxy.grant_connect(grantee, user)
        if self.instance is not None:
            return self.instance.grant_connect(grantee, user)
        return _must(self.cluster).grant_connect(grantee, user)

    def grant_secret_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the master secret (and decrypt it with the key), nothing else."""
        return self.secret.grant_read(grantee)

    # --- building blocks --------------------------------------------------------------------

    def _add_rotation(
        self,
        vpc: ec2.IVpc,
        db_subnets: ec2.SubnetSelection,
        rotation_subnets: ec2.SubnetSelection | None,
        endpoint: ec2.IInterfaceVpcEndpoint | None,
        interval: Duration,
    ) -> secretsmanager.SecretRotation:
        # The rotation function must reach both the database and Secrets Manager.
        self.secrets_manager_endpoint: ec2.InterfaceVpcEndpoint | None = None
        if rotation_subnets is None and endpoint is None:
            if vpc.private_subnets:
                rotation_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
            else:
                self.secrets_manager_endpoint = ec2.InterfaceVpcEndpoint(
                    self,
                    "SecretsManagerEndpoint",
                    vpc=vpc,
                    service=ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
                    subnets=db_subnets,
                    private_dns_enabled=True,
                    open=False,
                )
                endpoint = self.secrets_manager_endpoint
        rotation_sg = ec2.SecurityGroup(
            self,
            "RotationSecurityGroup",
            vpc=vpc,
            description=f"{self.node.path}: secret rotation function",
            allow_all_outbound=True,
        )
        if self.secrets_manager_endpoint is not None:
            self.secrets_manager_endpoint.connections.allow_from(
                rotation_sg, ec2.Port.tcp(443), "secret rotation function to Secrets Manager"
            )
        # SecretRotation directly (not add_rotation_single_user) so the ingress rule it adds uses our
        # literal port instead of the instance's {IndirectPort} token.
        rotation = secretsmanager.SecretRotation(
            self,
            "Rotation",
            application=secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
            secret=self.secret,
            target=self._db_connections,
            vpc=vpc,
            vpc_subnets=rotation_subnets or db_subnets,
            endpoint=endpoint,
            automatically_after=interval,
            exclude_characters=_EXCLUDED_PASSWORD_CHARACTERS,
            security_group=rotation_sg,
        )
        return rotation

    def _monitored_instances(self) -> list[rds.CfnDBInstance]:
        if self.instance is not None:
            return [cast(rds.CfnDBInstance, self.instance.node.default_child)]
        cluster = _must(self.cluster)
        return [child for child in cluster.node.find_all() if isinstance(child, rds.CfnDBInstance)]

    def _scope_monitoring_policy(self) -> None:
        """What the AWS managed AmazonRDSEnhancedMonitoringRole allows, narrowed to our instances'
        log streams in the RDSOSMetrics group (RDS names each stream after the DbiResourceId)."""
        stack = Stack.of(self)
        group = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="RDSOSMetrics",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        streams = [f"{group}:log-stream:{db.attr_dbi_resource_id}" for db in self._monitored_instances()]
        iam.ManagedPolicy(
            self,
            "MonitoringPolicy",
            description=f"{self.node.path}: enhanced monitoring writes to its own RDSOSMetrics streams",
            roles=[self.monitoring_role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DescribeLogStreams"],
                    resources=[group],
                ),
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:GetLogEvents"],
                    resources=streams,
                ),
            ],
        )

    def _add_backup_plan(self, retention: Duration) -> backup.BackupPlan:
        """AWS Backup daily copies with long retention, in a vault encrypted with the key."""
        stack = Stack.of(self)
        vault = backup.BackupVault(
            self, "BackupVault", encryption_key=self.kms_key, removal_policy=RemovalPolicy.RETAIN
        )
        plan = backup.BackupPlan(self, "BackupPlan", backup_vault=vault)
        plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Daily",
                schedule_expression=events.Schedule.cron(minute="0", hour="5"),
                delete_after=retention,
            )
        )
        if self.instance is not None:
            resource_arn = self.instance.instance_arn
            target = backup.BackupResource.from_rds_database_instance(self.instance)
            snapshot_arn = stack.format_arn(
                service="rds",
                resource="snapshot",
                resource_name="awsbackup:job-*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            actions = ["rds:CreateDBSnapshot", "rds:CopyDBSnapshot", "rds:DeleteDBSnapshot"]
            describe = ["rds:DescribeDBInstances", "rds:DescribeDBSnapshots"]
        else:
            cluster = _must(self.cluster)
            resource_arn = cluster.cluster_arn
            target = backup.BackupResource.from_rds_serverless_cluster(cluster)
            snapshot_arn = stack.format_arn(
                service="rds",
                resource="cluster-snapshot",
                resource_name="awsbackup:job-*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            actions = [
                "rds:CreateDBClusterSnapshot",
                "rds:CopyDBClusterSnapshot",
                "rds:DeleteDBClusterSnapshot",
            ]
            describe = ["rds:DescribeDBClusters", "rds:DescribeDBClusterSnapshots"]
        role = iam.Role(
            self,
            "BackupRole",
            assumed_by=iam.ServicePrincipal("backup.amazonaws.com"),
            description=f"{self.node.path}: AWS Backup snapshots this database only",
        )
        policy = iam.ManagedPolicy(
            self,
            "BackupPolicy",
            description=f"{self.node.path}: AWS Backup snapshots this database only",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=[*actions, *describe, "rds:AddTagsToResource", "rds:ListTagsForResource"],
                    resources=[resource_arn, snapshot_arn],
                ),
                iam.PolicyStatement(
                    actions=["kms:DescribeKey", "kms:CreateGrant"],
                    resources=[self.kms_key.key_arn],
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

    def _add_alarms(
        self, serverless: ServerlessV2Capacity | None, storage_gib: int, instance_class: str
    ) -> list[cloudwatch.Alarm]:
        dimension = (
            {"DBInstanceIdentifier": _must(self.instance).instance_identifier}
            if self.instance is not None
            else {"DBClusterIdentifier": _must(self.cluster).cluster_identifier}
        )

        def metric(name: str, statistic: str = "Average") -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/RDS",
                metric_name=name,
                dimensions_map=dimension,
                statistic=statistic,
                period=Duration.minutes(5),
            )

        def alarm(
            id: str, m: cloudwatch.Metric, threshold: float, op: cloudwatch.ComparisonOperator, what: str
        ) -> cloudwatch.Alarm:
            a = cloudwatch.Alarm(
                self,
                id,
                metric=m,
                threshold=threshold,
                comparison_operator=op,
                evaluation_periods=3,
                datapoints_to_alarm=3,
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING
                if id == "ConnectionsAlarm"
                else cloudwatch.TreatMissingData.MISSING,
                alarm_description=f"{self.node.path}: {what}",
            )
            a.add_alarm_action(cw_actions.SnsAction(self.alarm_topic))
            a.add_ok_action(cw_actions.SnsAction(self.alarm_topic))
            return a

        gt = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
        lt = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
        gib = 1024**3
        alarms = [
            alarm(
                "CpuAlarm",
                metric("CPUUtilization"),
                DATABASE.cpu_alarm_percent,
                gt,
                f"CPU above {DATABASE.cpu_alarm_percent}% for 15 minutes",
            )
        ]
        if serverless is None:
            _, memory_gib = _class_size(instance_class)
            max_connections = min(memory_gib * gib // 9531392, 5000)  # RDS default max_connections
            alarms += [
                alarm(
                    "FreeStorageAlarm",
                    metric("FreeStorageSpace", "Minimum"),
                    storage_gib * gib * DATABASE.free_storage_alarm_percent / 100,
                    lt,
                    f"free storage below {DATABASE.free_storage_alarm_percent}% of the allocated "
                    f"{storage_gib} GiB (autoscaling may be at its ceiling)",
                ),
                alarm(
                    "FreeableMemoryAlarm",
                    metric("FreeableMemory", "Minimum"),
                    memory_gib * gib * DATABASE.freeable_memory_alarm_percent / 100,
                    lt,
                    f"freeable memory below {DATABASE.freeable_memory_alarm_percent}% of {memory_gib} GiB",
                ),
                alarm(
                    "ConnectionsAlarm",
                    metric("DatabaseConnections", "Maximum"),
                    max_connections * DATABASE.connections_alarm_percent // 100,
                    gt,
                    f"connections above {DATABASE.connections_alarm_percent}% of max_connections "
                    f"({max_connections})",
                ),
            ]
        else:
            alarms += [
                alarm(
                    "CapacityAlarm",
                    metric("ACUUtilization"),
                    DATABASE.acu_utilization_alarm_percent,
                    gt,
                    f"Serverless v2 capacity above {DATABASE.acu_utilization_alarm_percent}% of "
                    f"{serverless.max_acu} ACU",
                ),
                alarm(
                    "FreeableMemoryAlarm",
                    metric("FreeableMemory", "Minimum"),
                    serverless.min_acu * 2 * gib * DATABASE.freeable_memory_alarm_percent / 100,
                    lt,
                    "freeable memory low for the minimum capacity",
                ),
                alarm(
                    "ConnectionsAlarm",
                    metric("DatabaseConnections", "Maximum"),
                    int(min(serverless.max_acu * 2 * gib // 9531392, 5000))
                    * DATABASE.connections_alarm_percent
                    // 100,
                    gt,
                    "connections near max_connections at the maximum capacity",
                ),
            ]
        return alarms

    def _acknowledge_single_az(self) -> None:
        reason = (
            "multi_az=False was chosen on PostgresDatabase (a cost profile for non-production); "
            "set multi_az=True to add a standby in a second AZ"
        )
        if self.instance is not None:
            target: Construct = self.instance
            rules = [
                "AwsSolutions-RDS3",
                "HIPAA.Security-RDSMultiAZSupport",
                "NIST.800.53.R5-RDSMultiAZSupport",
                "PCI.DSS.321-RDSMultiAZSupport",
            ]
        else:
            target = _must(self.cluster)
            rules = []
        for rule in rules:
            acknowledge(target, rule, reason)


_EXCLUDED_PASSWORD_CHARACTERS = " %+~`#$&*()|[]{}:;<>?!'/@\"\\"


_T = TypeVar("_T")


def _must(value: _T | None) -> _T:
    if value is None:  # pragma: no cover - aws-cdk-lib always creates these for generated credentials
        raise RuntimeError("expected aws-cdk-lib to create this resource")
    return value


def _drop_indirect_port_rules(group: ec2.SecurityGroup) -> None:
    """Remove ingress rules aws-cdk-lib added with the database port as a token.

    A ``{IndirectPort}`` rule is correct at deploy time but unreadable at synth: reviewers and the
    compliance packs cannot tell it from an open SSH port. Callers add the same rule with the
    literal port instead.
    """
    for child in list(group.node.children):
        if "{IndirectPort}" in child.node.id:
            group.node.try_remove_child(child.node.id)


def _nag_arn(stack: Stack, resource_parts: list[str]) -> str:
    """An RDS ARN as cdk-nag prints it in a granular finding id: pseudo parameters it cannot resolve
    appear as ``<AWS::Partition>``, ``<AWS::Region>``, ``<AWS::AccountId>``."""

    def text(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    partition = text(stack.partition, "Partition")
    region = text(stack.region, "Region")
    account = text(stack.account, "AccountId")
    return f"arn:{partition}:rds:{region}:{account}:{':'.join(resource_parts)}"


def _identifier(scope: Construct) -> str:
    """A stable, valid RDS identifier (<= 63 chars, letter first, no double hyphen).

    It is fixed rather than generated by CloudFormation so that the log groups can be created, with
    retention and encryption, before RDS writes to them.
    """
    raw = Names.unique_resource_name(scope, max_length=60, separator="-").lower()
    clean = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", raw)).strip("-")
    return clean if clean[:1].isalpha() else f"db-{clean}"[:63].rstrip("-")


def _class_size(instance_class: str) -> tuple[int, int]:
    _, family, size = instance_class.split(".", 2)
    return _defaults.POSTGRES_INSTANCE_CLASSES[family][size]


def _validate(
    scope: Construct,
    *,
    engine_version: rds.PostgresEngineVersion,
    instance_class: str,
    serverless_v2: ServerlessV2Capacity | None,
    port: int,
    database_name: str,
    allocated_storage_gib: int,
    max_allocated_storage_gib: int,
    backup_retention: Duration,
    rotation_interval: Duration,
) -> None:
    p = Problems()
    lo_days, hi_days = _defaults.BACKUP_RETENTION_DAYS_RANGE
    if not Token.is_unresolved(backup_retention.to_hours()):
        hours = backup_retention.to_hours()
        if hours % 24 or not lo_days <= hours // 24 <= hi_days:
            p.add(
                "backup_retention",
                backup_retention,
                f"must be a whole number of days from {lo_days} to {hi_days}",
                "pass e.g. Duration.days(7)",
            )
    if not Token.is_unresolved(rotation_interval.to_hours()):
        hours = rotation_interval.to_hours()
        if hours % 24 or not 1 <= hours // 24 <= 1000:
            p.add(
                "rotation_interval",
                rotation_interval,
                "Secrets Manager rotates every 1 to 1000 whole days",
                "pass e.g. Duration.days(30)",
            )
    if not Token.is_unresolved(port) and (not isinstance(port, int) or not 1150 <= port <= 65535):
        p.add("port", port, "RDS accepts ports 1150 to 65535", "pass e.g. port=5433")
    if not Token.is_unresolved(database_name) and not re.fullmatch(
        r"[A-Za-z][A-Za-z0-9_]{0,62}", database_name
    ):
        p.add(
            "database_name",
            database_name,
            "must start with a letter and hold only letters, digits and _ (at most 63)",
            "pass e.g. database_name='app'",
        )
    if serverless_v2 is None:
        _validate_instance(
            p, engine_version, instance_class, allocated_storage_gib, max_allocated_storage_gib
        )
    else:
        _validate_capacity(p, serverless_v2)
    p.raise_if_any(scope)


def _validate_instance(
    p: Problems,
    engine_version: rds.PostgresEngineVersion,
    instance_class: str,
    allocated: int,
    maximum: int,
) -> None:
    full = engine_version.postgres_full_version
    major = engine_version.postgres_major_version
    known = {
        getattr(rds.PostgresEngineVersion, name).postgres_full_version
        for name in dir(rds.PostgresEngineVersion)
        if name.startswith("VER_")
    }
    if full not in known:
        p.add(
            "engine_version",
            full,
            "aws-cdk-lib does not know this PostgreSQL version",
            "use a PostgresEngineVersion constant, e.g. PostgresEngineVersion.VER_17_9",
        )
    elif major in _defaults.POSTGRES_END_OF_STANDARD_SUPPORT:
        p.add(
            "engine_version",
            full,
            f"PostgreSQL {major} left RDS standard support on "
            f"{_defaults.POSTGRES_END_OF_STANDARD_SUPPORT[major]}: new instances are refused or billed "
            "for Extended Support",
            "use PostgresEngineVersion.VER_17_9 or newer",
        )
    elif full == major:
        p.add(
            "engine_version",
            full,
            "a major version alone resolves to whatever minor RDS picks, and may be one RDS no longer "
            "offers for new instances",
            f"pin a minor, e.g. PostgresEngineVersion.VER_{major}_<minor>; minor upgrades stay automatic",
        )

    match = re.fullmatch(r"db\.([a-z0-9]+)\.([a-z0-9]+)", instance_class or "")
    if not match:
        p.add(
            "instance_class",
            instance_class,
            "expected an RDS instance class such as 'db.t4g.medium'",
            "pass instance_class='db.t4g.medium'",
        )
    else:
        family, size = match.groups()
        sizes = _defaults.POSTGRES_INSTANCE_CLASSES.get(family)
        if sizes is None:
            p.add(
                "instance_class",
                instance_class,
                f"RDS PostgreSQL does not offer the {family} family (known: "
                f"{', '.join(sorted(_defaults.POSTGRES_INSTANCE_CLASSES))})",
                "pick a family from that list, e.g. db.t4g.medium or db.m7g.large",
            )
        elif size not in sizes:
            p.add(
                "instance_class",
                instance_class,
                f"the {family} family comes in {', '.join(sizes)}",
                f"pick one of those sizes, e.g. db.{family}.{next(iter(sizes))}",
            )

    lo, hi = _defaults.STORAGE_GIB_RANGE
    for prop, value in (("allocated_storage_gib", allocated), ("max_allocated_storage_gib", maximum)):
        if Token.is_unresolved(value):
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            p.add(
                prop, value, f"gp3 storage is a whole number of GiB from {lo} to {hi}", f"pass e.g. {prop}=20"
            )
    if (
        isinstance(allocated, int)
        and isinstance(maximum, int)
        and not Token.is_unresolved(allocated)
        and not Token.is_unresolved(maximum)
        and maximum < allocated
    ):
        p.add(
            "max_allocated_storage_gib",
            maximum,
            f"is below allocated_storage_gib={allocated}",
            f"pass max_allocated_storage_gib >= {allocated} (or equal to turn storage autoscaling off)",
        )


def _validate_capacity(p: Problems, capacity: ServerlessV2Capacity) -> None:
    lo, hi = _defaults.SERVERLESS_ACU_RANGE
    for prop, value in (
        ("serverless_v2.min_acu", capacity.min_acu),
        ("serverless_v2.max_acu", capacity.max_acu),
    ):
        if Token.is_unresolved(value):
            continue
        if not isinstance(value, (int, float)) or not lo <= value <= hi or (value * 2) % 1:
            p.add(
                prop,
                value,
                f"Serverless v2 capacity is {lo} to {hi} ACU in steps of 0.5",
                f"pass e.g. {prop}=0.5",
            )
    if (
        isinstance(capacity.min_acu, (int, float))
        and isinstance(capacity.max_acu, (int, float))
        and capacity.min_acu > capacity.max_acu
    ):
        p.add(
            "serverless_v2",
            capacity,
            f"min_acu ({capacity.min_acu}) is above max_acu ({capacity.max_acu})",
            "make min_acu <= max_acu",
        )
