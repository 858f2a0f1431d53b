"""Web ACLs that deploy fine and then block the wrong requests, or log what they should not."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cdk_nag import NagMessageLevel, NagRuleCompliance

from cdk_casemgmt._cloudfront import CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS
from cdk_casemgmt.deploy_readiness._rule import rule
from cdk_casemgmt.deploy_readiness._template import Resource, TemplateView, as_list, dig, target_id

_WEB_ACL = "AWS::WAFv2::WebACL"
_LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
# Managed rule groups that judge a request by its source address (no forwarded-IP setting exists).
_SOURCE_IP_RULE_GROUPS = frozenset(
    {"AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesAnonymousIpList"}
)
_CLOUDFRONT_PREFIX_LISTS = frozenset(CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS.values())


def _nested(statement: Any) -> Iterator[Mapping[str, Any]]:
    """``statement`` and every statement inside it (And/Or/Not, scope-down statements)."""
    if not isinstance(statement, Mapping):
        return
    yield statement
    for kind in ("AndStatement", "OrStatement"):
        for inner in as_list(dig(statement, kind, "Statements")):
            yield from _nested(inner)
    yield from _nested(dig(statement, "NotStatement", "Statement"))
    for kind in ("RateBasedStatement", "ManagedRuleGroupStatement"):
        yield from _nested(dig(statement, kind, "ScopeDownStatement"))


def _counts_only(waf_rule: Mapping[str, Any]) -> bool:
    """A rule (or rule group) in Count mode never blocks."""
    return "Count" in (dig(waf_rule, "Action") or {}) or "Count" in (dig(waf_rule, "OverrideAction") or {})


def _reads_source_ip(statement: Mapping[str, Any]) -> bool:
    rate = statement.get("RateBasedStatement")
    if isinstance(rate, Mapping):
        if rate.get("AggregateKeyType") == "IP":
            return True
        if rate.get("AggregateKeyType") == "CUSTOM_KEYS":
            return any(isinstance(k, Mapping) and "IP" in k for k in as_list(rate.get("CustomKeys")))
    ip_set = statement.get("IPSetReferenceStatement")
    if isinstance(ip_set, Mapping) and ip_set.get("IPSetForwardedIPConfig") is None:
        return True
    geo = statement.get("GeoMatchStatement")
    if isinstance(geo, Mapping) and geo.get("ForwardedIPConfig") is None:
        return True
    managed = statement.get("ManagedRuleGroupStatement")
    return (
        isinstance(managed, Mapping)
        and managed.get("VendorName") == "AWS"
        and managed.get("Name") in _SOURCE_IP_RULE_GROUPS
    )


def _is_cloudfront_prefix_list(value: Any, view: TemplateView) -> bool:
    """A literal ID of CloudFront's origin-facing list, or a lookup in a per-region table of them.

    A mapping's values cannot be read before synthesis; a mapping with an entry for every region
    where CloudFront publishes its list is taken to be that table.
    """
    if isinstance(value, str):
        return value in _CLOUDFRONT_PREFIX_LISTS
    return view.mapping_covers(value, CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS)


def _ingress_rules(group: Resource) -> Iterator[Any]:
    yield from as_list(group.get("SecurityGroupIngress"))
    for ingress in group.template.of_type("AWS::EC2::SecurityGroupIngress"):
        if target_id(ingress.get("GroupId")) == group.logical_id:
            yield ingress.properties


def _admits_only_cloudfront(load_balancer: Resource) -> bool:
    view = load_balancer.template
    rules = [
        ingress
        for group_ref in as_list(load_balancer.get("SecurityGroups"))
        if (group := view.target(group_ref, "AWS::EC2::SecurityGroup")) is not None
        for ingress in _ingress_rules(group)
    ]
    return bool(rules) and all(_is_cloudfront_prefix_list(dig(r, "SourcePrefixListId"), view) for r in rules)


def _behind_cloudfront(load_balancer: Resource) -> bool:
    """Whether CloudFront is what connects to ``load_balancer``."""
    lb = load_balancer.logical_id
    view = load_balancer.template
    for origin in view.of_type("AWS::CloudFront::VpcOrigin"):
        if target_id(origin.get("VpcOriginEndpointConfig", "Arn")) == lb:
            return True
    for distribution in view.of_type("AWS::CloudFront::Distribution"):
        for origin in as_list(distribution.get("DistributionConfig", "Origins")):
            if target_id(dig(origin, "DomainName")) == lb:
                return True
    return _admits_only_cloudfront(load_balancer)


def _protected_load_balancers(web_acl: Resource) -> Iterator[Resource]:
    for association in web_acl.template.of_type("AWS::WAFv2::WebACLAssociation"):
        if target_id(association.get("WebACLArn")) != web_acl.logical_id:
            continue
        load_balancer = web_acl.template.target(association.get("ResourceArn"), _LOAD_BALANCER)
        if load_balancer is not None:
            yield load_balancer


@rule(
    "WAFSourceIPBehindCloudFront",
    types=(_WEB_ACL,),
    info="A regional web ACL judges requests by their source IP address (an IP rate-based rule, IP set, "
    "geo match or IP reputation list) on a load balancer that CloudFront connects to.",
    explanation="Behind CloudFront the source address the load balancer sees is a CloudFront edge server, "
    "shared by many viewers: an IP rate limit then throttles CloudFront (every viewer behind that edge "
    "at once), and IP sets, geo matches and the IP reputation and anonymous-IP lists judge CloudFront's "
    "addresses instead of the viewer's. Fix: aggregate on the forwarded address (AggregateKeyType "
    "FORWARDED_IP with ForwardedIPConfig HeaderName X-Forwarded-For, and the forwarded-IP settings of "
    "IP set and geo statements), or do source-IP filtering in the distribution's own web ACL, which "
    "sees viewers.",
    documentation="https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-aggregation-options.html",
)
def waf_source_ip_behind_cloudfront(web_acl: Resource) -> NagRuleCompliance:
    """A regional web ACL that reads the source IP of requests that all come from CloudFront."""
    if web_acl.get("Scope") != "REGIONAL":
        return NagRuleCompliance.NOT_APPLICABLE
    if not any(_behind_cloudfront(lb) for lb in _protected_load_balancers(web_acl)):
        return NagRuleCompliance.NOT_APPLICABLE
    for waf_rule in as_list(web_acl.get("Rules")):
        if _counts_only(waf_rule):
            continue
        if any(_reads_source_ip(s) for s in _nested(dig(waf_rule, "Statement"))):
            return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


_COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
_BODY_SIZE_RULE = "SizeRestrictions_BODY"


def _body_size_rule_blocks(waf_rule: Mapping[str, Any]) -> bool:
    group = dig(waf_rule, "Statement", "ManagedRuleGroupStatement")
    if not isinstance(group, Mapping) or group.get("Name") != _COMMON_RULE_SET or _counts_only(waf_rule):
        return False
    for override in as_list(group.get("RuleActionOverrides")):
        if dig(override, "Name") == _BODY_SIZE_RULE and "Block" not in (dig(override, "ActionToUse") or {}):
            return False
    return not any(
        dig(excluded, "Name") == _BODY_SIZE_RULE for excluded in as_list(group.get("ExcludedRules"))
    )


@rule(
    "WAFBodySizeRestriction",
    types=(_WEB_ACL,),
    level=NagMessageLevel.WARN,
    info="The web ACL uses AWSManagedRulesCommonRuleSet with SizeRestrictions_BODY still blocking: every "
    "request with a body over 8 KB is rejected with 403.",
    explanation="The core rule set's SizeRestrictions_BODY blocks request bodies over 8 KB (8,192 bytes), "
    "whatever the application accepts; uploads, long text fields and batch requests fail at the edge "
    "and never reach the application's own validation. It is a warning, not an error, because an "
    "application whose requests never exceed 8 KB loses nothing: acknowledge it there with that reason. "
    "Otherwise override the rule: RuleActionOverrides=[{Name: SizeRestrictions_BODY, ActionToUse: "
    "{Count: {}}}], and enforce the real limit in the application or with a size constraint rule of your "
    "own.",
    documentation="https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html",
)
def waf_body_size_restriction(web_acl: Resource) -> NagRuleCompliance:
    """A web ACL whose core rule set rejects every body over 8 KB."""
    rules = [r for r in as_list(web_acl.get("Rules")) if isinstance(r, Mapping)]
    if not any(dig(r, "Statement", "ManagedRuleGroupStatement", "Name") == _COMMON_RULE_SET for r in rules):
        return NagRuleCompliance.NOT_APPLICABLE
    if any(_body_size_rule_blocks(r) for r in rules):
        return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


REDACTED_HEADERS = ("authorization", "cookie")
"""Headers that carry credentials and must not reach WAF logs."""


def _redacted_headers(logging: Resource) -> set[str]:
    return {
        str(dig(field, "SingleHeader", "Name")).lower()
        for field in as_list(logging.get("RedactedFields"))
        if dig(field, "SingleHeader", "Name") is not None
    }


def _protected_headers(web_acl: Resource | None) -> set[str]:
    """Headers the web ACL's own data protection hides from every output, logs included."""
    if web_acl is None:
        return set()
    found: set[str] = set()
    for protection in as_list(web_acl.get("DataProtectionConfig", "DataProtections")):
        if dig(protection, "Field", "FieldType") == "SINGLE_HEADER":
            found.update(str(k).lower() for k in as_list(dig(protection, "Field", "FieldKeys")))
    return found


@rule(
    "WAFLogRedaction",
    types=("AWS::WAFv2::LoggingConfiguration",),
    info="The WAF logging configuration does not redact the authorization and cookie headers.",
    explanation="WAF logs record every request header in full. Without RedactedFields (or web ACL data "
    "protection) for authorization and cookie, each log record stores the caller's bearer token or "
    "session cookie, readable by anyone who can read the logs and valid until it expires. Fix: "
    "RedactedFields=[{SingleHeader: {Name: authorization}}, {SingleHeader: {Name: cookie}}].",
    documentation="https://docs.aws.amazon.com/waf/latest/developerguide/logging-management-configure.html",
)
def waf_log_redaction(logging: Resource) -> NagRuleCompliance:
    """WAF logs that keep credentials."""
    hidden = _redacted_headers(logging) | _protected_headers(
        logging.template.target(logging.get("ResourceArn"), _WEB_ACL)
    )
    if not set(REDACTED_HEADERS) <= hidden:
        return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


RULES = (waf_source_ip_behind_cloudfront, waf_body_size_restriction, waf_log_redaction)
