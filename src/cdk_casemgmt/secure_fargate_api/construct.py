"""SecureFargateApi: a container API on Fargate behind an Application Load Balancer, safe to deploy and run.

This module holds the construct and its public methods; each concern it assembles has its own module in
this package. What it bundles, and why each default is what it is, is in ``docs/secure-fargate-api.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk_casemgmt._alarm_topic import alarm_topic as new_alarm_topic
from cdk_casemgmt._defaults import FARGATE_API
from cdk_casemgmt._iam import ManagedPolicyRole
from cdk_casemgmt._kms_key import rotating_key
from cdk_casemgmt._log_bucket import LOG_DELIVERY_BY_BUCKET_POLICY
from cdk_casemgmt._removal import retain_except_on_create
from cdk_casemgmt.errors import ValidationError
from cdk_casemgmt.network import NatGateways, SecureVpc, allow_logs_service
from cdk_casemgmt.secure_fargate_api.database import ENV_PREFIX, ConnectableDatabase, connect_database
from cdk_casemgmt.secure_fargate_api.firewall import RegionalFirewall
from cdk_casemgmt.secure_fargate_api.ingress import ApiIngress, IngressRules
from cdk_casemgmt.secure_fargate_api.load_balancer import add_load_balancer, alias_record
from cdk_casemgmt.secure_fargate_api.observability import add_alarms
from cdk_casemgmt.secure_fargate_api.permissions import (
    acknowledge_exec,
    acknowledge_image_pull,
    grant_send_email,
)
from cdk_casemgmt.secure_fargate_api.props import ApiProps
from cdk_casemgmt.secure_fargate_api.service import add_service, scale
from cdk_casemgmt.secure_fargate_api.task import add_containers, writable_volumes
from cdk_casemgmt.secure_fargate_api.validation import validate

__all__ = ["SecureFargateApi"]


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
    :param writable_paths: where the containers may write despite their read-only root file system: each
        path is a task-local volume on the task's ephemeral storage, emptied when the task stops. Fargate
        creates it owned by root, mode 0755, unless the image declares the path with ``VOLUME``; then it
        starts as a copy of the image's directory, owner and mode included. So the image must declare each
        path with ``VOLUME``, writable for ``user`` (the container contract; the task definition records
        it as ``cdk_casemgmt:imageVolumes`` metadata, which DeployReadiness-ECSBindMountWritable reads).
        Pass ``()`` for a container that writes nowhere. :default: ("/tmp",)
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
    :param health_check_grace_period: time a new task gets before health checks count.
        :default: Duration.seconds(60)
    :param deregistration_delay: connection drain time; must be below ``stop_timeout``.
        :default: Duration.seconds(30)
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
    :param p99_latency_threshold: p99 target response time that counts as a breach.
        :default: Duration.seconds(2)
    :param waf_rate_limit: requests per IP per 5 minutes before WAF blocks (PRIVATE and PUBLIC ingress;
        behind CloudFront the distribution's web ACL limits each viewer instead). :default: 1000
    :param log_retention: container, WAF and exec log retention. :default: logs.RetentionDays.ONE_YEAR
    :param access_log_retention: days ALB access logs are kept. :default: Duration.days(365)
    :param enable_execute_command: ECS Exec (KMS-encrypted session, logged). :default: False
    :param deletion_protection: ALB deletion protection. :default: True
    :param allow_all_outbound: let tasks open any outbound connection. :default: False (HTTPS to
        anywhere, plus the database port once connected)
    :param database: a database to connect (same as calling ``connect``). :default: - none
    :param iam_database_user: with ``database``: sign in with IAM authentication as this DB user: grants
        ``rds-db:connect`` and passes ``DB_AUTH=iam`` and ``DB_IAM_USER``. :default: - the secret's
        password (``DB_AUTH=password``); through a proxy that accepts only IAM tokens, IAM as its master user
    :param database_env_prefix: prefix of the database variables, for an app that reads its settings
        under its own prefix: ``"API_"`` gives ``API_DB_HOST``, ``API_DB_PORT``, ``API_DB_NAME``,
        ``API_DB_SECRET_ARN``, ``API_DB_AUTH`` (and ``API_DB_IAM_USER``). Upper-case letters, digits and
        ``_``. :default: "" (``DB_HOST``...)
    :param migration_command: command of a non-essential ``migrate`` container that runs before the
        app container starts (which waits for its success). :default: - no migration container
    :param ses_identity: let the task send e-mail from this SES identity only. :default: - no SES access
    :param removal_policy: for log groups, the key and the access-log bucket (log groups get
        RETAIN_ON_UPDATE_OR_DELETE for RETAIN: a failed first create then leaves none behind).
        :default: RemovalPolicy.RETAIN
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        image: ecs.ContainerImage | str | os.PathLike[str],
        container_port: int = FARGATE_API.container_port,
        cpu: int = FARGATE_API.cpu,
        memory_limit_mib: int = FARGATE_API.memory_limit_mib,
        cpu_architecture: ecs.CpuArchitecture = FARGATE_API.cpu_architecture,
        environment: Mapping[str, str] | None = None,
        secrets: Mapping[str, ecs.Secret] | None = None,
        command: Sequence[str] | None = None,
        user: str = FARGATE_API.user,
        writable_paths: Sequence[str] = FARGATE_API.writable_paths,
        vpc: ec2.IVpc | None = None,
        nat_gateways: NatGateways = NatGateways.ONE,
        cluster: ecs.ICluster | None = None,
        task_subnets: ec2.SubnetSelection | None = None,
        ingress: ApiIngress = ApiIngress.PRIVATE,
        certificate: acm.ICertificate | None = None,
        domain_name: str | None = None,
        hosted_zone: route53.IHostedZone | None = None,
        protocol: elbv2.ApplicationProtocol | None = None,
        ssl_policy: elbv2.SslPolicy = FARGATE_API.ssl_policy,
        redirect_http: bool = FARGATE_API.redirect_http,
        cloudfront_prefix_list_id: str | None = None,
        private_ingress_cidr: str | None = None,
        health_check_path: str = FARGATE_API.health_check_path,
        health_check_interval: Duration = FARGATE_API.health_check_interval,
        health_check_grace_period: Duration = FARGATE_API.health_check_grace_period,
        deregistration_delay: Duration = FARGATE_API.deregistration_delay,
        stop_timeout: Duration | None = None,
        min_tasks: int = FARGATE_API.min_tasks,
        max_tasks: int = FARGATE_API.max_tasks,
        desired_count: int | None = None,
        cpu_target_percent: int = FARGATE_API.cpu_target_percent,
        memory_target_percent: int = FARGATE_API.memory_target_percent,
        requests_per_target: int | None = None,
        spot_share_percent: int = FARGATE_API.spot_share_percent,
        alarm_topic: sns.ITopic | None = None,
        alarm_5xx_threshold: int = FARGATE_API.alarm_5xx_threshold,
        p99_latency_threshold: Duration = FARGATE_API.p99_latency_threshold,
        waf_rate_limit: int = FARGATE_API.waf_rate_limit,
        log_retention: logs.RetentionDays = FARGATE_API.log_retention,
        access_log_retention: Duration = FARGATE_API.access_log_retention,
        enable_execute_command: bool = FARGATE_API.enable_execute_command,
        deletion_protection: bool = FARGATE_API.deletion_protection,
        allow_all_outbound: bool = FARGATE_API.allow_all_outbound,
        database: ConnectableDatabase | None = None,
        iam_database_user: str | None = None,
        database_env_prefix: str = FARGATE_API.database_env_prefix,
        migration_command: Sequence[str] | None = None,
        ses_identity: ses.IEmailIdentity | str | None = None,
        removal_policy: RemovalPolicy = FARGATE_API.removal_policy,
    ) -> None:
        props = ApiProps.from_arguments(locals())  # first: locals() holds exactly the arguments here
        super().__init__(scope, id)
        # The access-log bucket logs to itself through a bucket policy, never through the legacy
        # LogDeliveryWrite ACL (which needs ACLs enabled): pinned for this subtree, whatever the flags.
        self.node.set_context(LOG_DELIVERY_BY_BUCKET_POLICY, True)
        validate(self, props)
        self._database_env_prefix = props.database_env_prefix
        self._connected: list[ConnectableDatabase] = []

        # ---------------------------------------------------------------- encryption
        self.encryption_key: kms.Key = rotating_key(
            self,
            description=f"Encrypts the logs, alarm topic and exec sessions of {self.node.path}",
            removal_policy=props.removal_policy,
        )
        """The key (rotated yearly) of the log groups, the alarm topic created here and ECS Exec sessions."""
        allow_logs_service(self.encryption_key)

        # ---------------------------------------------------------------- network and cluster
        self.network: SecureVpc | None = None
        """The ``SecureVpc`` created when neither ``vpc`` nor ``cluster`` is given, else ``None``."""
        self.vpc: ec2.IVpc
        """The VPC the tasks and load balancer are in: ``cluster``'s, ``vpc``, or ``network``'s."""
        if props.cluster is not None:
            self.vpc = props.cluster.vpc
        elif props.vpc is not None:
            self.vpc = props.vpc
        else:
            self.network = SecureVpc(
                self, "Network", nat_gateways=props.nat_gateways, removal_policy=props.removal_policy
            )
            self.vpc = self.network.vpc
        self.exec_log_group: logs.LogGroup | None = (
            self._log_group("ExecLogGroup", props) if props.enable_execute_command else None
        )
        """Where ECS Exec sessions are logged with ``enable_execute_command``, else ``None``."""
        self.cluster: ecs.ICluster = props.cluster or self._new_cluster()
        """The ECS cluster the service runs in: ``cluster`` as given, else a new one in ``vpc``."""

        # ---------------------------------------------------------------- task
        self.log_group: logs.LogGroup = self._log_group("LogGroup", props)
        """The encrypted log group of the containers' output, kept ``log_retention``."""
        self.task_role: ManagedPolicyRole = ManagedPolicyRole(
            self,
            "TaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"The application in {self.node.path}",
        )
        """The role the application runs as; grant your own permissions to it (they land in its one
        managed policy)."""
        self.execution_role: ManagedPolicyRole = ManagedPolicyRole(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"ECS pulling the image, writing logs and reading secrets for {self.node.path}",
        )
        """The role ECS uses to pull the image, write the logs and read the secrets of the task."""
        self.task_definition: ecs.FargateTaskDefinition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=props.cpu,
            memory_limit_mib=props.memory_limit_mib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=props.cpu_architecture,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
            task_role=self.task_role,
            execution_role=self.execution_role,
            volumes=[ecs.Volume(name=name) for name in writable_volumes(props.writable_paths).values()],
        )
        """The service's Fargate task definition (``cpu``, ``memory_limit_mib``, ``cpu_architecture``)."""
        self.container: ecs.ContainerDefinition
        """The essential ``app`` container, running ``image``."""
        self.migration_container: ecs.ContainerDefinition | None
        """The ``migrate`` container that runs ``migration_command`` before ``app`` starts, or ``None``."""
        self.container, self.migration_container = add_containers(
            self, self.task_definition, props, log_group=self.log_group
        )
        if props.ses_identity is not None:
            grant_send_email(self.task_role, props.ses_identity)

        # ---------------------------------------------------------------- security groups
        self.security_group: ec2.SecurityGroup = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=self.vpc,
            description=f"Tasks of {self.node.path}: ingress only from its load balancer",
            allow_all_outbound=props.allow_all_outbound,
        )
        """The tasks' security group: ingress only from the load balancer; egress HTTPS only unless
        ``allow_all_outbound``."""
        if not props.allow_all_outbound:
            self.security_group.add_egress_rule(
                ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs (ECR, logs, Secrets Manager, SES)"
            )
        self.load_balancer_security_group: ec2.SecurityGroup = ec2.SecurityGroup(
            self,
            "LoadBalancerSecurityGroup",
            vpc=self.vpc,
            description=f"Load balancer of {self.node.path}: ingress per its ingress mode",
            allow_all_outbound=False,
        )
        """The load balancer's security group: ingress as ``ingress`` allows, egress to the tasks only."""

        # ---------------------------------------------------------------- service
        self.service: ecs.FargateService = add_service(
            self,
            props,
            cluster=self.cluster,
            task_definition=self.task_definition,
            security_group=self.security_group,
        )
        """The Fargate service that runs ``task_definition`` and registers its tasks in ``target_group``."""
        if props.enable_execute_command:
            acknowledge_exec(self.task_role, self.exec_log_group)

        # ---------------------------------------------------------------- load balancer
        self.ingress: ApiIngress = props.ingress
        """Who can reach the load balancer: the ``ingress`` given, CLOUDFRONT after
        ``enable_cloudfront_ingress()``."""
        lb = add_load_balancer(self, props, vpc=self.vpc, security_group=self.load_balancer_security_group)
        self.load_balancer: elbv2.ApplicationLoadBalancer = lb.load_balancer
        """The Application Load Balancer in front of the tasks (internet-facing only with PUBLIC ingress)."""
        self.access_log_bucket: s3.Bucket = lb.access_log_bucket
        """The bucket the load balancer writes its access logs to."""
        self.target_group: elbv2.ApplicationTargetGroup = lb.target_group
        """The IP target group of the tasks, health-checked on ``health_check_path``."""
        self.certificate: acm.ICertificate | None = lb.certificate
        """The listener's certificate (``certificate``, or one created for ``domain_name``), or ``None``."""
        self.listener: elbv2.ApplicationListener = lb.listener
        """The listener clients reach, on ``listener_port`` (HTTPS on 443 with a certificate, else HTTP on
        80); it forwards to ``target_group``."""
        self.listener_port: int = lb.listener_port
        """The port of ``listener``: 443 with HTTPS, else 80."""
        self.redirect_listener: elbv2.ApplicationListener | None = lb.redirect_listener
        """The port-80 listener that redirects to HTTPS (with HTTPS and ``redirect_http``), else ``None``."""
        self.service.attach_to_application_target_group(self.target_group)

        self._ingress_rules = IngressRules(
            self,
            self.load_balancer_security_group,
            listener_port=self.listener_port,
            redirect_port=80 if self.redirect_listener is not None else None,
            private_cidr=props.private_ingress_cidr
            or (self.network.cidr if self.network is not None else self.vpc.vpc_cidr_block),
            cloudfront_prefix_list_id=props.cloudfront_prefix_list_id,
        )
        self._ingress_rules.apply(self.ingress)

        self.record: route53.ARecord | None = alias_record(self, self.load_balancer, props)
        """``domain_name``'s alias record in ``hosted_zone`` when both are given, else ``None``."""
        scheme = "https" if self.listener_port == 443 else "http"
        self.url: str = f"{scheme}://{props.domain_name or self.load_balancer.load_balancer_dns_name}"
        """The API's base URL: ``https://`` or ``http://`` (per ``listener_port``), then ``domain_name`` or
        the load balancer's DNS name."""
        self.domain_name: str | None = props.domain_name
        """The API's own DNS name (``domain_name`` as given), or ``None``. CdnFrontend's HTTPS VPC origin
        connects to it, so the name the certificate covers is what CloudFront checks."""

        # ---------------------------------------------------------------- WAF
        self._firewall = RegionalFirewall(
            self,
            load_balancer_arn=self.load_balancer.load_balancer_arn,
            mode=self.ingress,
            rate_limit=props.waf_rate_limit,
            encryption_key=self.encryption_key,
            log_retention=props.log_retention,
            removal_policy=props.removal_policy,
        )
        self.web_acl: wafv2.CfnWebACL = self._firewall.web_acl
        """The regional web ACL on the load balancer; its rules follow ``ingress``."""
        self.web_acl_log_group: logs.LogGroup = self._firewall.log_group
        """Where the web ACL logs requests (authorization and cookie headers redacted)."""

        # ---------------------------------------------------------------- autoscaling
        self.scaling: ecs.ScalableTaskCount = scale(self.service, props, target_group=self.target_group)
        """The service's task count, scaled between ``min_tasks`` and ``max_tasks`` to track CPU, memory
        and (with ``requests_per_target``) requests per target. Add policies of your own to it, e.g.
        ``scale_on_schedule``."""

        # ---------------------------------------------------------------- alarms and dashboard
        self.alarm_topic: sns.ITopic = props.alarm_topic or new_alarm_topic(
            self, self.encryption_key, owner=self
        )
        """The SNS topic the alarms notify: ``alarm_topic`` as given, else a new one encrypted with
        ``encryption_key``."""
        alarms = add_alarms(
            self,
            props,
            topic=self.alarm_topic,
            service=self.service,
            cluster=self.cluster,
            target_group=self.target_group,
            load_balancer=self.load_balancer,
        )
        self.alarms: list[cloudwatch.Alarm] = alarms.alarms
        """Every alarm of the API; each notifies ``alarm_topic`` when it goes off and when it is OK again."""
        self.deployment_alarms: list[cloudwatch.Alarm] = alarms.deployment_alarms
        """The alarms (among ``alarms``) that roll a deployment back when one of them goes off during it:
        the targets' 5xx count and p99 response time."""
        self.dashboard: cloudwatch.Dashboard = alarms.dashboard
        """The API's dashboard: requests and errors, response times, CPU and memory, tasks, alarms."""

        # ---------------------------------------------------------------- database
        if props.database is not None:
            self.connect(
                props.database,
                iam_database_user=props.iam_database_user,
                env_prefix=props.database_env_prefix,
            )

        acknowledge_image_pull(self.execution_role)

    # ------------------------------------------------------------------------------------------ public API

    def enable_cloudfront_ingress(self) -> None:
        """Admit only CloudFront's origin-facing servers on the listener port (called by CdnFrontend).

        Switches ``ingress`` from PRIVATE to CLOUDFRONT; calling it again changes nothing. The web ACL then
        drops its rate limit per IP and its IP reputation list, which would see CloudFront's addresses;
        the distribution's web ACL applies both to viewers (see ``secure_fargate_api.firewall``).

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
        self._ingress_rules.apply(self.ingress)
        self._firewall.apply(self.ingress)

    def connect(
        self,
        database: ConnectableDatabase,
        *,
        iam_database_user: str | None = None,
        env_prefix: str | None = None,
    ) -> None:
        """Let the service use ``database`` (see docs/design.md#database-credentials).

        Opens only the port clients use (an RDS Proxy's, when the database has one) from the tasks'
        security group, passes ``DB_HOST``, ``DB_PORT``, ``DB_NAME``, ``DB_SECRET_ARN`` and ``DB_AUTH``
        (``password`` or ``iam``) as plain configuration (no secret value), and lets the task role read
        only that secret (and decrypt it with its key). The app re-reads the secret on an authentication
        failure, so rotation never needs a redeploy. With ``iam_database_user``, or through a proxy that
        accepts only IAM tokens, the task role may connect as that user (the proxy's: its master user)
        with IAM authentication (``DB_AUTH=iam``, ``DB_IAM_USER``).

        :param env_prefix: put before each variable name, e.g. ``"API_"`` for ``API_DB_HOST``.
            :default: - the construct's ``database_env_prefix``
        :raises ValidationError: ``env_prefix`` is not upper-case letters, digits and ``_``.
        """
        prefix = self._database_env_prefix if env_prefix is None else env_prefix
        if not ENV_PREFIX.fullmatch(prefix):
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
        connect_database(
            database,
            service=self.service,
            task_definition=self.task_definition,
            task_role=self.task_role,
            containers=[c for c in (self.container, self.migration_container) if c is not None],
            env_prefix=prefix,
            iam_database_user=iam_database_user,
        )

    # ------------------------------------------------------------------------------------------ internals

    def _log_group(self, id: str, props: ApiProps) -> logs.LogGroup:
        return logs.LogGroup(
            self,
            id,
            retention=props.log_retention,
            encryption_key=self.encryption_key,
            removal_policy=retain_except_on_create(props.removal_policy),
        )

    def _new_cluster(self) -> ecs.Cluster:
        """A cluster with Container Insights and both Fargate capacity providers; with ECS Exec, sessions
        are encrypted with the construct's key and logged to its exec log group."""
        return ecs.Cluster(
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
