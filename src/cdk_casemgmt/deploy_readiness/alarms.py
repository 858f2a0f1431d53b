"""Alarms that deploy fine and never notify anyone, or never leave OK."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cdk_nag import NagRuleCompliance

from cdk_casemgmt.deploy_readiness._rule import rule
from cdk_casemgmt.deploy_readiness._template import (
    Resource,
    as_list,
    dig,
    matches_action,
    principal_includes_service,
    statements,
    target_id,
)

_ALARMS = ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")
_ACTIONS = ("AlarmActions", "OKActions", "InsufficientDataActions")
_CLOUDWATCH = "cloudwatch.amazonaws.com"


def _action_topics(alarm: Resource) -> Iterator[Resource]:
    for key in _ACTIONS:
        for action in as_list(alarm.get(key)):
            topic = alarm.template.target(action, "AWS::SNS::Topic")
            if topic is not None:
                yield topic


def _topic_policies(topic: Resource) -> Iterator[Any]:
    """The policy documents that replace the topic's default policy."""
    for policy in topic.template.of_type("AWS::SNS::TopicPolicy"):
        if any(target_id(t) == topic.logical_id for t in as_list(policy.get("Topics"))):
            yield policy.get("PolicyDocument")
    for policy in topic.template.of_type("AWS::SNS::TopicInlinePolicy"):
        if target_id(policy.get("TopicArn")) == topic.logical_id:
            yield policy.get("PolicyDocument")


def _admits_cloudwatch(document: Any) -> bool:
    allowed = False
    for statement in statements(document):
        if not matches_action(statement.get("Action"), "sns:Publish"):
            continue
        if not principal_includes_service(statement.get("Principal"), _CLOUDWATCH):
            continue
        if statement.get("Effect") == "Deny" and not statement.get("Condition"):
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


@rule(
    "AlarmTopicPolicy",
    types=_ALARMS,
    info="The alarm notifies an SNS topic whose topic policy does not allow cloudwatch.amazonaws.com to "
    "sns:Publish.",
    explanation="A topic policy (AWS::SNS::TopicPolicy) replaces the topic's default policy, which let the "
    "account's services publish. Without an Allow for the CloudWatch service principal every alarm action "
    "fails ('not authorized to perform: SNS:Publish', visible only in the alarm's history), so the alarm "
    "never notifies anyone. aws-cdk-lib's Topic(enforce_ssl=True) creates such a policy holding only the "
    "deny-non-TLS statement. Fix: add a statement allowing cloudwatch.amazonaws.com sns:Publish on the "
    "topic, scoped with aws:SourceAccount or aws:SourceArn to your alarms.",
    documentation="https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger",
)
def alarm_topic_policy(alarm: Resource) -> NagRuleCompliance:
    """An alarm's SNS action whose topic policy does not admit CloudWatch."""
    topics = list(_action_topics(alarm))
    if not topics:
        return NagRuleCompliance.NOT_APPLICABLE
    for topic in topics:
        documents = list(_topic_policies(topic))
        if documents and not any(_admits_cloudwatch(d) for d in documents):
            return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


def _literal_text(value: Any) -> str:
    """A string, or the literal parts of an ``Fn::Join`` (enough to recognise an alias name)."""
    if isinstance(value, str):
        return value
    parts = dig(value, "Fn::Join", 1)
    return "".join(p for p in as_list(parts) if isinstance(p, str))


def _key_admits_cloudwatch(key: Resource) -> bool:
    needed = {"kms:Decrypt", "kms:GenerateDataKey"}
    granted: set[str] = set()
    for statement in statements(key.get("KeyPolicy")):
        if statement.get("Effect") != "Allow":
            continue
        if not principal_includes_service(statement.get("Principal"), _CLOUDWATCH):
            continue
        granted.update(a for a in needed if matches_action(statement.get("Action"), a))
    return granted == needed


@rule(
    "AlarmTopicKey",
    types=_ALARMS,
    info="The alarm notifies an SNS topic encrypted with a KMS key that cloudwatch.amazonaws.com may not "
    "use.",
    explanation="CloudWatch publishes to an encrypted topic only when the topic's key policy allows the "
    "CloudWatch service principal kms:Decrypt and kms:GenerateDataKey*. The AWS managed key alias/aws/sns "
    "cannot be given that permission, and a customer managed key without it makes every alarm action fail "
    "silently. Fix: encrypt the topic with a customer managed key whose policy allows "
    "cloudwatch.amazonaws.com those two actions.",
    documentation="https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html",
)
def alarm_topic_key(alarm: Resource) -> NagRuleCompliance:
    """An alarm's SNS action whose topic key does not admit CloudWatch."""
    view = alarm.template
    topics = [t for t in _action_topics(alarm) if t.get("KmsMasterKeyId") is not None]
    if not topics:
        return NagRuleCompliance.NOT_APPLICABLE
    for topic in topics:
        key_id = topic.get("KmsMasterKeyId")
        if _literal_text(key_id).endswith("alias/aws/sns"):
            return NagRuleCompliance.NON_COMPLIANT
        key = view.target(key_id, "AWS::KMS::Key")
        alias = view.target(key_id, "AWS::KMS::Alias")
        if alias is not None:
            key = view.target(alias.get("TargetKeyId"), "AWS::KMS::Key")
        if key is not None and not _key_admits_cloudwatch(key):
            return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


def _metrics(alarm: Resource) -> Iterator[Mapping[str, Any]]:
    """Each metric an alarm reads: ``{"Namespace", "Dimensions"}``."""
    if alarm.get("Namespace") is not None:
        yield {"Namespace": alarm.get("Namespace"), "Dimensions": alarm.get("Dimensions")}
    for query in as_list(alarm.get("Metrics")):
        metric = dig(query, "MetricStat", "Metric")
        if isinstance(metric, Mapping):
            yield metric


@rule(
    "CloudFrontMetricRegion",
    types=("AWS::CloudWatch::Alarm",),
    info="The alarm reads an AWS/CloudFront metric without the dimension Region=Global, or from a "
    "region other than us-east-1.",
    explanation="CloudFront publishes its metrics only in us-east-1, with the dimensions DistributionId and "
    "Region=Global. A metric with DistributionId alone, or an alarm in another region, matches no data: "
    "the alarm stays in OK (or INSUFFICIENT_DATA) forever. aws-cdk-lib's Distribution.metric*() methods "
    "omit Region (aws/aws-cdk#19245). Fix: add dimensions_map={'DistributionId': ..., 'Region': 'Global'} "
    "and create the alarm in a us-east-1 stack.",
    documentation="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/programming-cloudwatch-metrics.html",
)
def cloudfront_metric_region(alarm: Resource) -> NagRuleCompliance:
    """An alarm on a CloudFront metric that CloudFront never publishes."""
    metrics = [m for m in _metrics(alarm) if m.get("Namespace") == "AWS/CloudFront"]
    if not metrics:
        return NagRuleCompliance.NOT_APPLICABLE
    region = alarm.template.region
    if region is not None and region != "us-east-1":
        return NagRuleCompliance.NON_COMPLIANT
    for metric in metrics:
        dimensions = {
            d.get("Name"): d.get("Value") for d in as_list(metric.get("Dimensions")) if isinstance(d, Mapping)
        }
        if dimensions.get("Region") != "Global":
            return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


RULES = (alarm_topic_policy, alarm_topic_key, cloudfront_metric_region)
