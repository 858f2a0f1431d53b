"""SecureFargateApi: a container API on Fargate behind an Application Load Balancer, safe to deploy and run.

What it bundles, and why each default is what it is, is in ``docs/secure-fargate-api.md``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Protocol, runtime_checkable

from aws_cdk import (
    ArnFormat,
    CfnMapping,
    Duration,
    Names,
    RemovalPolicy,
    Size,
    Stack,
    Token,
)
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk_casemgmt._cloudfront import CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS
from cdk_casemgmt._iam import ManagedPolicyRole
from cdk_casemgmt.compliance import acknowledge
from cdk_casemgmt.errors import Problems, ValidationError
from cdk_casemgmt.network import NatGateways, SecureVpc, allow_logs_service

__all__ = [
    "CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS",
    "FARGATE_CPU_MEMORY",
    "ApiIngress",
    "ConnectableDatabase",
    "NatGateways",
    "SecureFargateApi",
]


class ApiIngress(str, Enum):
    """Who can reach the API's load balancer (DECISIONS §2)."""

    PRIVATE = "private"
    """Internal ALB, reachable from inside the VPC (and from CloudFront once a CdnFrontend points at it)."""
    CLOUDFRONT = "cloudfront"
    """Internal ALB reachable only from CloudFront's origin-facing servers (``enable_cloudfront_ingress``)."""
    PUBLIC = "public"
    """Internet-facing ALB: HTTPS on 443 open to the world, port 80 redirecting to it. Needs a certificate."""


# Fargate's valid task sizes: cpu units -> allowed memory (MiB). Source: the ECS developer guide's
# "Task CPU and memory" table (Linux). ARM64 supports the same sizes.
FARGATE_CPU_MEMORY: Mapping[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

_PREFIX_LIST_MAPPING_ID = "CloudFrontOriginFacingPrefixList"
# What the packs report for an ingress rule whose CIDR is an unresolved token (they assume the worst).
_TOKEN_CIDR_FALSE_POSITIVES = (
    "AwsSolutions-EC23",
    *(
        f"{pack}-{rule}"
        for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
        for rule in ("EC2RestrictedCommonPorts", "EC2RestrictedSSH")
    ),
)

_MAX_STOP_TIMEOUT_S = 120  # Fargate's limit
_SECRET_LOOKING_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)
_NOT_A_SECRET_SUFFIX = re.compile(r"_(ARN|NAME|ID|PATH|FILE|URL_PARAM)$", re.I)
_ENV_PREFIX = re.compile(r"([A-Z][A-Z0-9_]*)?")
_ASSET_EXCLUDES = ["cdk.out", "**/cdk.out", "node_modules", "**/node_modules", ".venv", "**/.venv", ".git"]


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


class SecureFargateApi(Construct):
    """A container API on ECS Fargate behind an Application Load Balancer, compliant at default props.

    Only ``image`` is required. The result: an internal ALB (``ingress=ApiIngress.PRIVATE``) in a new
    two-AZ VPC with one NAT gateway, a Fargate service of 2-4 ARM64 tasks (0.5 vCPU, 1 GiB) that deploys
    with 100 % minimum healthy, circuit-breaker and alarm rollback, a regional WAF, ALB access logs,
    alarms to an encrypted SNS topic and a dashboard.

    :param image: the container image: an ``ecs.ContainerImage``, or a path to a directory with a
        Dockerfile (built for ``cpu_architecture``'s platform, so an ARM64 task never gets an x86 image).
    :param container_port: port the app listens on inside the container. :default: 8080
    :param cpu: task CPU units (a Fargate size). :default: 512
    :param memory_limit_mib: task memory; must be valid for ``cpu`` on Fargate. :default: 1024
    :param cpu_architecture: :default: ecs.CpuArchitecture.ARM64
    :param environment: plain configuration for the app (names that look like secrets are rejected:
        pass those as ``secrets``). :default: - none
    :param secrets: values from Secrets Manager or SSM Parameter Store (``ecs.Secret``). :default: - none
    :param command: overrides the image's CMD. :default: - the image's CMD
    :param user: the user the containers run as; never root. :default: "1000:1000"
    :param vpc: an existing VPC. :default: - a new ``SecureVpc`` (2 AZs, flow logs, ``nat_gateways``)
    :param nat_gateways: network cost profile of the new VPC (ignored with ``vpc``/``cluster``).
        :default: NatGateways.ONE
    :param cluster: an existing ECS cluster (its VPC is used; Container Insights and, with ECS Exec,
        exec logging are then the cluster owner's job). :default: - a new cluster with Container Insights
    :param task_subnets: where the tasks run (public subnets get public IPs), e.g. isolated subnets with
        VPC endpoints. :default: - private subnets with egress, else public subnets with public IPs
    :param ingress: who can reach the ALB. :default: ApiIngress.PRIVATE
    :param certificate: ACM certificate for the HTTPS listener. :default: - one is created and
        DNS-validated when ``domain_name`` and ``hosted_zone`` are given; else none (HTTP listener)
    :param domain_name: DNS name of the API; an alias record is created in ``hosted_zone``.
        :default: - none
    :param hosted_zone: the zone for ``domain_name`` (never looked up). :default: - none
    :param protocol: listener protocol. :default: - HTTPS with a certificate, else HTTP
    :param ssl_policy: :default: elbv2.SslPolicy.RECOMMENDED_TLS (TLS 1.3 and 1.2, no older)
    :param redirect_http: with HTTPS, a port-80 listener answering 301 to HTTPS. :default: True
    :param cloudfront_prefix_list_id: CloudFront origin-facing prefix list for a region missing from
        ``CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS``. :default: - the CfnMapping entry for the stack's region
    :param private_ingress_cidr: who may reach the ALB in PRIVATE mode. :default: - the VPC's CIDR
    :param health_check_path: :default: "/health"
    :param health_check_interval: :default: Duration.seconds(15)
    :param health_check_grace_period: time a new task gets before health checks count. :default: 60 s
    :param deregistration_delay: connection drain time; must be below ``stop_timeout``. :default: 30 s
    :param stop_timeout: SIGTERM to SIGKILL; at most 120 s. :default: - ``deregistration_delay`` + 15 s
    :param min_tasks: :default: 2
    :param max_tasks: :default: 4
    :param desired_count: initial task count; omitted by default so deployments never reset what
        autoscaling chose. :default: - none (CloudFormation starts at 1, autoscaling raises it to min_tasks)
    :param cpu_target_percent: :default: 70
    :param memory_target_percent: :default: 80
    :param requests_per_target: ALB requests per target to track. :default: - not tracked
    :param spot_share_percent: share of tasks on Fargate Spot (X86_64 only; ARM64 has no Spot).
        :default: 0
    :param alarm_topic: where alarms go. :default: - a new KMS-encrypted SNS topic
    :param alarm_5xx_threshold: 5xx responses per minute that count as a breach. :default: 5
    :param p99_latency_threshold: p99 target response time that counts as a breach. :default: 2 s
    :param waf_rate_limit: requests per IP per 5 minutes before WAF blocks. :default: 1000
    :param log_retention: container, WAF and exec log retention. :default: logs.RetentionDays.ONE_YEAR
    :param access_log_retention: days ALB access logs are kept. :default: Duration.days(365)
    :param enable_execute_command: ECS Exec (KMS-encrypted session, logged). :default: False
    :param deletion_protection: ALB deletion protection. :default: True
    :param allow_all_outbound: let tasks open any outbound connection. :default: False (HTTPS to
        anywhere, plus the database port once connected)
    :param database: a database to connect (same as calling ``connect``). :default: - none
    :param iam_database_user: with ``database``: grant IAM authentication as this DB user and pass it
        as ``DB_IAM_USER``. :default: - password authentication from the secret
    :param database_env_prefix: prefix of the database variables, for an app that reads its settings
        under its own prefix: ``"API_"`` gives ``API_DB_HOST``, ``API_DB_PORT``, ``API_DB_NAME``,
        ``API_DB_SECRET_ARN`` (and ``API_DB_IAM_USER``). Upper-case letters, digits and ``_``.
        :default: "" (``DB_HOST``...)
    :param migration_command: command of a non-essential ``migrate`` container that runs before the
        app container starts (which waits for its success). :default: - no migration container
    :param ses_identity: let the task send e-mail from this SES identity only. :default: - no SES access
    :param removal_policy: for log groups, the key and the access-log bucket. :default: RETAIN

    Attributes: ``vpc``, ``cluster``, ``service``, ``task_definition``, ``container``,
    ``migration_container``, ``load_balancer``, ``load_balancer_security_group``, ``listener``,
    ``redirect_listener``, ``target_group``, ``security_group`` (the tasks'), ``log_group``, ``web_acl``,
    ``alarms``, ``deployment_alarms``, ``dashboard``, ``alarm_topic``, ``url``, ``ingress``,
    ``certificate``, ``domain_name``, ``listener_port``, ``encryption_key``, ``access_log_bucket``,
    ``task_role``, ``execution_role``, ``scaling``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        image: ecs.ContainerImage | str | os.PathLike[str],
        container_port: int = 8080,
        cpu: int = 512,
        memory_limit_mib: int = 1024,
        cpu_architecture: ecs.CpuArchitecture = ecs.CpuArchitecture.ARM64,
        environment: Mapping[str, str] | None = None,
        secrets: Mapping[str, ecs.Secret] | None = None,
        command: Sequence[str] | None = None,
        user: str = "1000:1000",
        vpc: ec2.IVpc | None = None,
        nat_gateways: NatGateways = NatGateways.ONE,
        cluster: ecs.ICluster | None = None,
        task_subnets: ec2.SubnetSelection | None = None,
        ingress: ApiIngress = ApiIngress.PRIVATE,
        certificate: acm.ICertificate | None = None,
        domain_name: str | None = None,
        hosted_zone: route53.IHostedZone | None = None,
        protocol: elbv2.ApplicationProtocol | None = None,
        ssl_policy: elbv2.SslPolicy = elbv2.SslPolicy.RECOMMENDED_TLS,
        redirect_http: bool = True,
        cloudfront_prefix_list_id: str | None = None,
        private_ingress_cidr: str | None = None,
        health_check_path: str = "/health",
        health_check_interval: Duration | None = None,
        health_check_grace_period: Duration | None = None,
        deregistration_delay: Duration | None = None,
        stop_timeout: Duration | None = None,
        min_tasks: int = 2,
        max_tasks: int = 4,
        desired_count: int | None = None,
        cpu_target_percent: int = 70,
        memory_target_percent: int = 80,
        requests_per_target: int | None = None,
        spot_share_percent: int = 0,
        alarm_topic: sns.ITopic | None = None,
        alarm_5xx_threshold: int = 5,
        p99_latency_threshold: Duration | None = None,
        waf_rate_limit: int = 1000,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        access_log_retention: Duration | None = None,
        enable_execute_command: bool = False,
        deletion_protection: bool = True,
        allow_all_outbound: bool = False,
        database: ConnectableDatabase | None = None,
        iam_database_user: str | None = None,
        database_env_prefix: str = "",
        migration_command: Sequence[str] | None = None,
        ses_identity: ses.IEmailIdentity | str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        # The access-log bucket logs to itself through a bucket policy, never through the legacy
        # LogDeliveryWrite ACL (which needs ACLs enabled): pinned for this subtree, whatever the flags.
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        health_check_interval = health_check_interval or Duration.seconds(15)
        health_check_grace_period = health_check_grace_period or Duration.seconds(60)
        deregistration_delay = deregistration_delay or Duration.seconds(30)
        if stop_timeout is None:
            drain_s = (
                deregistration_delay.to_seconds() if not Token.is_unresolved(deregistration_delay) else 30
            )
            stop_timeout = Duration.seconds(min(drain_s + 15, _MAX_STOP_TIMEOUT_S))
        p99_latency_threshold = p99_latency_threshold or Duration.seconds(2)
        access_log_retention = access_log_retention or Duration.days(365)
        protocol = protocol or (
            elbv2.ApplicationProtocol.HTTPS
            if (certificate or domain_name)
            else elbv2.ApplicationProtocol.HTTP
        )

        _validate(
            self,
            container_port=container_port,
            cpu=cpu,
            memory_limit_mib=memory_limit_mib,
            cpu_architecture=cpu_architecture,
            environment=environment or {},
            user=user,
            vpc=vpc,
            cluster=cluster,
            ingress=ingress,
            certificate=certificate,
            domain_name=domain_name,
            hosted_zone=hosted_zone,
            protocol=protocol,
            health_check_path=health_check_path,
            deregistration_delay=deregistration_delay,
            stop_timeout=stop_timeout,
            min_tasks=min_tasks,
            max_tasks=max_tasks,
            desired_count=desired_count,
            cpu_target_percent=cpu_target_percent,
            memory_target_percent=memory_target_percent,
            requests_per_target=requests_per_target,
            spot_share_percent=spot_share_percent,
            waf_rate_limit=waf_rate_limit,
            iam_database_user=iam_database_user,
            database_env_prefix=database_env_prefix,
            database=database,
        )

        self._cloudfront_prefix_list_id = cloudfront_prefix_list_id
        self._database_env_prefix = database_env_prefix
        self._connected: list[ConnectableDatabase] = []

        # ---------------------------------------------------------------- encryption
        self.encryption_key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description=f"Encrypts the logs, alarm topic and exec sessions of {self.node.path}",
            removal_policy=removal_policy,
        )
        allow_logs_service(self.encryption_key)

        # ---------------------------------------------------------------- network and cluster
        self.network: SecureVpc | None = None
        if cluster is not None:
            self.vpc: ec2.IVpc = cluster.vpc
        elif vpc is not None:
            self.vpc = vpc
        else:
            self.network = SecureVpc(
                self, "Network", nat_gateways=nat_gateways, removal_policy=removal_policy
            )
            self.vpc = self.network.vpc
        self._private_ingress_cidr = private_ingress_cidr or (
            self.network.cidr if self.network is not None else self.vpc.vpc_cidr_block
        )
        if task_subnets is None:
            tasks_in_public_subnets = not self.vpc.private_subnets
            task_subnets = ec2.SubnetSelection(
                subnet_type=ec2.SubnetType.PUBLIC
                if tasks_in_public_subnets
                else ec2.SubnetType.PRIVATE_WITH_EGRESS
            )
        else:
            tasks_in_public_subnets = task_subnets.subnet_type == ec2.SubnetType.PUBLIC
        self.exec_log_group: logs.LogGroup | None = None
        if enable_execute_command:
            self.exec_log_group = logs.LogGroup(
                self,
                "ExecLogGroup",
                retention=log_retention,
                encryption_key=self.encryption_key,
                removal_policy=removal_policy,
            )
        if cluster is None:
            cluster = ecs.Cluster(
                self,
                "Cluster",
                vpc=self.vpc,
                container_insights_v2=ecs.ContainerInsights.ENABLED,
                enable_fargate_capacity_providers=True,
                execute_command_configuration=(
                    ecs.ExecuteCommandConfiguration(
                        kms_key=self.encryption_key,
                        logging=ecs.ExecuteCommandLogging.OVERRIDE,
                        log_configuration=ecs.ExecuteCommandLogConfiguration(
                            cloud_watch_log_group=self.exec_log_group,
                            cloud_watch_encryption_enabled=True,
                        ),
                    )
                    if self.exec_log_group is not None
                    else None
                ),
            )
        self.cluster: ecs.ICluster = cluster

        # ---------------------------------------------------------------- task
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=log_retention,
            encryption_key=self.encryption_key,
            removal_policy=removal_policy,
        )
        self.task_role = ManagedPolicyRole(
            self,
            "TaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"The application in {self.node.path}",
        )
        self.execution_role = ManagedPolicyRole(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"ECS pulling the image, writing logs and reading secrets for {self.node.path}",
        )
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=cpu,
            memory_limit_mib=memory_limit_mib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=cpu_architecture,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
            task_role=self.task_role,
            execution_role=self.execution_role,
            volumes=[ecs.Volume(name="tmp")],
        )
        container_image = _container_image(image, cpu_architecture)
        self.container = self._add_container(
            "App",
            image=container_image,
            command=command,
            environment=environment,
            secrets=secrets,
            user=user,
            stop_timeout=stop_timeout,
            essential=True,
            stream_prefix="app",
        )
        self.container.add_port_mappings(
            ecs.PortMapping(container_port=container_port, protocol=ecs.Protocol.TCP, name="http")
        )
        self.migration_container: ecs.ContainerDefinition | None = None
        if migration_command is not None:
            self.migration_container = self._add_container(
                "Migrate",
                image=container_image,
                command=migration_command,
                environment=environment,
                secrets=secrets,
                user=user,
                stop_timeout=stop_timeout,
                essential=False,
                stream_prefix="migrate",
            )
            self.container.add_container_dependencies(
                ecs.ContainerDependency(
                    container=self.migration_container, condition=ecs.ContainerDependencyCondition.SUCCESS
                )
            )
        if environment:
            acknowledge(
                self.task_definition,
                "AwsSolutions-ECS2",
                "The environment= prop holds plain configuration only: names that look like secrets are "
                "rejected at synth, and secret values go through secrets= (ecs.Secret).",
            )
        if ses_identity is not None:
            if isinstance(ses_identity, str):
                self.task_role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["ses:SendEmail", "ses:SendRawEmail"], resources=[ses_identity]
                    )
                )
            else:
                ses_identity.grant_send_email(self.task_role)

        # ---------------------------------------------------------------- security groups
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=self.vpc,
            description=f"Tasks of {self.node.path}: ingress only from its load balancer",
            allow_all_outbound=allow_all_outbound,
        )
        if not allow_all_outbound:
            self.security_group.add_egress_rule(
                ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs (ECR, logs, Secrets Manager, SES)"
            )
        self.load_balancer_security_group = ec2.SecurityGroup(
            self,
            "LoadBalancerSecurityGroup",
            vpc=self.vpc,
            description=f"Load balancer of {self.node.path}: ingress per its ingress mode",
            allow_all_outbound=False,
        )

        # ---------------------------------------------------------------- service
        spot = spot_share_percent
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            security_groups=[self.security_group],
            vpc_subnets=task_subnets,
            assign_public_ip=tasks_in_public_subnets,
            platform_version=ecs.FargatePlatformVersion.LATEST,
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            health_check_grace_period=health_check_grace_period,
            desired_count=desired_count,
            enable_execute_command=enable_execute_command,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            enable_ecs_managed_tags=True,
            capacity_provider_strategies=(
                [
                    ecs.CapacityProviderStrategy(capacity_provider="FARGATE", weight=100 - spot, base=1),
                    ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=spot),
                ]
                if spot
                else None
            ),
        )
        if enable_execute_command:
            self._acknowledge_exec()

        # ---------------------------------------------------------------- load balancer
        self.ingress = ingress
        public = ingress is ApiIngress.PUBLIC
        if public:
            alb_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
        elif self.vpc.private_subnets:
            alb_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        else:
            alb_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=self.vpc,
            vpc_subnets=alb_subnets,
            internet_facing=public,
            security_group=self.load_balancer_security_group,
            drop_invalid_header_fields=True,
            desync_mitigation_mode=elbv2.DesyncMitigationMode.STRICTEST,
            deletion_protection=deletion_protection,
        )
        if not deletion_protection:
            for pack in ("HIPAA.Security", "NIST.800.53.R5"):
                acknowledge(
                    self.load_balancer,
                    f"{pack}-ELBDeletionProtectionEnabled",
                    "Opted out with deletion_protection=False (e.g. a short-lived environment).",
                )
        self.access_log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_prefix="server-access-logs/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=access_log_retention,
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            removal_policy=removal_policy,
        )
        for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"):
            acknowledge(
                self.access_log_bucket,
                f"{pack}-S3DefaultEncryptionKMS",
                "Structural: ALB access logs support only SSE-S3 (AWS documents KMS as unsupported).",
            )
            acknowledge(
                self.access_log_bucket,
                f"{pack}-S3BucketReplicationEnabled",
                "Structural: replicating the ALB log bucket moves the finding to the replica bucket; the "
                "logs are operational data kept for access_log_retention, versioned and SSL-only.",
            )
        self.load_balancer.log_access_logs(self.access_log_bucket, "alb")

        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "TargetGroup",
            vpc=self.vpc,
            port=container_port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            deregistration_delay=deregistration_delay,
            health_check=elbv2.HealthCheck(
                path=health_check_path,
                interval=health_check_interval,
                timeout=Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
                healthy_http_codes="200-299",
            ),
        )
        self.certificate: acm.ICertificate | None = certificate
        if certificate is None and domain_name and hosted_zone is not None:
            self.certificate = acm.Certificate(
                self,
                "Certificate",
                domain_name=domain_name,
                validation=acm.CertificateValidation.from_dns(hosted_zone),
            )
        self.redirect_listener: elbv2.ApplicationListener | None = None
        if protocol is elbv2.ApplicationProtocol.HTTPS and self.certificate is not None:
            self.listener_port = 443
            self.listener = self.load_balancer.add_listener(
                "Https",
                port=443,
                protocol=elbv2.ApplicationProtocol.HTTPS,
                certificates=[elbv2.ListenerCertificate.from_certificate_manager(self.certificate)],
                ssl_policy=ssl_policy,
                open=False,
                default_target_groups=[self.target_group],
            )
            if redirect_http:
                self.redirect_listener = self.load_balancer.add_listener(
                    "HttpRedirect",
                    port=80,
                    protocol=elbv2.ApplicationProtocol.HTTP,
                    open=False,
                    default_action=elbv2.ListenerAction.redirect(
                        protocol="HTTPS", port="443", permanent=True
                    ),
                )
                for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"):
                    acknowledge(
                        self.redirect_listener,
                        f"{pack}-ELBv2ACMCertificateRequired",
                        "Opted in with redirect_http=True (the default): this port-80 listener only answers "
                        "301 to HTTPS on 443 and forwards nothing. redirect_http=False removes it.",
                    )
        else:
            self.listener_port = 80
            self.listener = self.load_balancer.add_listener(
                "Http",
                port=80,
                protocol=elbv2.ApplicationProtocol.HTTP,
                open=False,
                default_target_groups=[self.target_group],
            )
            for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"):
                for rule in ("ALBHttpToHttpsRedirection", "ELBv2ACMCertificateRequired"):
                    acknowledge(
                        self.listener,
                        f"{pack}-{rule}",
                        "No certificate= or domain_name= given: an internal load balancer without a domain "
                        "cannot hold an ACM certificate. It is reachable only inside the VPC or from "
                        "CloudFront's VPC origin (HTTPS ends at CloudFront). Give certificate= or "
                        "domain_name= + hosted_zone= for an HTTPS listener.",
                    )
        self.service.attach_to_application_target_group(self.target_group)

        self._ingress_scope = Construct(self, "Ingress")
        self._ingress_rules: list[str] = []
        self._apply_ingress()

        self.record: route53.ARecord | None = None
        if domain_name and hosted_zone is not None:
            self.record = route53.ARecord(
                self,
                "AliasRecord",
                zone=hosted_zone,
                record_name=domain_name,
                target=route53.RecordTarget.from_alias(
                    route53_targets.LoadBalancerTarget(self.load_balancer)
                ),
            )
        scheme = "https" if self.listener_port == 443 else "http"
        self.url = f"{scheme}://{domain_name or self.load_balancer.load_balancer_dns_name}"
        self.domain_name: str | None = domain_name
        """The API's own DNS name (``domain_name`` as given), or ``None``. CdnFrontend's HTTPS VPC origin
        connects to it, so the name the certificate covers is what CloudFront checks."""

        # ---------------------------------------------------------------- WAF
        self.web_acl, self.web_acl_log_group = self._web_acl(waf_rate_limit, log_retention, removal_policy)

        # ---------------------------------------------------------------- autoscaling
        self.scaling = self.service.auto_scale_task_count(min_capacity=min_tasks, max_capacity=max_tasks)
        self.scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=cpu_target_percent)
        self.scaling.scale_on_memory_utilization("Memory", target_utilization_percent=memory_target_percent)
        if requests_per_target is not None:
            self.scaling.scale_on_request_count(
                "Requests", requests_per_target=requests_per_target, target_group=self.target_group
            )

        # ---------------------------------------------------------------- alarms and dashboard
        self.alarm_topic = alarm_topic or self._alarm_topic()
        self._alarms(alarm_5xx_threshold, p99_latency_threshold)

        # ---------------------------------------------------------------- database
        if database is not None:
            self.connect(database, iam_database_user=iam_database_user, env_prefix=database_env_prefix)

        # Image pulls from ECR need ecr:GetAuthorizationToken, which has no resource-level permission.
        if any("ecr:GetAuthorizationToken" in s.actions for s in self.execution_role.granted):
            policy = self.execution_role.managed_policy
            assert policy is not None
            acknowledge(
                policy,
                "AwsSolutions-IAM5[Resource::*]",
                "Structural: ecr:GetAuthorizationToken supports only Resource '*'; the layer-pull actions in "
                "the same policy are scoped to the image's repository.",
            )

    # ------------------------------------------------------------------------------------------ public API

    def enable_cloudfront_ingress(self) -> None:
        """Admit only CloudFront's origin-facing servers on the listener port (called by CdnFrontend).

        Switches ``ingress`` from PRIVATE to CLOUDFRONT; calling it again changes nothing.

        :raises ValidationError: when ``ingress`` is PUBLIC (an internet-facing ALB cannot be a VPC origin).
        """
        if self.ingress is ApiIngress.CLOUDFRONT:
            return
        if self.ingress is ApiIngress.PUBLIC:
            raise ValidationError(
                self.node.path,
                [
                    "ingress=ApiIngress.PUBLIC: a public load balancer cannot be reached only from "
                    "CloudFront's VPC origin. Fix: create the SecureFargateApi with "
                    "ingress=ApiIngress.PRIVATE (the default) before passing it to CdnFrontend(api=...)"
                ],
            )
        self.ingress = ApiIngress.CLOUDFRONT
        self._apply_ingress()

    def connect(
        self,
        database: ConnectableDatabase,
        *,
        iam_database_user: str | None = None,
        env_prefix: str | None = None,
    ) -> None:
        """Let the service use ``database`` (DECISIONS §3).

        Opens only the database port from the tasks' security group, passes ``DB_HOST``, ``DB_PORT``,
        ``DB_NAME`` and ``DB_SECRET_ARN`` as plain configuration (no secret value), and lets the task
        role read only that secret (and decrypt it with its key). The app re-reads the secret on an
        authentication failure, so rotation never needs a redeploy. With ``iam_database_user`` the task
        role may also connect as that user with IAM authentication (``DB_IAM_USER``).

        :param env_prefix: put before each variable name, e.g. ``"API_"`` for ``API_DB_HOST``.
            :default: - the construct's ``database_env_prefix``
        :raises ValidationError: ``env_prefix`` is not upper-case letters, digits and ``_``.
        """
        prefix = self._database_env_prefix if env_prefix is None else env_prefix
        if not _ENV_PREFIX.fullmatch(prefix):
            raise ValidationError(
                self.node.path,
                [
                    f"env_prefix={prefix!r}: not an environment variable prefix. Fix: use upper-case "
                    "letters, digits and '_', starting with a letter, e.g. 'API_'"
                ],
            )
        if any(d is database for d in self._connected):
            return
        self._connected.append(database)
        port = database.port
        database.allow_from(self.service)
        # The tasks' egress is closed by default: open exactly the database port towards its group.
        self.service.connections.allow_to(
            database.connections, ec2.Port.tcp(port), "PostgreSQL from the API tasks"
        )
        config = {
            "DB_HOST": database.endpoint_address,
            "DB_PORT": str(port),
            "DB_NAME": database.database_name,
            "DB_SECRET_ARN": database.secret.secret_arn,
        }
        if iam_database_user:
            config["DB_IAM_USER"] = iam_database_user
            database.grant_connect(self.task_role, iam_database_user)
        for container in self._containers():
            for name, value in config.items():
                container.add_environment(prefix + name, value)
        database.secret.grant_read(self.task_role)
        acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            "Only database coordinates are in the environment (host, port, name, the secret's ARN): "
            "no secret value. The app reads the secret itself so that rotation reaches running tasks.",
        )

    # ------------------------------------------------------------------------------------------ internals

    def _containers(self) -> list[ecs.ContainerDefinition]:
        return [c for c in (self.container, self.migration_container) if c is not None]

    def _add_container(
        self,
        id: str,
        *,
        image: ecs.ContainerImage,
        command: Sequence[str] | None,
        environment: Mapping[str, str] | None,
        secrets: Mapping[str, ecs.Secret] | None,
        user: str,
        stop_timeout: Duration,
        essential: bool,
        stream_prefix: str,
    ) -> ecs.ContainerDefinition:
        container = self.task_definition.add_container(
            id,
            container_name=id.lower(),
            image=image,
            command=list(command) if command is not None else None,
            environment=dict(environment or {}),
            secrets=dict(secrets or {}),
            user=user,
            essential=essential,
            readonly_root_filesystem=True,
            stop_timeout=stop_timeout,
            logging=ecs.LogDriver.aws_logs(
                stream_prefix=stream_prefix,
                log_group=self.log_group,
                mode=ecs.AwsLogDriverMode.NON_BLOCKING,
                max_buffer_size=Size.mebibytes(25),
            ),
            linux_parameters=ecs.LinuxParameters(self, f"{id}LinuxParameters", init_process_enabled=True),
        )
        container.add_mount_points(
            ecs.MountPoint(source_volume="tmp", container_path="/tmp", read_only=False)
        )
        return container

    def _apply_ingress(self) -> None:
        """(Re)create the load balancer's ingress rules for the current ``ingress`` mode."""
        for name in self._ingress_rules:
            self._ingress_scope.node.try_remove_child(name)
        self._ingress_rules = []
        group_id = self.load_balancer_security_group.security_group_id

        def rule(name: str, port: int, description: str, **peer: str) -> ec2.CfnSecurityGroupIngress:
            self._ingress_rules.append(name)
            return ec2.CfnSecurityGroupIngress(
                self._ingress_scope,
                name,
                group_id=group_id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=description,
                **peer,
            )

        ports = [self.listener_port] + ([80] if self.redirect_listener is not None else [])
        if self.ingress is ApiIngress.PUBLIC:
            for port in ports:
                r = rule(f"Internet{port}", port, f"Internet to port {port}", cidr_ip="0.0.0.0/0")
                acknowledge(
                    r,
                    "AwsSolutions-EC23",
                    "Structural: ingress=ApiIngress.PUBLIC is an internet-facing HTTPS API (port 80 only "
                    "redirects to 443). Use ApiIngress.PRIVATE or CdnFrontend to avoid it.",
                )
        elif self.ingress is ApiIngress.CLOUDFRONT:
            rule(
                f"CloudFront{self.listener_port}",
                self.listener_port,
                "CloudFront origin-facing servers only",
                source_prefix_list_id=self._prefix_list_id(),
            )
        else:
            cidr = self._private_ingress_cidr
            for port in ports:
                r = rule(f"Vpc{port}", port, f"Clients inside the VPC to port {port}", cidr_ip=cidr)
                if Token.is_unresolved(cidr):
                    for rule_id in _TOKEN_CIDR_FALSE_POSITIVES:
                        acknowledge(
                            r,
                            rule_id,
                            "False positive: the peer is the given VPC's own CIDR block (a CloudFormation "
                            "reference the rule cannot read), not the internet. Pass private_ingress_cidr= a "
                            "literal range to avoid it.",
                        )

    def _prefix_list_id(self) -> str:
        if self._cloudfront_prefix_list_id:
            return self._cloudfront_prefix_list_id
        stack = Stack.of(self)
        region = stack.region
        if not Token.is_unresolved(region) and region not in CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS:
            raise ValidationError(
                self.node.path,
                [
                    f"cloudfront_prefix_list_id=None: region {region!r} is not in "
                    "CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS. Fix: pass cloudfront_prefix_list_id= the ID of "
                    "com.amazonaws.global.cloudfront.origin-facing in that region"
                ],
            )
        mapping = stack.node.try_find_child(_PREFIX_LIST_MAPPING_ID)
        if not isinstance(mapping, CfnMapping):
            mapping = CfnMapping(
                stack,
                _PREFIX_LIST_MAPPING_ID,
                mapping={region: {"id": pl} for region, pl in CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS.items()},
            )
        return mapping.find_in_map(stack.region, "id")

    def _acknowledge_exec(self) -> None:
        policy = self.task_role.managed_policy
        if policy is None:
            return
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Opted in with enable_execute_command=True: the ssmmessages:* channel actions of "
            "ECS Exec support only Resource '*'. Sessions are KMS-encrypted and logged.",
        )
        if self.exec_log_group is not None:
            stack = Stack.of(self)
            cfn = self.exec_log_group.node.default_child
            assert isinstance(cfn, logs.CfnLogGroup)
            logical_id = stack.resolve(stack.get_logical_id(cfn))
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::{_nag_arn(stack, 'logs')}:log-group:<{logical_id}>:*]",
                "Opted in with enable_execute_command=True: each exec session writes its own log "
                "stream, named at run time, in this construct's KMS-encrypted exec log group only.",
            )

    def _web_acl(
        self, rate_limit: int, retention: logs.RetentionDays, removal_policy: RemovalPolicy
    ) -> tuple[wafv2.CfnWebACL, logs.LogGroup]:
        def managed(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name
                    )
                ),
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                visibility_config=_visibility(name),
            )

        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("WebAcl"),
            rules=[
                managed("AWSManagedRulesAmazonIpReputationList", 0),
                managed("AWSManagedRulesCommonRuleSet", 1),
                managed("AWSManagedRulesKnownBadInputsRuleSet", 2),
                managed("AWSManagedRulesSQLiRuleSet", 3),
                wafv2.CfnWebACL.RuleProperty(
                    name="RateLimitPerIp",
                    priority=4,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=rate_limit, aggregate_key_type="IP", evaluation_window_sec=300
                        )
                    ),
                    visibility_config=_visibility("RateLimitPerIp"),
                ),
            ],
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.load_balancer.load_balancer_arn,
            web_acl_arn=acl.attr_arn,
        )
        # WAF logs only to groups named aws-waf-logs-*; the name is derived from the construct path.
        name = "aws-waf-logs-" + Names.unique_resource_name(self, max_length=60, separator="-")
        log_group = logs.LogGroup(
            self,
            "WebAclLogs",
            log_group_name=name,
            retention=retention,
            encryption_key=self.encryption_key,
            removal_policy=removal_policy,
        )
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "WebAclLogging",
            resource_arn=acl.attr_arn,
            log_destination_configs=[
                Stack.of(self).format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )
        logging.node.add_dependency(log_group)
        return acl, log_group

    def _alarm_topic(self) -> sns.Topic:
        self.encryption_key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        return sns.Topic(self, "AlarmTopic", master_key=self.encryption_key, enforce_ssl=True)

    def _alarms(self, threshold_5xx: int, p99: Duration) -> None:
        tg, alb = self.target_group.metrics, self.load_balancer.metrics
        minute = Duration.minutes(1)
        action = cw_actions.SnsAction(self.alarm_topic)
        scope = Construct(self, "Alarms")

        def alarm(
            id: str,
            metric: cloudwatch.IMetric,
            threshold: float,
            description: str,
            *,
            periods: int = 3,
            datapoints: int = 2,
        ) -> cloudwatch.Alarm:
            a = cloudwatch.Alarm(
                scope,
                id,
                metric=metric,
                threshold=threshold,
                evaluation_periods=periods,
                datapoints_to_alarm=datapoints,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            a.add_alarm_action(action)
            a.add_ok_action(action)
            return a

        target_5xx = alarm(
            "Target5xx",
            tg.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=minute, statistic="Sum"),
            threshold_5xx,
            "The app answered with 5xx (rolls a deployment back)",
        )
        latency = alarm(
            "LatencyP99",
            tg.target_response_time(period=minute, statistic="p99"),
            p99.to_seconds(),
            "p99 target response time above threshold (rolls a deployment back)",
        )
        elb_5xx = alarm(
            "Elb5xx",
            alb.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=minute, statistic="Sum"),
            threshold_5xx,
            "The load balancer itself answered 5xx (no healthy target, timeouts)",
        )
        unhealthy = alarm(
            "UnhealthyHosts",
            tg.unhealthy_host_count(period=minute, statistic="Maximum"),
            1,
            "At least one target failed its health check",
        )
        rejected = alarm(
            "RejectedConnections",
            alb.rejected_connection_count(period=minute, statistic="Sum"),
            1,
            "The load balancer rejected connections (at its connection limit)",
        )
        cpu = alarm(
            "Cpu",
            self.service.metric_cpu_utilization(period=Duration.minutes(5)),
            90,
            "CPU above 90 % although autoscaling targets 70 % (at max_tasks?)",
        )
        memory = alarm(
            "Memory",
            self.service.metric_memory_utilization(period=Duration.minutes(5)),
            90,
            "Memory above 90 % although autoscaling targets 80 % (at max_tasks, or a leak?)",
        )
        dims = {"ClusterName": self.cluster.cluster_name, "ServiceName": self.service.service_name}

        def insights(metric_name: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="ECS/ContainerInsights",
                metric_name=metric_name,
                dimensions_map=dims,
                statistic="Average",
                period=Duration.minutes(5),
            )

        below_desired = alarm(
            "RunningBelowDesired",
            cloudwatch.MathExpression(
                expression="desired - running",
                using_metrics={
                    "desired": insights("DesiredTaskCount"),
                    "running": insights("RunningTaskCount"),
                },
                period=Duration.minutes(5),
                label="Desired minus running tasks",
            ),
            1,
            "Fewer tasks running than desired for 15 minutes (tasks failing to start?)",
            periods=3,
            datapoints=3,
        )
        self.alarms: list[cloudwatch.Alarm] = [
            target_5xx,
            latency,
            elb_5xx,
            unhealthy,
            rejected,
            cpu,
            memory,
            below_desired,
        ]
        # Rollback alarms watch only target-group metrics (no ServiceName dimension), so the service can
        # depend on them without a dependency cycle.
        self.deployment_alarms = [target_5xx, latency]
        self.service.enable_deployment_alarms(
            [a.alarm_name for a in self.deployment_alarms], behavior=ecs.AlarmBehavior.ROLLBACK_ON_ALARM
        )

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Requests and errors",
                left=[alb.request_count(period=minute, statistic="Sum")],
                right=[target_5xx.metric, elb_5xx.metric],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Target response time",
                left=[
                    tg.target_response_time(period=minute, statistic="p50"),
                    tg.target_response_time(period=minute, statistic="p99"),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(title="CPU and memory (%)", left=[cpu.metric, memory.metric], width=12),
            cloudwatch.GraphWidget(
                title="Tasks",
                left=[insights("RunningTaskCount"), insights("DesiredTaskCount")],
                right=[unhealthy.metric],
                width=12,
            ),
            cloudwatch.AlarmStatusWidget(alarms=list(self.alarms), title="Alarms", width=24),
        )


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _container_image(
    image: ecs.ContainerImage | str | os.PathLike[str], architecture: ecs.CpuArchitecture
) -> ecs.ContainerImage:
    if isinstance(image, ecs.ContainerImage):
        return image
    platform = (
        ecr_assets.Platform.LINUX_ARM64
        if _architecture_name(architecture) == "ARM64"
        else ecr_assets.Platform.LINUX_AMD64
    )
    return ecs.ContainerImage.from_asset(os.fspath(image), platform=platform, exclude=_ASSET_EXCLUDES)


def _architecture_name(architecture: ecs.CpuArchitecture) -> str:
    """``ecs.CpuArchitecture`` has no public value and jsii gives each read a new proxy: compare the
    underlying object references of the two constants instead."""

    def ref(obj: object) -> object:
        return getattr(getattr(obj, "__jsii_ref__", None), "ref", obj)

    for name in ("ARM64", "X86_64"):
        if ref(architecture) == ref(getattr(ecs.CpuArchitecture, name)):
            return name
    return "OTHER"


def _nag_arn(stack: Stack, service: str) -> str:
    """The ARN prefix as cdk-nag prints it in a granular finding id (unresolved pseudo parameters
    appear as ``<AWS::Region>`` and so on)."""

    def text(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    partition = text(stack.partition, "Partition")
    return f"arn:{partition}:{service}:{text(stack.region, 'Region')}:{text(stack.account, 'AccountId')}"


def _seconds(value: Duration) -> float | None:
    return None if Token.is_unresolved(value) else value.to_seconds()


def _validate(
    scope: Construct,
    *,
    container_port: int,
    cpu: int,
    memory_limit_mib: int,
    cpu_architecture: ecs.CpuArchitecture,
    environment: Mapping[str, str],
    user: str,
    vpc: ec2.IVpc | None,
    cluster: ecs.ICluster | None,
    ingress: ApiIngress,
    certificate: acm.ICertificate | None,
    domain_name: str | None,
    hosted_zone: route53.IHostedZone | None,
    protocol: elbv2.ApplicationProtocol,
    health_check_path: str,
    deregistration_delay: Duration,
    stop_timeout: Duration,
    min_tasks: int,
    max_tasks: int,
    desired_count: int | None,
    cpu_target_percent: int,
    memory_target_percent: int,
    requests_per_target: int | None,
    spot_share_percent: int,
    waf_rate_limit: int,
    iam_database_user: str | None,
    database_env_prefix: str,
    database: ConnectableDatabase | None,
) -> None:
    p = Problems()
    if not _ENV_PREFIX.fullmatch(database_env_prefix):
        p.add(
            "database_env_prefix",
            database_env_prefix,
            "not an environment variable prefix",
            "use upper-case letters, digits and '_', starting with a letter, e.g. 'API_'",
        )

    def known(n: object) -> bool:
        return not (isinstance(n, (int, float)) and Token.is_unresolved(n))

    if known(cpu) and known(memory_limit_mib):
        if cpu not in FARGATE_CPU_MEMORY:
            p.add("cpu", cpu, "not a Fargate task size", f"use one of {sorted(FARGATE_CPU_MEMORY)}")
        elif memory_limit_mib not in FARGATE_CPU_MEMORY[cpu]:
            allowed = FARGATE_CPU_MEMORY[cpu]
            p.add(
                "memory_limit_mib",
                memory_limit_mib,
                f"not valid with cpu={cpu} on Fargate",
                f"use {allowed[0]}..{allowed[-1]}"
                + (f" in steps of {allowed[1] - allowed[0]}" if len(allowed) > 1 else ""),
            )
    if known(container_port) and not 1 <= container_port <= 65535:
        p.add("container_port", container_port, "port out of range", "use 1..65535 (8080 is the default)")
    if not isinstance(ingress, ApiIngress):
        p.add("ingress", ingress, "not an ApiIngress", "use ApiIngress.PRIVATE, .CLOUDFRONT or .PUBLIC")
    if vpc is not None and cluster is not None:
        p.add("vpc", "<IVpc>", "given together with cluster", "drop vpc: the cluster's VPC is used")
    if domain_name and hosted_zone is None:
        p.add(
            "domain_name",
            domain_name,
            "given without hosted_zone",
            "pass hosted_zone= the zone that holds it",
        )
    if hosted_zone is not None and not domain_name:
        p.add(
            "hosted_zone",
            "<IHostedZone>",
            "given without domain_name",
            "pass domain_name= e.g. api.example.com",
        )
    has_cert = certificate is not None or bool(domain_name and hosted_zone is not None)
    if protocol == elbv2.ApplicationProtocol.HTTP and (certificate is not None or domain_name):
        p.add(
            "protocol",
            "HTTP",
            "a certificate (or domain_name) is given but the listener would be plain HTTP",
            "drop protocol= (HTTPS is then used) or drop certificate=/domain_name=",
        )
    if protocol == elbv2.ApplicationProtocol.HTTPS and not has_cert and not domain_name:
        p.add(
            "protocol",
            "HTTPS",
            "HTTPS needs a certificate",
            "pass certificate= or domain_name= + hosted_zone=",
        )
    if ingress is ApiIngress.PUBLIC and not has_cert:
        p.add(
            "ingress",
            "PUBLIC",
            "a public API must serve HTTPS but no certificate or domain is given",
            "pass certificate= or domain_name= + hosted_zone=, or keep ApiIngress.PRIVATE behind CdnFrontend",
        )
    if not health_check_path.startswith("/"):
        p.add("health_check_path", health_check_path, "must start with '/'", f"use '/{health_check_path}'")
    stop_s, drain_s = _seconds(stop_timeout), _seconds(deregistration_delay)
    if stop_s is not None and stop_s > _MAX_STOP_TIMEOUT_S:
        p.add(
            "stop_timeout",
            stop_timeout,
            "Fargate allows at most 120 seconds",
            "use Duration.seconds(120) or less",
        )
    if stop_s is not None and drain_s is not None and drain_s >= stop_s:
        p.add(
            "deregistration_delay",
            deregistration_delay,
            f"not below stop_timeout ({stop_s:g} s): a task could be killed while connections still drain",
            f"use at most Duration.seconds({max(int(stop_s) - 5, 0)}) or raise stop_timeout",
        )
    if known(min_tasks) and known(max_tasks):
        if min_tasks < 1:
            p.add("min_tasks", min_tasks, "must be at least 1", "use 2 for two AZs")
        if min_tasks > max_tasks:
            p.add(
                "min_tasks", min_tasks, f"greater than max_tasks ({max_tasks})", "make min_tasks <= max_tasks"
            )
        if desired_count is not None and known(desired_count) and not min_tasks <= desired_count <= max_tasks:
            p.add(
                "desired_count",
                desired_count,
                f"outside min_tasks..max_tasks ({min_tasks}..{max_tasks}); autoscaling would undo it",
                "use a value in that range, or leave it out",
            )
    for prop, value in (
        ("cpu_target_percent", cpu_target_percent),
        ("memory_target_percent", memory_target_percent),
    ):
        if known(value) and not 10 <= value <= 95:
            p.add(prop, value, "must be 10..95", "use the default")
    if requests_per_target is not None and known(requests_per_target) and requests_per_target < 1:
        p.add("requests_per_target", requests_per_target, "must be at least 1", "e.g. 500, or leave it out")
    if known(spot_share_percent):
        if not 0 <= spot_share_percent <= 100:
            p.add("spot_share_percent", spot_share_percent, "outside 0..100", "use a percentage, e.g. 50")
        elif spot_share_percent and _architecture_name(cpu_architecture) == "ARM64":
            p.add(
                "spot_share_percent",
                spot_share_percent,
                "Fargate Spot does not run ARM64 tasks",
                "set cpu_architecture=ecs.CpuArchitecture.X86_64, or use 0",
            )
    if known(waf_rate_limit) and not 10 <= waf_rate_limit <= 2_000_000_000:
        p.add("waf_rate_limit", waf_rate_limit, "WAF accepts 10..2,000,000,000", "use e.g. 1000")
    if user.split(":")[0] in ("root", "0"):
        p.add("user", user, "containers must not run as root", "use an unprivileged uid, e.g. '1000:1000'")
    for name in environment:
        if _SECRET_LOOKING_NAME.search(name) and not _NOT_A_SECRET_SUFFIX.search(name):
            p.add(
                "environment",
                name,
                "looks like a secret, and plain environment is visible in the task definition",
                f"pass it as secrets={{{name!r}: ecs.Secret.from_secrets_manager(...)}}",
            )
    if iam_database_user and database is None:
        p.add("iam_database_user", iam_database_user, "given without database", "pass database= too")
    p.raise_if_any(scope)
