"""PostgresDatabase's alarms: CPU, and storage, memory and connections measured against the size chosen
(the instance class, or the Serverless v2 capacity), each notifying one SNS topic on alarm and on OK."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_casemgmt._alarm_topic import notifying_alarm
from cdk_casemgmt._defaults import DATABASE, POSTGRES_INSTANCE_CLASSES
from cdk_casemgmt._postgres_props import CheckedProps

__all__ = ["add_alarms"]

_GIB = 1024**3
# RDS PostgreSQL's default max_connections: LEAST({DBInstanceClassMemory/9531392}, 5000).
_BYTES_PER_CONNECTION = 9531392
_MAX_CONNECTIONS = 5000


def add_alarms(
    scope: Construct,
    topic: sns.ITopic,
    database: rds.DatabaseInstance | rds.DatabaseCluster,
    props: CheckedProps,
) -> list[cloudwatch.Alarm]:
    """The alarms of ``database``, an RDS instance or an Aurora Serverless v2 cluster."""
    dimension = (
        {"DBInstanceIdentifier": database.instance_identifier}
        if isinstance(database, rds.DatabaseInstance)
        else {"DBClusterIdentifier": database.cluster_identifier}
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
        return notifying_alarm(
            scope,
            id,
            topic=topic,
            description=f"{scope.node.path}: {what}",
            metric=m,
            threshold=threshold,
            comparison_operator=op,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING
            if id == "ConnectionsAlarm"
            else cloudwatch.TreatMissingData.MISSING,
        )

    gt = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
    lt = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
    alarms = [
        alarm(
            "CpuAlarm",
            metric("CPUUtilization"),
            DATABASE.cpu_alarm_percent,
            gt,
            f"CPU above {DATABASE.cpu_alarm_percent}% for 15 minutes",
        )
    ]
    serverless = props.serverless_v2
    if serverless is None:
        storage_gib = props.allocated_storage_gib
        _, memory_gib = _class_size(props.instance_class)
        max_connections = min(memory_gib * _GIB // _BYTES_PER_CONNECTION, _MAX_CONNECTIONS)
        alarms += [
            alarm(
                "FreeStorageAlarm",
                metric("FreeStorageSpace", "Minimum"),
                storage_gib * _GIB * DATABASE.free_storage_alarm_percent / 100,
                lt,
                f"free storage below {DATABASE.free_storage_alarm_percent}% of the allocated "
                f"{storage_gib} GiB (autoscaling may be at its ceiling)",
            ),
            alarm(
                "FreeableMemoryAlarm",
                metric("FreeableMemory", "Minimum"),
                memory_gib * _GIB * DATABASE.freeable_memory_alarm_percent / 100,
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
                serverless.min_acu * 2 * _GIB * DATABASE.freeable_memory_alarm_percent / 100,
                lt,
                "freeable memory low for the minimum capacity",
            ),
            alarm(
                "ConnectionsAlarm",
                metric("DatabaseConnections", "Maximum"),
                int(min(serverless.max_acu * 2 * _GIB // _BYTES_PER_CONNECTION, _MAX_CONNECTIONS))
                * DATABASE.connections_alarm_percent
                // 100,
                gt,
                "connections near max_connections at the maximum capacity",
            ),
        ]
    return alarms


def _class_size(instance_class: str) -> tuple[int, int]:
    """(vCPU, memory GiB) of a validated instance class such as ``db.t4g.medium``."""
    _, family, size = instance_class.split(".", 2)
    return POSTGRES_INSTANCE_CLASSES[family][size]
