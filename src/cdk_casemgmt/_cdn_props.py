"""CdnFrontend's props that have rules, and the checks that report every bad value at once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Stack, Token
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_casemgmt._cdn_api import CdnApiOrigin, api_host_name
from cdk_casemgmt._edge_stack import CLOUDFRONT_REGION
from cdk_casemgmt._replication import check_destination
from cdk_casemgmt.csp import source_problem
from cdk_casemgmt.errors import Problems

__all__ = ["CheckedProps", "origin_of", "validate"]

_DOMAIN = re.compile(r"(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+")


@dataclass(frozen=True)
class CheckedProps:
    """The CdnFrontend props that ``validate()`` checks (each is documented on the construct)."""

    site: Path
    api: CdnApiOrigin | None
    domain_name: str | None
    hosted_zone: route53.IHostedZone | None
    certificate: acm.ICertificate | None
    identity_provider_origins: Sequence[str]
    api_base_url: str | None
    waf_rate_limit: int
    alarm_topic: sns.ITopic | None
    error_rate_threshold_percent: float
    replication_destination: s3.IBucket | None


def validate(problems: Problems, stack: Stack, props: CheckedProps) -> None:
    """Add a problem to ``problems`` for every bad prop (the caller raises them together)."""
    if Token.is_unresolved(stack.region):
        problems.add(
            "stack.env",
            stack.region,
            "the stack is environment-agnostic, so CdnFrontend cannot tell whether its web ACL, "
            "certificate and alarms must go to a sibling us-east-1 stack",
            "give the stack an explicit env, e.g. Stack(app, 'Web', env=Environment("
            "account='111111111111', region='eu-west-1'))",
        )
    if not props.site.is_dir():
        problems.add(
            "site_dir",
            str(props.site),
            "is not a directory",
            "build the SPA first, then pass its output directory",
        )
    elif not (props.site / "index.html").is_file():
        problems.add(
            "site_dir", str(props.site), "has no index.html", "pass the build output directory (e.g. dist/)"
        )
    if props.domain_name is not None:
        if not Token.is_unresolved(props.domain_name) and not _DOMAIN.fullmatch(props.domain_name):
            problems.add(
                "domain_name",
                props.domain_name,
                "is not a lower-case DNS name",
                "pass e.g. 'app.example.com'",
            )
        if props.certificate is None and props.hosted_zone is None:
            problems.add(
                "domain_name",
                props.domain_name,
                "needs a certificate, and none can be created without a hosted zone",
                "pass hosted_zone (a DNS-validated certificate is created in us-east-1) "
                "or certificate (an ACM certificate in us-east-1)",
            )
        zone_name = props.hosted_zone.zone_name if props.hosted_zone is not None else None
        if (
            zone_name
            and not Token.is_unresolved(zone_name)
            and not Token.is_unresolved(props.domain_name)
            and not _in_zone(props.domain_name, zone_name)
        ):
            problems.add(
                "domain_name",
                props.domain_name,
                f"is not inside hosted_zone {zone_name!r}",
                "pass the zone that holds the domain",
            )
    elif props.certificate is not None or props.hosted_zone is not None:
        problems.add_message(
            "certificate/hosted_zone given without domain_name: CloudFront uses a certificate only "
            "for alternate domain names. Fix: pass domain_name='app.example.com' too"
        )
    if props.certificate is not None:
        region = _arn_region(props.certificate.certificate_arn)
        if region is not None and region != CLOUDFRONT_REGION:
            problems.add(
                "certificate",
                props.certificate.certificate_arn,
                f"is in {region}; CloudFront only uses ACM certificates from {CLOUDFRONT_REGION}",
                f"request the certificate in {CLOUDFRONT_REGION}, or pass hosted_zone instead and "
                "CdnFrontend creates it there",
            )
    if (
        props.hosted_zone is not None
        and props.certificate is None
        and props.domain_name is not None
        and Token.is_unresolved(props.hosted_zone.hosted_zone_id)
        and not Token.is_unresolved(stack.region)
        and stack.region != CLOUDFRONT_REGION
        and Stack.of(props.hosted_zone) is stack
    ):
        problems.add(
            "hosted_zone",
            props.hosted_zone.node.path,
            "is created in this stack, but the certificate it validates lives in the us-east-1 "
            "sibling stack that deploys first",
            "import the zone with HostedZone.from_hosted_zone_attributes, or create it in another stack",
        )
    for i, origin in enumerate(props.identity_provider_origins):
        why = source_problem(origin)
        if why or origin.startswith("'"):
            problems.add(
                f"identity_provider_origins[{i}]",
                origin,
                why or "is a keyword, not an origin",
                "pass an origin such as 'https://auth.example.com'",
            )
    if props.api_base_url is not None and "://" in props.api_base_url:
        why = source_problem(origin_of(props.api_base_url))
        if why:
            problems.add(
                "api_base_url",
                props.api_base_url,
                why,
                "pass a path such as '/api' or 'https://api.example.com/v1'",
            )
    if props.api is not None and props.api.certificate is not None and api_host_name(props.api) is None:
        problems.add(
            "api",
            props.api.node.path if isinstance(props.api, Construct) else repr(props.api),
            "has a certificate but no domain name: CloudFront would connect over HTTPS to the "
            "load balancer's own DNS name, which the certificate does not cover (every request 502)",
            "give the API domain_name= with its certificate, or no certificate (CloudFront then "
            "reaches the internal load balancer over HTTP inside the VPC)",
        )
    if props.api is not None:
        mode = getattr(props.api.ingress, "value", props.api.ingress)
        if str(mode).lower() == "public":
            problems.add(
                "api",
                f"{props.api} (ingress=public)",
                "an internet-facing API would stay reachable around CloudFront and its web ACL",
                "create the API with its default private ingress; CdnFrontend switches it to "
                "CloudFront-only ingress through a VPC origin",
            )
    if not Token.is_unresolved(props.waf_rate_limit) and not 10 <= props.waf_rate_limit <= 2_000_000_000:
        problems.add("waf_rate_limit", props.waf_rate_limit, "is outside 10..2,000,000,000", "pass e.g. 2000")
    if not 0 < props.error_rate_threshold_percent <= 100:
        problems.add(
            "error_rate_threshold_percent",
            props.error_rate_threshold_percent,
            "is not a percentage in (0, 100]",
            "pass e.g. 5",
        )
    if props.alarm_topic is not None:
        topic_region = _arn_region(props.alarm_topic.topic_arn)
        if topic_region is None and not Token.is_unresolved(Stack.of(props.alarm_topic).region):
            topic_region = Stack.of(props.alarm_topic).region
        if topic_region is not None and topic_region != CLOUDFRONT_REGION:
            problems.add(
                "alarm_topic",
                props.alarm_topic.topic_arn,
                f"is in {topic_region}; CloudFront's metrics, and so its alarms, are in "
                f"{CLOUDFRONT_REGION}, and an alarm can only notify a topic in its own region",
                f"pass a topic in {CLOUDFRONT_REGION}, or none and CdnFrontend creates one",
            )

    if props.replication_destination is not None:
        check_destination(
            problems, stack=stack, destination=props.replication_destination, objects="the site files"
        )


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _arn_region(arn: str) -> str | None:
    """The region field of a literal ARN, or ``None`` for a token."""
    if Token.is_unresolved(arn):
        return None
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" else None


def _in_zone(domain_name: str, zone_name: str) -> bool:
    zone = zone_name.rstrip(".")
    return domain_name == zone or domain_name.endswith("." + zone)
