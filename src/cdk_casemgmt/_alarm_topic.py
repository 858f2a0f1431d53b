"""The SNS topic an alarm construct of ours notifies when the user gives none (SecureFargateApi,
PostgresDatabase, CdnFrontend): encrypted with a customer-managed key, TLS only, and open to the
CloudWatch alarms of its own account and region.

Why both statements are needed: ``enforce_ssl`` gives the topic a topic policy, and a topic policy replaces
SNS's default one, so without an Allow for ``cloudwatch.amazonaws.com`` every alarm action fails ("not
authorized to perform: SNS:Publish", visible only in the alarm's history). An encrypted topic also needs
CloudWatch to be allowed to use its key. Both are scoped with ``aws:SourceArn`` to the alarms of this account
and region, the condition AWS documents for each: the topic policy in
https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger and the key policy in
https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html (the ARN names the account, so
``aws:SourceAccount`` would add nothing). The topic has no subscription: docs/operations.md says how to add
one. ``notifying_alarm()`` is the one way those constructs make an alarm that notifies such a topic.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

__all__ = ["CLOUDWATCH", "alarm_topic", "alarms_of_this_account"]

CLOUDWATCH = "cloudwatch.amazonaws.com"

_DISPLAY_NAME_LIMIT = 100  # SNS's limit on a topic's display name


def alarms_of_this_account(scope: Construct) -> str:
    """``arn:<partition>:cloudwatch:<region>:<account>:alarm:*`` of ``scope``'s stack."""
    return Stack.of(scope).format_arn(
        service="cloudwatch",
        resource="alarm",
        resource_name="*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def alarm_topic(scope: Construct, key: kms.IKey, *, owner: Construct) -> sns.Topic:
    """The topic ``AlarmTopic`` in ``scope``, encrypted with ``key``, for the alarms of ``owner``.

    :param scope: where the topic goes: ``owner`` itself, or the us-east-1 stack holding CloudFront's alarms.
    :param key: the topic's key; its policy gets the CloudWatch statement (a key imported from another stack
        keeps its policy, which must then allow CloudWatch already).
    :param owner: the construct whose alarms notify the topic; its path is the topic's display name, the
        sender name of e-mail notifications.
    """
    source = {"ArnLike": {"aws:SourceArn": alarms_of_this_account(scope)}}
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchAlarmsToUseTheKey",
            principals=[iam.ServicePrincipal(CLOUDWATCH)],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
            conditions=source,
        )
    )
    topic = sns.Topic(
        scope,
        "AlarmTopic",
        display_name=f"{owner.node.path} alarms"[:_DISPLAY_NAME_LIMIT],
        master_key=key,
        enforce_ssl=True,
    )
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchAlarmsToPublish",
            principals=[iam.ServicePrincipal(CLOUDWATCH)],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions=source,
        )
    )
    return topic


def notifying_alarm(
    scope: Construct,
    id: str,
    *,
    topic: sns.ITopic,
    description: str,
    metric: cloudwatch.IMetric,
    threshold: float,
    comparison_operator: cloudwatch.ComparisonOperator,
    evaluation_periods: int,
    datapoints_to_alarm: int,
    treat_missing_data: cloudwatch.TreatMissingData,
) -> cloudwatch.Alarm:
    """An alarm that notifies ``topic`` when it goes into ALARM and when it returns to OK."""
    alarm = cloudwatch.Alarm(
        scope,
        id,
        alarm_description=description,
        metric=metric,
        threshold=threshold,
        comparison_operator=comparison_operator,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints_to_alarm,
        treat_missing_data=treat_missing_data,
    )
    action = cw_actions.SnsAction(topic)
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)
    return alarm
