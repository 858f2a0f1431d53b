"""CdnFrontend's alarms: the distribution's 5xx error rate and p90 origin latency, in us-east-1 where
CloudFront publishes its metrics, notifying one SNS topic on alarm and on OK.

CloudFront publishes each metric with two dimensions, ``DistributionId`` and ``Region=Global``
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/programming-cloudwatch-metrics.html).
A metric named with ``DistributionId`` alone matches no data, and aws-cdk-lib's ``Distribution.metric*()``
methods omit ``Region`` (aws/aws-cdk#19245), so the metrics are built here with both.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_casemgmt._alarm_topic import notifying_alarm

__all__ = ["add_alarms", "distribution_metric"]

_PERIOD = Duration.minutes(5)


def distribution_metric(
    distribution: cloudfront.IDistribution, metric_name: str, *, statistic: str
) -> cloudwatch.Metric:
    """``AWS/CloudFront`` ``metric_name`` of ``distribution``, as CloudFront publishes it."""
    return cloudwatch.Metric(
        namespace="AWS/CloudFront",
        metric_name=metric_name,
        dimensions_map={"DistributionId": distribution.distribution_id, "Region": "Global"},
        statistic=statistic,
        period=_PERIOD,
    )


def add_alarms(
    scope: Construct,
    *,
    owner: Construct,
    distribution: cloudfront.Distribution,
    topic: sns.ITopic,
    error_rate_percent: float,
    latency: Duration,
) -> list[cloudwatch.Alarm]:
    """The two alarms in ``scope`` (a us-east-1 stack or ``owner``), described with ``owner``'s path: each
    goes off when its metric is above the threshold in 2 of 3 periods (no data is not a breach)."""
    specs = (
        (
            "ErrorRateAlarm",
            f"5xx error rate above {error_rate_percent}%",
            distribution_metric(distribution, "5xxErrorRate", statistic="Average"),
            error_rate_percent,
        ),
        (
            "OriginLatencyAlarm",
            f"p90 origin latency above {latency.to_human_string()}",
            distribution_metric(distribution, "OriginLatency", statistic="p90"),
            latency.to_milliseconds(),
        ),
    )
    return [
        notifying_alarm(
            scope,
            id,
            topic=topic,
            description=f"{owner.node.path}: {what}",
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        for id, what, metric, threshold in specs
    ]
