"""Security: KMS keys, Secrets Manager secrets, WAF web ACLs and rule groups, ACM certificates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_casemgmt.cost.context import Missing, PricingContext
from cdk_casemgmt.cost.lines import LineBuilder, show_num
from cdk_casemgmt.cost.model import NoCharge
from cdk_casemgmt.cost.rules._registry import rule


@rule("AWS::KMS::Key", "AWS::KMS::ReplicaKey")
def _kms(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, str(ctx.resources[lid]["Type"]))
    line.monthly("key", "kms.key_month", 1, "1 customer-managed key")
    if str(ctx.literal(props, "EnableKeyRotation", False)).lower() == "true":
        line.notes.append("each of the first two yearly rotations adds one key-month (after 1 and 2 years)")
    line.notes.append("requests billed by use, not priced")
    return line


@rule("AWS::SecretsManager::Secret")
def _secret(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::SecretsManager::Secret")
    replicas = ctx.count_of(props, "ReplicaRegions") or 0
    what = "1 secret" + (f" + {replicas} replicas" if replicas else "")
    line.monthly("secret", "secretsmanager.secret_month", 1 + replicas, what)
    return line


@rule("AWS::WAFv2::WebACL")
def _web_acl(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::WAFv2::WebACL")
    line.monthly("web ACL", "waf.web_acl_month", 1, "1 web ACL")
    rules = props.get("Rules") or []
    n_rules = len(rules) if isinstance(rules, list) else ctx.count_of(props, "Rules")
    if n_rules is None:
        raise Missing("Rules are not literal")
    if n_rules:
        line.monthly("rules", "waf.rule_month", n_rules, f"{n_rules} rules (a rule group counts as one)")
    for r in rules if isinstance(rules, list) else []:
        managed = ((r or {}).get("Statement") or {}).get("ManagedRuleGroupStatement") or {}
        name = str(managed.get("Name", ""))
        if name in (
            "AWSManagedRulesBotControlRuleSet",
            "AWSManagedRulesATPRuleSet",
            "AWSManagedRulesACFPRuleSet",
            "AWSManagedRulesAntiDDoSRuleSet",
        ):
            line.unpriced.append(f"{name} subscription and request fees have no rate")
    if ctx.usage.requests:
        line.monthly(
            "requests",
            "waf.million_requests",
            ctx.usage.requests,
            f"{show_num(ctx.usage.requests / 1e6)}M requests (usage; every request the ACL inspects)",
            usage=True,
            per=1e6,
        )
    return line


@rule("AWS::WAFv2::RuleGroup")
def _rule_group(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    raise Missing(
        "own rule groups: the rule referencing it is priced on the web ACL; the group's own "
        "charge has no rate"
    )


@rule("AWS::CertificateManager::Certificate")
def _certificate(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> NoCharge:
    if "CertificateAuthorityArn" in props:
        raise Missing("private certificates are not in the price file")
    return ctx.no_charge(lid, "AWS::CertificateManager::Certificate", "public ACM certificates are free")
