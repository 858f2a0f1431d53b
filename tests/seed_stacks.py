"""The seed's CDK configuration (the Express + TypeScript project this grew from), transcribed literally.

Deviations, each forced, none changing the price:
- The seed references ``databaseSecret`` and ``jwtSecret`` without defining them: two
  ``secretsmanager.Secret``s stand in for them.
- The seed puts the database in ``PRIVATE_ISOLATED`` subnets of a VPC that has none (synth fails):
  ``PRIVATE_WITH_EGRESS`` is used instead.
- ``addTargets`` on port 3000 without a protocol fails synth ("Don't know default protocol"):
  ``protocol=HTTP`` is given.
- Both stacks get the fixed test environment; the DatabaseStack receives the EcsStack's VPC as in the seed.
"""

from __future__ import annotations

from aws_cdk import App, CfnOutput, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk_casemgmt.testing import test_env


class EcsStack(Stack):
    def __init__(self, scope: Construct, id: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        self.vpc = vpc = ec2.Vpc(self, "CaseManagementVpc", max_azs=2, nat_gateways=1)
        cluster = ecs.Cluster(self, "CaseManagementCluster", vpc=vpc, cluster_name="case-management-cluster")
        task_definition = ecs.FargateTaskDefinition(
            self, "CaseManagementTask", memory_limit_mib=1024, cpu=512
        )
        database_secret = secretsmanager.Secret(self, "DatabaseSecret")
        jwt_secret = secretsmanager.Secret(self, "JwtSecret")
        container = task_definition.add_container(
            "CaseManagementContainer",
            image=ecs.ContainerImage.from_registry(
                "your-account.dkr.ecr.region.amazonaws.com/case-management-api:latest"
            ),
            environment={"NODE_ENV": "production", "PORT": "3000"},
            secrets={
                "DATABASE_URL": ecs.Secret.from_secrets_manager(database_secret),
                "JWT_SECRET": ecs.Secret.from_secrets_manager(jwt_secret),
            },
            logging=ecs.LogDrivers.aws_logs(
                log_group=logs.LogGroup(
                    self,
                    "CaseManagementLogGroup",
                    log_group_name="/ecs/case-management",
                    retention=logs.RetentionDays.ONE_WEEK,
                ),
                stream_prefix="ecs",
            ),
        )
        container.add_port_mappings(ecs.PortMapping(container_port=3000, protocol=ecs.Protocol.TCP))
        service = ecs.FargateService(
            self,
            "CaseManagementService",
            cluster=cluster,
            task_definition=task_definition,
            desired_count=2,
            assign_public_ip=False,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        )
        alb = elbv2.ApplicationLoadBalancer(self, "CaseManagementALB", vpc=vpc, internet_facing=True)
        listener = alb.add_listener("CaseManagementListener", port=80, open=True)
        listener.add_targets(
            "CaseManagementTargets",
            port=3000,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[service],
            health_check=elbv2.HealthCheck(path="/health", interval=Duration.seconds(60)),
        )
        scaling = service.auto_scale_task_count(min_capacity=1, max_capacity=10)
        scaling.scale_on_cpu_utilization("CpuScaling", target_utilization_percent=70)
        scaling.scale_on_memory_utilization("MemoryScaling", target_utilization_percent=80)
        CfnOutput(self, "LoadBalancerDNS", value=alb.load_balancer_dns_name)


class DatabaseStack(Stack):
    def __init__(self, scope: Construct, id: str, vpc: ec2.IVpc, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        db_security_group = ec2.SecurityGroup(
            self,
            "DatabaseSecurityGroup",
            vpc=vpc,
            description="Security group for RDS database",
            allow_all_outbound=False,
        )
        db_security_group.add_ingress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(5432), "Allow PostgreSQL connections from ECS"
        )
        subnet_group = rds.SubnetGroup(
            self,
            "DatabaseSubnetGroup",
            vpc=vpc,
            description="Subnet group for RDS database",
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        )
        self.database = rds.DatabaseInstance(
            self,
            "CaseManagementDatabase",
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_15_3),
            instance_type=ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MEDIUM),
            credentials=rds.Credentials.from_generated_secret("postgres"),
            vpc=vpc,
            subnet_group=subnet_group,
            security_groups=[db_security_group],
            multi_az=True,
            allocated_storage=100,
            storage_type=rds.StorageType.GP2,
            backup_retention=Duration.days(7),
            deletion_protection=True,
            database_name="casemanagement",
        )
        CfnOutput(self, "DatabaseEndpoint", value=self.database.instance_endpoint.hostname)


def seed_app(app: App) -> tuple[EcsStack, DatabaseStack]:
    ecs_stack = EcsStack(app, "EcsStack", env=test_env())
    db_stack = DatabaseStack(app, "DatabaseStack", ecs_stack.vpc, env=test_env())
    return ecs_stack, db_stack
