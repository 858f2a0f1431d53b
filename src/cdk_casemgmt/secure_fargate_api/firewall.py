"""The API's regional web ACL, its logs, and the rules it holds in each ingress mode.

Behind CloudFront (``ApiIngress.CLOUDFRONT``: CdnFrontend's VPC origin, or a distribution of your own) the
load balancer sees CloudFront's addresses, each shared by many viewers, never the viewer's. A rate limit per
source IP would then throttle CloudFront, and the IP reputation list would judge CloudFront's addresses. The
viewer's address is only in ``X-Forwarded-For``, whose first entry the client writes itself: CloudFront
appends the viewer's address to what the client sent, and WAF's forwarded-IP settings read the first address
of the header, so a client could choose the address it is rate-limited and judged by. In that mode the ACL
therefore keeps the rules that read the request itself (core rule set, known bad inputs, SQL injection) and
leaves rate limiting and IP reputation to the distribution's web ACL, which sees the viewer's address
(CdnFrontend's has both). docs/secure-fargate-api.md#waf-behind-cloudfront has the reasoning and the AWS
documentation it rests on.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import IResolvable, Names, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk_casemgmt._waf import (
    COMMON_RULE_SET,
    IP_REPUTATION_LIST,
    KNOWN_BAD_INPUTS,
    ManagedRuleGroup,
    acl_rules,
    log_web_acl,
    web_acl,
)
from cdk_casemgmt.secure_fargate_api.ingress import ApiIngress

__all__ = ["RegionalFirewall", "regional_rule_groups"]

_RATE_WINDOW_SECONDS = 300
_REQUEST_RULE_GROUPS = (
    COMMON_RULE_SET,
    KNOWN_BAD_INPUTS,
    ManagedRuleGroup("AWSManagedRulesSQLiRuleSet"),
)


def regional_rule_groups(mode: ApiIngress) -> Sequence[ManagedRuleGroup]:
    """The managed rule groups for ``mode``: without the IP reputation list behind CloudFront."""
    if mode is ApiIngress.CLOUDFRONT:
        return _REQUEST_RULE_GROUPS
    return (IP_REPUTATION_LIST, *_REQUEST_RULE_GROUPS)


class RegionalFirewall:
    """``<owner>/WebAcl`` on the load balancer, logged to ``<owner>/WebAclLogs``; ``apply()`` sets the
    rules of an ingress mode.

    :param rate_limit: requests per source IP per 5 minutes, in the modes where the source IP is the
        client's (PRIVATE, PUBLIC).
    """

    def __init__(
        self,
        owner: Construct,
        *,
        load_balancer_arn: str,
        mode: ApiIngress,
        rate_limit: int,
        encryption_key: kms.IKey,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        self._rate_limit = rate_limit
        self.web_acl: wafv2.CfnWebACL = web_acl(
            owner,
            waf_scope="REGIONAL",
            rules=self._rules(mode),
            metric_name="WebAcl",
            associate_with=load_balancer_arn,
        )
        self.log_group: logs.LogGroup = log_web_acl(
            owner,
            self.web_acl,
            # The name is derived from the construct path.
            log_group_name="aws-waf-logs-" + Names.unique_resource_name(owner, max_length=60, separator="-"),
            log_group_id="WebAclLogs",
            logging_id="WebAclLogging",
            encryption_key=encryption_key,
            retention=log_retention,
            removal_policy=removal_policy,
            destination_references_log_group=False,
        )

    def apply(self, mode: ApiIngress) -> None:
        """Replace the ACL's rules with those of ``mode``."""
        self.web_acl.rules = self._rules(mode)

    def _rules(self, mode: ApiIngress) -> list[IResolvable | wafv2.CfnWebACL.RuleProperty]:
        return list(
            acl_rules(
                regional_rule_groups(mode),
                rate_limit=None if mode is ApiIngress.CLOUDFRONT else self._rate_limit,
                rate_window_seconds=_RATE_WINDOW_SECONDS,
            )
        )
