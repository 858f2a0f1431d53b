"""The API's Fargate service: where its tasks run, how it deploys (never below the running count, rolled
back by the circuit breaker or an alarm) and how it scales."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from cdk_casemgmt.secure_fargate_api.props import ApiProps


def add_service(
    owner: Construct,
    props: ApiProps,
    *,
    cluster: ecs.ICluster,
    task_definition: ecs.FargateTaskDefinition,
    security_group: ec2.ISecurityGroup,
) -> ecs.FargateService:
    """The service ``Service``: in ``task_subnets`` (by default private subnets with egress, else public
    subnets with public IPs), with ``spot_share_percent`` of its tasks on Fargate Spot."""
    if props.task_subnets is None:
        public_ips = not cluster.vpc.private_subnets
        subnets = ec2.SubnetSelection(
            subnet_type=ec2.SubnetType.PUBLIC if public_ips else ec2.SubnetType.PRIVATE_WITH_EGRESS
        )
    else:
        public_ips = props.task_subnets.subnet_type == ec2.SubnetType.PUBLIC
        subnets = props.task_subnets
    spot = props.spot_share_percent
    return ecs.FargateService(
        owner,
        "Service",
        cluster=cluster,
        task_definition=task_definition,
        security_groups=[security_group],
        vpc_subnets=subnets,
        assign_public_ip=public_ips,
        platform_version=ecs.FargatePlatformVersion.LATEST,
        min_healthy_percent=100,
        max_healthy_percent=200,
        circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
        health_check_grace_period=props.health_check_grace_period,
        desired_count=props.desired_count,
        enable_execute_command=props.enable_execute_command,
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


def scale(
    service: ecs.FargateService, props: ApiProps, *, target_group: elbv2.ApplicationTargetGroup
) -> ecs.ScalableTaskCount:
    """Target tracking between ``min_tasks`` and ``max_tasks`` on CPU, memory and, with
    ``requests_per_target``, the ALB's requests per target."""
    scaling = service.auto_scale_task_count(min_capacity=props.min_tasks, max_capacity=props.max_tasks)
    scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=props.cpu_target_percent)
    scaling.scale_on_memory_utilization("Memory", target_utilization_percent=props.memory_target_percent)
    if props.requests_per_target is not None:
        scaling.scale_on_request_count(
            "Requests", requests_per_target=props.requests_per_target, target_group=target_group
        )
    return scaling
