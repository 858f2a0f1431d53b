"""CdnFrontend's alarms: the distribution's 5xx error rate and p90 origin latency, in us-east-1 where
CloudFront publishes its metrics, notifying one SNS topic on alarm and on OK."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

__all__ = ["add_alarms", "alarm_topic"]


def alarm_topic(scope: Construct, key: kms.Key) -> sns.Topic:
    """A topic encrypted with ``key``, which CloudWatch may use to publish the alarms."""
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
        )
    )
    return sns.Topic(scope, "AlarmTopic", master_key=key, enforce_ssl=True)


def add_alarms(
    scope: Construct,
    *,
    owner: Construct,
    distribution: cloudfront.Distribution,
    topic: sns.ITopic,
    error_rate_percent: float,
    latency: Duration,
) -> list[cloudwatch.Alarm]:
    """The two alarms in ``scope`` (a us-east-1 stack or ``owner``), described with ``owner``'s path."""
    period = Duration.minutes(5)
    error_rate = cloudwatch.Alarm(
        scope,
        "ErrorRateAlarm",
        alarm_description=f"{owner.node.path}: 5xx error rate above {error_rate_percent}%",
        metric=distribution.metric5xx_error_rate(period=period, statistic="Average"),
        threshold=error_rate_percent,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    origin_latency = cloudwatch.Alarm(
        scope,
        "OriginLatencyAlarm",
        alarm_description=f"{owner.node.path}: p90 origin latency above {latency.to_human_string()}",
        metric=distribution.metric_origin_latency(period=period, statistic="p90"),
        threshold=latency.to_milliseconds(),
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    action = cw_actions.SnsAction(topic)
    for alarm in (error_rate, origin_latency):
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
    return [error_rate, origin_latency]
