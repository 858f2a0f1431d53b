"""The WAF web ACLs of SecureFargateApi (REGIONAL) and CdnFrontend (CLOUDFRONT): AWS managed rule groups,
an optional rate limit per source IP, and logging to a KMS-encrypted ``aws-waf-logs-*`` log group.

What the two share is fixed here rather than passed in, so it cannot drift apart: the core rule set
counts ``SizeRestrictions_BODY`` instead of blocking every body over 8 KB (``COMMON_RULE_SET``), and
the logs leave out the headers that carry credentials (``REDACTED_HEADERS``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aws_cdk import ArnFormat, IResolvable, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk_casemgmt._removal import retain_except_on_create

RATE_LIMIT_RULE = "RateLimitPerIp"

REDACTED_HEADERS = ("authorization", "cookie")
"""Request headers whose values every WAF log leaves out: bearer tokens and session cookies, valid until
they expire, would otherwise be readable by anyone who can read the logs."""


@dataclass(frozen=True)
class ManagedRuleGroup:
    """An AWS managed rule group, by name, with the rules that only count instead of blocking."""

    name: str
    count_only: Sequence[str] = ()


COMMON_RULE_SET = ManagedRuleGroup("AWSManagedRulesCommonRuleSet", count_only=("SizeRestrictions_BODY",))
"""AWS's core rule set, with ``SizeRestrictions_BODY`` counted (visible in the logs) instead of blocking:
it rejects every request body over 8 KB, which breaks uploads and long text fields; the application
enforces its own body limit
(https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html)."""
IP_REPUTATION_LIST = ManagedRuleGroup("AWSManagedRulesAmazonIpReputationList")
"""Judges a request by its source address: only where that address is the client's."""
KNOWN_BAD_INPUTS = ManagedRuleGroup("AWSManagedRulesKnownBadInputsRuleSet")
"""Request patterns known to be invalid or to probe for vulnerabilities (Log4j JNDI lookups among them);
used by both web ACLs."""


def visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    """CloudWatch metrics and sampled requests on, under ``metric_name``."""
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


def acl_rules(
    rule_groups: Sequence[ManagedRuleGroup],
    *,
    rate_limit: int | None,
    rate_window_seconds: int | None,
) -> list[wafv2.CfnWebACL.RuleProperty]:
    """``rule_groups`` in priority order, then, with ``rate_limit``, a block above that many requests per
    source IP.

    :param rate_limit: requests per source IP and window. ``None``: no rate rule (where the source IP is
        not the client's, e.g. a load balancer behind CloudFront).
    :param rate_window_seconds: the rate limit's evaluation window. :default: - WAF's own (300 s)
    """

    def managed(group: ManagedRuleGroup, priority: int) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name=group.name,
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS",
                    name=group.name,
                    rule_action_overrides=[
                        wafv2.CfnWebACL.RuleActionOverrideProperty(
                            name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                        )
                        for rule in group.count_only
                    ]
                    or None,
                )
            ),
            visibility_config=visibility(group.name),
        )

    found = [managed(group, priority) for priority, group in enumerate(rule_groups)]
    if rate_limit is not None:
        found.append(
            wafv2.CfnWebACL.RuleProperty(
                name=RATE_LIMIT_RULE,
                priority=len(rule_groups),
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        aggregate_key_type="IP", limit=rate_limit, evaluation_window_sec=rate_window_seconds
                    )
                ),
                visibility_config=visibility(RATE_LIMIT_RULE),
            )
        )
    return found


def web_acl(
    scope: Construct,
    *,
    waf_scope: Literal["REGIONAL", "CLOUDFRONT"],
    rules: Sequence[IResolvable | wafv2.CfnWebACL.RuleProperty],
    metric_name: str,
    associate_with: str | None,
) -> wafv2.CfnWebACL:
    """The web ACL ``WebAcl`` in ``scope`` with ``rules`` (built by ``acl_rules()``; assign
    ``acl.rules`` to change them later). Log it with ``log_web_acl()``.

    :param metric_name: the ACL's CloudWatch metric name.
    :param associate_with: ARN of a regional resource to protect (``WebAclAssociation``); a CLOUDFRONT ACL
        is set on the distribution instead.
    """
    acl = wafv2.CfnWebACL(
        scope,
        "WebAcl",
        scope=waf_scope,
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=visibility(metric_name),
        rules=list(rules),
    )
    if associate_with is not None:
        wafv2.CfnWebACLAssociation(
            scope, "WebAclAssociation", resource_arn=associate_with, web_acl_arn=acl.attr_arn
        )
    return acl


def log_web_acl(
    scope: Construct,
    acl: wafv2.CfnWebACL,
    *,
    log_group_name: str,
    log_group_id: str,
    logging_id: str,
    encryption_key: kms.IKey,
    retention: logs.RetentionDays,
    removal_policy: RemovalPolicy,
    destination_references_log_group: bool,
) -> logs.LogGroup:
    """Log every request ``acl`` sees, without the ``REDACTED_HEADERS``, to a new KMS-encrypted log
    group.

    :param log_group_name: must start with ``aws-waf-logs-`` (WAF logs to no other group); a CLOUDFRONT
        ACL's group must be in us-east-1, like the ACL.
    :param removal_policy: RETAIN becomes RETAIN_ON_UPDATE_OR_DELETE: the group has a fixed name, and a
        group kept after a failed first create would make the retry fail with "already exists".
    :param destination_references_log_group: the logging destination's ARN refers to the log group
        (CloudFormation orders the two by that reference); otherwise it is formatted from the literal
        name and the logging configuration depends on the group explicitly.
    """
    log_group = logs.LogGroup(
        scope,
        log_group_id,
        log_group_name=log_group_name,
        retention=retention,
        encryption_key=encryption_key,
        removal_policy=retain_except_on_create(removal_policy),
    )
    destination_name = log_group.log_group_name if destination_references_log_group else log_group_name
    logging = wafv2.CfnLoggingConfiguration(
        scope,
        logging_id,
        resource_arn=acl.attr_arn,
        log_destination_configs=[
            Stack.of(scope).format_arn(
                service="logs",
                resource="log-group",
                resource_name=destination_name,
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
        ],
        redacted_fields=[
            wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
            for header in REDACTED_HEADERS
        ],
    )
    if not destination_references_log_group:
        logging.node.add_dependency(log_group)
    return log_group
