"""What tells the API's operators something is wrong: the alarm topic, the alarms (two of which roll a
deployment back) and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_casemgmt._alarm_topic import notifying_alarm
from cdk_casemgmt._defaults import FARGATE_API
from cdk_casemgmt.secure_fargate_api.props import ApiProps


@dataclass(frozen=True)
class Alarms:
    alarms: list[cloudwatch.Alarm]
    deployment_alarms: list[cloudwatch.Alarm]
    """The alarms that roll a deployment back."""
    dashboard: cloudwatch.Dashboard


def add_alarms(
    owner: Construct,
    props: ApiProps,
    *,
    topic: sns.ITopic,
    service: ecs.FargateService,
    cluster: ecs.ICluster,
    target_group: elbv2.ApplicationTargetGroup,
    load_balancer: elbv2.ApplicationLoadBalancer,
) -> Alarms:
    """The alarms (to ``topic``, OK actions too), rollback on the target-group ones, and the dashboard."""
    tg, alb = target_group.metrics, load_balancer.metrics
    minute = Duration.minutes(1)
    scope = Construct(owner, "Alarms")

    def alarm(
        id: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        *,
        periods: int = 3,
        datapoints: int = 2,
    ) -> cloudwatch.Alarm:
        return notifying_alarm(
            scope,
            id,
            topic=topic,
            description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=periods,
            datapoints_to_alarm=datapoints,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    target_5xx = alarm(
        "Target5xx",
        tg.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=minute, statistic="Sum"),
        props.alarm_5xx_threshold,
        "The app answered with 5xx (rolls a deployment back)",
    )
    latency = alarm(
        "LatencyP99",
        tg.target_response_time(period=minute, statistic="p99"),
        props.p99_latency_threshold.to_seconds(),
        "p99 target response time above threshold (rolls a deployment back)",
    )
    elb_5xx = alarm(
        "Elb5xx",
        alb.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=minute, statistic="Sum"),
        props.alarm_5xx_threshold,
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
        service.metric_cpu_utilization(period=Duration.minutes(5)),
        FARGATE_API.cpu_alarm_percent,
        f"CPU above {FARGATE_API.cpu_alarm_percent} % although autoscaling targets "
        f"{FARGATE_API.cpu_target_percent} % (at max_tasks?)",
    )
    memory = alarm(
        "Memory",
        service.metric_memory_utilization(period=Duration.minutes(5)),
        FARGATE_API.memory_alarm_percent,
        f"Memory above {FARGATE_API.memory_alarm_percent} % although autoscaling targets "
        f"{FARGATE_API.memory_target_percent} % (at max_tasks, or a leak?)",
    )
    dims = {"ClusterName": cluster.cluster_name, "ServiceName": service.service_name}

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
    alarms = [
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
    deployment_alarms = [target_5xx, latency]
    service.enable_deployment_alarms(
        [a.alarm_name for a in deployment_alarms], behavior=ecs.AlarmBehavior.ROLLBACK_ON_ALARM
    )

    dashboard = cloudwatch.Dashboard(owner, "Dashboard", default_interval=Duration.hours(3))
    dashboard.add_widgets(
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
        cloudwatch.AlarmStatusWidget(alarms=list(alarms), title="Alarms", width=24),
    )
    return Alarms(alarms, deployment_alarms, dashboard)
