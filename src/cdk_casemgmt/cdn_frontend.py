"""CdnFrontend: CloudFront + a private S3 bucket for a single-page app, with ``/api/*`` to the API.

What it gets right that the anchors do not (docs/cdn-frontend.md has the full list and reasons):

- SPA deep links are rewritten by a viewer-request CloudFront Function on the S3 behavior only, so an
  API 404 stays a 404 (distribution-wide ``error_responses`` would turn it into ``200 index.html``).
- The Content-Security-Policy is built from props (:class:`~cdk_casemgmt.csp.ContentSecurityPolicy`)
  and lets the app call its own API and identity provider.
- The web ACL, the certificate and CloudFront's alarms must live in us-east-1: when the stack is in
  another region, CdnFrontend puts them into sibling us-east-1 stacks (cross-region references).
- The log bucket has the object ownership CloudFront's standard logging needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from importlib import resources
from os import PathLike, fspath
from pathlib import Path
from typing import Any, Protocol

import jsii
from aws_cdk import (
    Annotations,
    CfnElement,
    CfnResource,
    CrossStackReferences,
    Duration,
    Environment,
    Names,
    ReferenceStrength,
    RemovalPolicy,
    Stack,
    Stage,
    Token,
)
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct, IValidation

from cdk_casemgmt._log_bucket import access_log_bucket
from cdk_casemgmt._replication import BucketReplication, acknowledge_not_replicated, check_destination
from cdk_casemgmt._waf import ManagedRuleGroup, log_web_acl, web_acl
from cdk_casemgmt.compliance import acknowledge
from cdk_casemgmt.csp import ContentSecurityPolicy, source_problem
from cdk_casemgmt.errors import Problems, ValidationError
from cdk_casemgmt.network import allow_logs_service

__all__ = ["CLOUDFRONT_REGION", "CdnApiOrigin", "CdnFrontend"]

CLOUDFRONT_REGION = "us-east-1"
"""CloudFront reads certificates and CLOUDFRONT-scope web ACLs only here, and publishes its metrics here."""

_HSTS_MAX_AGE = Duration.days(730)  # 2 years: what the HSTS preload list asks for
# One singleton handler per memory size and stack; 576 MiB keeps ours apart from other deployments.
_DEPLOYMENT_MEMORY_MIB = 576
_DEPLOYMENT_HANDLER_ID = (
    f"Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C{_DEPLOYMENT_MEMORY_MIB}MiB"
)
_IMMUTABLE = "public, max-age=31536000, immutable"
_NO_CACHE = "no-cache"
_DOMAIN = re.compile(r"(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+")


class CdnApiOrigin(Protocol):
    """What CdnFrontend needs from an API (SecureFargateApi provides it).

    ``enable_cloudfront_ingress()`` switches the API from its private ingress to CloudFront-only
    ingress (the ALB security group accepts only CloudFront's origin-facing prefix list) and raises
    ``ValidationError`` for an internet-facing (public) API.
    """

    @property
    def load_balancer(self) -> elbv2.IApplicationLoadBalancer: ...

    @property
    def ingress(self) -> Any: ...

    @property
    def certificate(self) -> acm.ICertificate | None: ...

    @property
    def domain_name(self) -> str | None:
        """The API's own DNS name, covered by ``certificate``: CloudFront connects to it over HTTPS."""
        ...

    def enable_cloudfront_ingress(self) -> None: ...


class CdnFrontend(Construct):
    """CloudFront in front of a private, hardened S3 bucket holding a built single-page app.

    :param site_dir: directory of the built SPA (e.g. ``dist/``); must contain ``index.html``.
    :param api: an API to route ``/api/*`` to through a CloudFront VPC origin (SecureFargateApi).
        Its ingress is switched to CloudFront-only. :default: - no API behavior
    :param domain_name: custom domain, e.g. ``app.example.com``. Needs ``certificate`` or
        ``hosted_zone``. :default: - the ``*.cloudfront.net`` name
    :param hosted_zone: zone for ``domain_name``: A/AAAA alias records are added and, without
        ``certificate``, a DNS-validated certificate is created in us-east-1. :default: - no records
    :param certificate: an ACM certificate in us-east-1 covering ``domain_name``.
        :default: - created when ``hosted_zone`` is given
    :param content_security_policy: the CSP to send. :default: -
        ``ContentSecurityPolicy.for_single_page_app`` with ``api_base_url``'s origin and
        ``identity_provider_origins``
    :param identity_provider_origins: OpenID Connect / Cognito hosted UI origins the app talks to
        (added to connect-src, frame-src and form-action). :default: - none
    :param api_base_url: written to ``runtime-config.json`` as ``apiBaseUrl``; an absolute URL's
        origin is also allowed in connect-src. :default: - ``/api`` with ``api``, else none
    :param auth_settings: written to ``runtime-config.json`` as ``auth`` (client id, issuer, ...).
        :default: - ``{}``
    :param runtime_config: further keys for ``runtime-config.json``. :default: - none
    :param immutable_asset_patterns: globs (relative to ``site_dir``) of content-hashed files,
        served with ``Cache-Control: public, max-age=31536000, immutable``; everything else gets
        ``no-cache``. :default: ``("assets/*",)`` (Vite's output)
    :param price_class: edge locations used. :default: ``PriceClass.PRICE_CLASS_100`` (North America, Europe)
    :param geo_restriction: allow or deny list of countries. :default: - no restriction
    :param waf_rate_limit: requests per 5 minutes from one IP before the WAF blocks it (10 or more).
        :default: 2000
    :param alarm_topic: SNS topic for the alarms; must be in us-east-1, where CloudFront's metrics
        are. :default: - a KMS-encrypted topic is created
    :param error_rate_threshold_percent: 5xx error rate that raises the alarm. :default: 5
    :param origin_latency_threshold: p90 origin latency that raises the alarm. :default: 3 seconds
    :param noncurrent_version_expiration: how long replaced site files are kept. :default: 90 days
    :param replication_destination: a versioned bucket with a KMS key (``encryption_key``), typically
        in another region, that receives a copy of every site file through S3 replication (costs
        replica storage, replication requests and inter-region transfer). Create it in a stack of
        that region with ``bucket_name=PhysicalName.GENERATE_IF_NEEDED``, or import it with
        ``Bucket.from_bucket_attributes(bucket_arn=..., encryption_key=...)``; same account only.
        :default: - no replication (acknowledged on the site bucket: a redeploy restores its content)
    :param access_log_retention: how long CloudFront and S3 access logs are kept. :default: 365 days
    :param waf_log_retention: how long WAF logs are kept. :default: one year
    :param removal_policy: for the site bucket, log bucket and log groups. :default: RETAIN
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        site_dir: str | PathLike[str],
        api: CdnApiOrigin | None = None,
        domain_name: str | None = None,
        hosted_zone: route53.IHostedZone | None = None,
        certificate: acm.ICertificate | None = None,
        content_security_policy: ContentSecurityPolicy | None = None,
        identity_provider_origins: Sequence[str] = (),
        api_base_url: str | None = None,
        auth_settings: Mapping[str, Any] | None = None,
        runtime_config: Mapping[str, Any] | None = None,
        immutable_asset_patterns: Sequence[str] = ("assets/*",),
        price_class: cloudfront.PriceClass = cloudfront.PriceClass.PRICE_CLASS_100,
        geo_restriction: cloudfront.GeoRestriction | None = None,
        waf_rate_limit: int = 2000,
        alarm_topic: sns.ITopic | None = None,
        error_rate_threshold_percent: float = 5,
        origin_latency_threshold: Duration | None = None,
        noncurrent_version_expiration: Duration | None = None,
        replication_destination: s3.IBucket | None = None,
        access_log_retention: Duration | None = None,
        waf_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        site = Path(fspath(site_dir))
        if api_base_url is None and api is not None:
            api_base_url = "/api"
        latency_threshold = origin_latency_threshold or Duration.seconds(3)

        problems = Problems()
        self._validate(
            problems,
            stack=stack,
            site=site,
            api=api,
            domain_name=domain_name,
            hosted_zone=hosted_zone,
            certificate=certificate,
            identity_provider_origins=identity_provider_origins,
            api_base_url=api_base_url,
            waf_rate_limit=waf_rate_limit,
            alarm_topic=alarm_topic,
            error_rate_threshold_percent=error_rate_threshold_percent,
            replication_destination=replication_destination,
        )
        csp = content_security_policy
        if csp is None and not problems:
            connect = [_origin_of(api_base_url)] if api_base_url and "://" in api_base_url else []
            csp = ContentSecurityPolicy.for_single_page_app(
                connect_origins=connect, identity_provider_origins=identity_provider_origins
            )
        problems.raise_if_any(self)
        assert csp is not None

        in_us_east_1 = stack.region == CLOUDFRONT_REGION
        self._keys: dict[str, kms.Key] = {}

        # us-east-1 parts that the distribution needs: web ACL and certificate (deployed first).
        edge: Construct = self if in_us_east_1 else _sibling(stack, f"{id}Edge", self)
        self.edge_stack: Stack | None = None if in_us_east_1 else Stack.of(edge)
        """The us-east-1 stack holding the web ACL and certificate, when the stack is elsewhere."""

        # --- buckets --------------------------------------------------------------------------
        self.log_bucket = access_log_bucket(
            self,
            "LogBucket",
            retention=access_log_retention or Duration.days(365),
            removal_policy=removal_policy,
            # CloudFront standard logging writes with ACLs: BUCKET_OWNER_ENFORCED fails the deploy.
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
        )
        """Access logs: CloudFront's (``cloudfront/``) and the site bucket's S3 server access logs."""
        self.replication_role: iam.Role | None = None
        """The role S3 replication assumes (only with ``replication_destination``)."""
        self.replication_policy: iam.ManagedPolicy | None = None
        """The replication role's one customer-managed policy (no inline policy, no wildcard action)."""
        replication = (
            BucketReplication(
                self,
                replication_destination,
                description="S3 replication of the site bucket to replication_destination",
            )
            if replication_destination is not None
            else None
        )
        if replication is not None:
            self.replication_role = replication.role
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self._key(self),
            bucket_key_enabled=True,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix="s3-access-logs/site/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=noncurrent_version_expiration or Duration.days(90),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            replication_role=self.replication_role,
            replication_rules=replication.rules if replication is not None else None,
            removal_policy=removal_policy,
        )
        """The private site bucket, reachable only by this distribution (Origin Access Control)."""
        if replication is not None:
            self.replication_policy = replication.add_policy(
                self.bucket,
                self._key(self),
                reason="S3 replication copies every version of every site file, whatever its key, so the "
                "role must read any object of the site bucket and write any object of "
                "replication_destination; the actions are the replication ones only.",
            )

        # --- certificate and web ACL (us-east-1) -------------------------------------------------
        if domain_name and certificate is None and hosted_zone is not None:
            certificate = acm.Certificate(
                edge,
                "Certificate",
                domain_name=domain_name,
                validation=acm.CertificateValidation.from_dns(hosted_zone),
            )
        self.certificate = certificate
        """The viewer certificate (us-east-1), or ``None`` with the default CloudFront name."""
        self.web_acl = self._web_acl(edge, waf_rate_limit, waf_log_retention, removal_policy)
        """The CLOUDFRONT-scope web ACL (AWS managed common, known bad inputs, IP reputation, rate limit)."""

        # --- behaviors ----------------------------------------------------------------------------
        self.response_headers_policy = cloudfront.ResponseHeadersPolicy(
            self,
            "Headers",
            comment="cdk-casemgmt SPA security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=_HSTS_MAX_AGE,
                    include_subdomains=True,
                    preload=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=csp.render(), override=True
                ),
            ),
        )
        self.content_security_policy = csp
        self.spa_rewrite_function = cloudfront.Function(
            self,
            "SpaRewrite",
            code=cloudfront.FunctionCode.from_inline(spa_rewrite_source()),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Rewrite extension-less paths (SPA routes) to /index.html",
        )
        """Viewer-request function on the S3 behavior: extension-less paths -> ``/index.html``."""

        additional: dict[str, cloudfront.BehaviorOptions] = {}
        self.vpc_origin: origins.VpcOrigin | None = None
        if api is not None:
            api.enable_cloudfront_ingress()
            api_cert = api.certificate
            self.vpc_origin = origins.VpcOrigin.with_application_load_balancer(
                api.load_balancer,
                # Without a certificate on the API there is no HTTPS listener to reach: the hop
                # runs inside the VPC, from CloudFront's VPC origin ENIs to the internal ALB.
                protocol_policy=(
                    cloudfront.OriginProtocolPolicy.HTTPS_ONLY
                    if api_cert
                    else cloudfront.OriginProtocolPolicy.HTTP_ONLY
                ),
                origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2] if api_cert else None,
                # CloudFront checks the ALB's certificate against this name (SNI and Host).
                domain_name=_api_host_name(api) if api_cert else None,
            )
            additional["/api/*"] = cloudfront.BehaviorOptions(
                origin=self.vpc_origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                response_headers_policy=self.response_headers_policy,
                compress=True,
            )

        # --- distribution -------------------------------------------------------------------------
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{stack.stack_name} {id}"[:128],  # CloudFront's limit
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.response_headers_policy,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=self.spa_rewrite_function,
                        event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                    )
                ],
            ),
            additional_behaviors=additional or None,
            default_root_object="index.html",
            domain_names=[domain_name] if domain_name else None,
            certificate=certificate,
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate is not None else None
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_ipv6=True,
            price_class=price_class,
            geo_restriction=geo_restriction,
            web_acl_id=self.web_acl.attr_arn,
            enable_logging=True,
            log_bucket=self.log_bucket,
            log_file_prefix="cloudfront/",
            publish_additional_metrics=True,  # OriginLatency for the alarm
        )
        """The CloudFront distribution."""
        if certificate is None:
            acknowledge(
                self.distribution,
                "AwsSolutions-CFR4",
                "No domain_name was given, so the distribution uses the *.cloudfront.net default "
                "certificate, whose minimum protocol CloudFront fixes at TLSv1; pass domain_name with "
                "hosted_zone or certificate to get TLSv1.2_2021 (structural, DECISIONS 1c).",
            )

        if not in_us_east_1:
            # Weak references (Fn::GetStackOutput) whatever the app's default: no export-writer
            # Lambdas, no cross_region_references flag, and no "deadly embrace" when one side changes.
            producers: list[Construct] = [self.web_acl, self.distribution]
            if isinstance(certificate, Construct) and Stack.of(certificate) is not stack:
                producers.append(certificate)
            for producer in producers:
                CrossStackReferences.of(producer).produce(ReferenceStrength.WEAK)
        if geo_restriction is None:
            acknowledge(
                self.distribution,
                "AwsSolutions-CFR1",
                "geo_restriction is not set: a case-management app serves its users wherever they are; "
                "pass geo_restriction=GeoRestriction.allowlist(...) to limit countries (opt-out by prop).",
            )
        self._acknowledge_buckets(replicated=replication_destination is not None)

        self.domain_name: str = domain_name or self.distribution.distribution_domain_name
        """The name viewers use: ``domain_name`` or the distribution's ``*.cloudfront.net`` name."""
        self.url = f"https://{self.domain_name}"
        """``https://`` + :attr:`domain_name`."""
        if domain_name and hosted_zone is not None:
            alias = route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution))
            route53.ARecord(self, "AliasA", zone=hosted_zone, record_name=domain_name, target=alias)
            route53.AaaaRecord(self, "AliasAAAA", zone=hosted_zone, record_name=domain_name, target=alias)

        # --- content ------------------------------------------------------------------------------
        self._deploy(
            site, immutable_asset_patterns, api_base_url, auth_settings, runtime_config, removal_policy
        )

        # --- alarms (us-east-1, where CloudFront publishes metrics; after the distribution) -------
        monitoring: Construct = self if in_us_east_1 else _sibling(stack, f"{id}Alarms", self)
        self.monitoring_stack: Stack | None = None if in_us_east_1 else Stack.of(monitoring)
        """The us-east-1 stack holding the alarms and topic, when the stack is elsewhere."""
        self.alarm_topic = alarm_topic or self._topic(monitoring)
        """The SNS topic the alarms notify."""
        self.alarms = self._alarms(monitoring, error_rate_threshold_percent, latency_threshold)
        """The 5xx error rate and origin latency alarms."""

    # ---------------------------------------------------------------------------------------------
    @staticmethod
    def _validate(
        problems: Problems,
        *,
        stack: Stack,
        site: Path,
        api: CdnApiOrigin | None,
        domain_name: str | None,
        hosted_zone: route53.IHostedZone | None,
        certificate: acm.ICertificate | None,
        identity_provider_origins: Sequence[str],
        api_base_url: str | None,
        waf_rate_limit: int,
        alarm_topic: sns.ITopic | None,
        error_rate_threshold_percent: float,
        replication_destination: s3.IBucket | None,
    ) -> None:
        if Token.is_unresolved(stack.region):
            problems.add(
                "stack.env",
                stack.region,
                "the stack is environment-agnostic, so CdnFrontend cannot tell whether its web ACL, "
                "certificate and alarms must go to a sibling us-east-1 stack",
                "give the stack an explicit env, e.g. Stack(app, 'Web', env=Environment("
                "account='111111111111', region='eu-west-1'))",
            )
        if not site.is_dir():
            problems.add(
                "site_dir",
                str(site),
                "is not a directory",
                "build the SPA first, then pass its output directory",
            )
        elif not (site / "index.html").is_file():
            problems.add(
                "site_dir", str(site), "has no index.html", "pass the build output directory (e.g. dist/)"
            )
        if domain_name is not None:
            if not Token.is_unresolved(domain_name) and not _DOMAIN.fullmatch(domain_name):
                problems.add(
                    "domain_name", domain_name, "is not a lower-case DNS name", "pass e.g. 'app.example.com'"
                )
            if certificate is None and hosted_zone is None:
                problems.add(
                    "domain_name",
                    domain_name,
                    "needs a certificate, and none can be created without a hosted zone",
                    "pass hosted_zone (a DNS-validated certificate is created in us-east-1) "
                    "or certificate (an ACM certificate in us-east-1)",
                )
            zone_name = hosted_zone.zone_name if hosted_zone is not None else None
            if (
                zone_name
                and not Token.is_unresolved(zone_name)
                and not Token.is_unresolved(domain_name)
                and not _in_zone(domain_name, zone_name)
            ):
                problems.add(
                    "domain_name",
                    domain_name,
                    f"is not inside hosted_zone {zone_name!r}",
                    "pass the zone that holds the domain",
                )
        elif certificate is not None or hosted_zone is not None:
            problems.add_message(
                "certificate/hosted_zone given without domain_name: CloudFront uses a certificate only "
                "for alternate domain names. Fix: pass domain_name='app.example.com' too"
            )
        if certificate is not None:
            region = _arn_region(certificate.certificate_arn)
            if region is not None and region != CLOUDFRONT_REGION:
                problems.add(
                    "certificate",
                    certificate.certificate_arn,
                    f"is in {region}; CloudFront only uses ACM certificates from {CLOUDFRONT_REGION}",
                    f"request the certificate in {CLOUDFRONT_REGION}, or pass hosted_zone instead and "
                    "CdnFrontend creates it there",
                )
        if (
            hosted_zone is not None
            and certificate is None
            and domain_name is not None
            and Token.is_unresolved(hosted_zone.hosted_zone_id)
            and not Token.is_unresolved(stack.region)
            and stack.region != CLOUDFRONT_REGION
            and Stack.of(hosted_zone) is stack
        ):
            problems.add(
                "hosted_zone",
                hosted_zone.node.path,
                "is created in this stack, but the certificate it validates lives in the us-east-1 "
                "sibling stack that deploys first",
                "import the zone with HostedZone.from_hosted_zone_attributes, or create it in another stack",
            )
        for i, origin in enumerate(identity_provider_origins):
            why = source_problem(origin)
            if why or origin.startswith("'"):
                problems.add(
                    f"identity_provider_origins[{i}]",
                    origin,
                    why or "is a keyword, not an origin",
                    "pass an origin such as 'https://auth.example.com'",
                )
        if api_base_url is not None and "://" in api_base_url:
            why = source_problem(_origin_of(api_base_url))
            if why:
                problems.add(
                    "api_base_url",
                    api_base_url,
                    why,
                    "pass a path such as '/api' or 'https://api.example.com/v1'",
                )
        if api is not None and api.certificate is not None and _api_host_name(api) is None:
            problems.add(
                "api",
                api.node.path if isinstance(api, Construct) else repr(api),
                "has a certificate but no domain name: CloudFront would connect over HTTPS to the "
                "load balancer's own DNS name, which the certificate does not cover (every request 502)",
                "give the API domain_name= with its certificate, or no certificate (CloudFront then "
                "reaches the internal load balancer over HTTP inside the VPC)",
            )
        if api is not None:
            mode = getattr(api.ingress, "value", api.ingress)
            if str(mode).lower() == "public":
                problems.add(
                    "api",
                    f"{api} (ingress=public)",
                    "an internet-facing API would stay reachable around CloudFront and its web ACL",
                    "create the API with its default private ingress; CdnFrontend switches it to "
                    "CloudFront-only ingress through a VPC origin",
                )
        if not Token.is_unresolved(waf_rate_limit) and not 10 <= waf_rate_limit <= 2_000_000_000:
            problems.add("waf_rate_limit", waf_rate_limit, "is outside 10..2,000,000,000", "pass e.g. 2000")
        if not 0 < error_rate_threshold_percent <= 100:
            problems.add(
                "error_rate_threshold_percent",
                error_rate_threshold_percent,
                "is not a percentage in (0, 100]",
                "pass e.g. 5",
            )
        if alarm_topic is not None:
            topic_region = _arn_region(alarm_topic.topic_arn)
            if topic_region is None and not Token.is_unresolved(Stack.of(alarm_topic).region):
                topic_region = Stack.of(alarm_topic).region
            if topic_region is not None and topic_region != CLOUDFRONT_REGION:
                problems.add(
                    "alarm_topic",
                    alarm_topic.topic_arn,
                    f"is in {topic_region}; CloudFront's metrics, and so its alarms, are in "
                    f"{CLOUDFRONT_REGION}, and an alarm can only notify a topic in its own region",
                    f"pass a topic in {CLOUDFRONT_REGION}, or none and CdnFrontend creates one",
                )

        if replication_destination is not None:
            check_destination(
                problems, stack=stack, destination=replication_destination, objects="the site files"
            )

    def _key(self, scope: Construct) -> kms.Key:
        """One customer-managed key per stack this construct writes to (rotation on)."""
        stack = Stack.of(scope)
        key = self._keys.get(stack.node.path)
        if key is None:
            key = kms.Key(
                scope,
                "Key",
                enable_key_rotation=True,
                description=f"cdk-casemgmt CdnFrontend {self.node.path}",
                removal_policy=RemovalPolicy.RETAIN,
            )
            # CloudWatch Logs: log groups encrypted with this key.
            allow_logs_service(key)
            self._keys[stack.node.path] = key
        return key

    def _web_acl(
        self,
        scope: Construct,
        rate_limit: int,
        retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> wafv2.CfnWebACL:
        prefix = Names.unique_id(self)[-40:]
        acl = web_acl(
            scope,
            waf_scope="CLOUDFRONT",
            rule_groups=[
                # SizeRestrictions_BODY blocks any body over 8 KB, which breaks API uploads and
                # large JSON documents; it is counted (visible in the logs) instead.
                ManagedRuleGroup("AWSManagedRulesCommonRuleSet", count_only=["SizeRestrictions_BODY"]),
                ManagedRuleGroup("AWSManagedRulesKnownBadInputsRuleSet"),
                ManagedRuleGroup("AWSManagedRulesAmazonIpReputationList"),
            ],
            rate_limit=rate_limit,
            rate_window_seconds=None,
            metric_name=f"{prefix}WebAcl",
            associate_with=None,  # CLOUDFRONT scope: set on the distribution
        )
        # For CLOUDFRONT scope the log group lives in us-east-1 too (the scope is always there).
        log_web_acl(
            scope,
            acl,
            log_group_name=f"aws-waf-logs-{prefix}",
            log_group_id="WafLogs",
            logging_id="WafLogging",
            encryption_key=self._key(scope),
            retention=retention,
            removal_policy=removal_policy,
            # Session tokens and cookies stay out of the logs.
            redacted_headers=["authorization", "cookie"],
            destination_references_log_group=True,
        )
        return acl

    def _deploy(
        self,
        site: Path,
        immutable: Sequence[str],
        api_base_url: str | None,
        auth_settings: Mapping[str, Any] | None,
        runtime_config: Mapping[str, Any] | None,
        removal_policy: RemovalPolicy,
    ) -> None:
        log_group = logs.LogGroup(
            self,
            "DeploymentLogs",
            encryption_key=self._key(self),
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=removal_policy,
        )
        config: dict[str, Any] = {"auth": dict(auth_settings or {})}
        if api_base_url is not None:
            config["apiBaseUrl"] = api_base_url
        config.update(runtime_config or {})
        self.runtime_config: Mapping[str, Any] = config
        """What ``runtime-config.json`` holds (tokens are resolved at deploy time)."""

        # BucketDeployment's own role gets AWSLambdaBasicExecutionRole, an inline policy and
        # wildcard actions on the whole CDK asset bucket. This role is immutable (the deployment's
        # grants are dropped) and gets exactly what the copy needs, object by object.
        role = iam.Role(
            self,
            "DeploymentRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Copies site_dir into the site bucket and invalidates the distribution",
        )
        site_asset = s3_assets.Asset(self, "SiteAsset", path=str(site))
        config_source = s3deploy.Source.json_data("runtime-config.json", config).bind(
            Construct(self, "RuntimeConfig"), handler_role=role.without_policy_updates()
        )
        key = self._key(self)
        statements = [
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[
                    site_asset.bucket.arn_for_objects(site_asset.s3_object_key),
                    config_source.bucket.arn_for_objects(config_source.zip_object_key),
                ],
            ),
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]),
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources=[self.bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], resources=[key.key_arn]
            ),
            iam.PolicyStatement(
                actions=["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
                resources=[self.distribution.distribution_arn],
            ),
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            ),
        ]
        policy = iam.ManagedPolicy(self, "DeploymentPolicy", statements=statements, roles=[role])
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::<{Stack.of(self).get_logical_id(_cfn(self.bucket))}.Arn>/*]",
            "The deployment copies site_dir into the site bucket and prunes files that are no longer "
            "in the build, so it must read, write and delete any object key of this one bucket.",
        )
        handler_role = role.without_policy_updates()
        site_source = _BoundSource(
            s3deploy.SourceConfig(bucket=site_asset.bucket, zip_object_key=site_asset.s3_object_key)
        )
        # Hashed assets first and never pruned: a browser holding the previous index.html can
        # still fetch the files it names. The noncurrent-version lifecycle does not touch them.
        assets = s3deploy.BucketDeployment(
            self,
            "DeployAssets",
            sources=[site_source],
            destination_bucket=self.bucket,
            exclude=["*"],
            include=list(immutable),
            prune=False,
            cache_control=[s3deploy.CacheControl.from_string(_IMMUTABLE)],
            role=handler_role,
            log_group=log_group,
            memory_limit=_DEPLOYMENT_MEMORY_MIB,
        )
        entry = s3deploy.BucketDeployment(
            self,
            "DeploySite",
            sources=[site_source, _BoundSource(config_source)],
            destination_bucket=self.bucket,
            exclude=list(immutable),
            prune=True,
            cache_control=[s3deploy.CacheControl.from_string(_NO_CACHE)],
            distribution=self.distribution,
            distribution_paths=["/*"],
            role=handler_role,
            log_group=log_group,
            memory_limit=_DEPLOYMENT_MEMORY_MIB,
        )
        entry.node.add_dependency(assets)
        entry.node.add_dependency(policy)
        assets.node.add_dependency(policy)
        self._acknowledge_deployment_handler()
        self.node.add_validation(_OwnHandler(self, role))

    def _acknowledge_buckets(self, *, replicated: bool) -> None:
        if not replicated:
            acknowledge_not_replicated(
                self.bucket,
                "replication_destination is not set: the site bucket holds only the build of "
                "site_dir, which every deploy copies again, so a replica costs storage and transfer "
                "for a recovery a redeploy also gives; pass replication_destination=<bucket in "
                "another region> to replicate (opt-out by prop).",
            )
        Annotations.of(self).acknowledge_warning(
            "@aws-cdk/aws-cloudfront-origins:wildcardKeyPolicyForOac",
            "The key policy lets CloudFront decrypt for any distribution of this account "
            "(AWS:SourceArn arn:...:distribution/*): naming this distribution would make key, "
            "bucket and distribution depend on each other in a cycle.",
        )

    def _acknowledge_deployment_handler(self) -> None:
        stack = Stack.of(self)
        handler = stack.node.try_find_child(_DEPLOYMENT_HANDLER_ID)
        if handler is None:  # pragma: no cover - BucketDeployment always creates it
            return
        reason = (
            "aws-cdk-lib's BucketDeployment handler (CDK's code), run only at deploy time to copy "
            "site_dir into the bucket; it talks to S3 and CloudFront only, needs no VPC, no reserved "
            "concurrency and no dead-letter queue (CloudFormation reports a failure), and CDK picks "
            "its runtime."
        )
        function = handler.node.default_child
        if isinstance(function, CfnResource):
            # aws-cdk-lib adds DependsOn on the role that Role already implies (cfn-lint W3005);
            # CDK's construct-level dependency cannot be removed, so the check is skipped here only.
            function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        for rule in (
            "AwsSolutions-L1",
            "HIPAA.Security-LambdaConcurrency",
            "HIPAA.Security-LambdaDLQ",
            "HIPAA.Security-LambdaInsideVPC",
            "NIST.800.53.R5-LambdaConcurrency",
            "NIST.800.53.R5-LambdaDLQ",
            "NIST.800.53.R5-LambdaInsideVPC",
            "PCI.DSS.321-LambdaInsideVPC",
        ):
            acknowledge(handler, rule, reason)

    def _topic(self, scope: Construct) -> sns.Topic:
        key = self._key(scope)
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        return sns.Topic(scope, "AlarmTopic", master_key=key, enforce_ssl=True)

    def _alarms(
        self, scope: Construct, error_rate_percent: float, latency: Duration
    ) -> list[cloudwatch.Alarm]:
        period = Duration.minutes(5)
        error_rate = cloudwatch.Alarm(
            scope,
            "ErrorRateAlarm",
            alarm_description=f"{self.node.path}: 5xx error rate above {error_rate_percent}%",
            metric=self.distribution.metric5xx_error_rate(period=period, statistic="Average"),
            threshold=error_rate_percent,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        origin_latency = cloudwatch.Alarm(
            scope,
            "OriginLatencyAlarm",
            alarm_description=f"{self.node.path}: p90 origin latency above {latency.to_human_string()}",
            metric=self.distribution.metric_origin_latency(period=period, statistic="p90"),
            threshold=latency.to_milliseconds(),
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        action = cw_actions.SnsAction(self.alarm_topic)
        for alarm in (error_rate, origin_latency):
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
        return [error_rate, origin_latency]


def spa_rewrite_source() -> str:
    """The CloudFront Function's JavaScript (package data ``functions/spa_rewrite.js``)."""
    return resources.files("cdk_casemgmt").joinpath("functions/spa_rewrite.js").read_text(encoding="utf-8")


@jsii.implements(s3deploy.ISource)
class _BoundSource:
    """A deployment source bound once, so its bucket and key are known for an exact grant."""

    def __init__(self, config: s3deploy.SourceConfig) -> None:
        self._config = config

    def bind(self, scope: Construct, *, handler_role: iam.IRole) -> s3deploy.SourceConfig:
        del scope, handler_role  # the read grant is in CdnFrontend's DeploymentPolicy
        return self._config


@jsii.implements(IValidation)
class _OwnHandler:
    """Fails synth when another BucketDeployment in the stack shares our handler (and so our role)."""

    def __init__(self, owner: CdnFrontend, role: iam.IRole) -> None:
        self._owner = owner
        self._role = role

    def validate(self) -> list[str]:
        own = self._owner.node.path + "/"
        return [
            f"{c.node.path} shares CdnFrontend's BucketDeployment handler, whose role may only write "
            f"to {own[:-1]}'s bucket. Fix: give it a memory_limit other than {_DEPLOYMENT_MEMORY_MIB}"
            for c in Stack.of(self._owner).node.find_all()
            if isinstance(c, s3deploy.BucketDeployment)
            and not c.node.path.startswith(own)
            and c.handler_role.node.path.startswith(own)
        ]


def _cfn(construct: Construct) -> CfnElement:
    child = construct.node.default_child
    assert isinstance(child, CfnElement)
    return child


def _sibling(stack: Stack, suffix: str, owner: Construct) -> Construct:
    """A us-east-1 stack next to ``stack`` (same stage and account)."""
    stage = Stage.of(stack)
    if stage is None:  # pragma: no cover - a Stack always has a stage (the App)
        raise ValidationError(owner.node.path, ["the stack is not inside an App or Stage"])
    account = None if Token.is_unresolved(stack.account) else stack.account
    sibling_id = f"{stack.node.id}{suffix}"
    existing = stage.node.try_find_child(sibling_id)
    if isinstance(existing, Stack):
        return existing
    return Stack(
        stage,
        sibling_id,
        env=Environment(account=account, region=CLOUDFRONT_REGION),
        description=f"us-east-1 parts of {owner.node.path} (cdk-casemgmt CdnFrontend)",
    )


def _arn_region(arn: str) -> str | None:
    """The region field of a literal ARN, or ``None`` for a token."""
    if Token.is_unresolved(arn):
        return None
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" else None


def _api_host_name(api: CdnApiOrigin) -> str | None:
    """The API's own DNS name (``api.domain_name``), or ``None`` when it has none."""
    name = getattr(api, "domain_name", None)  # an object missing it is reported, not an AttributeError
    return name if isinstance(name, str) and name else None


def _in_zone(domain_name: str, zone_name: str) -> bool:
    zone = zone_name.rstrip(".")
    return domain_name == zone or domain_name.endswith("." + zone)


def _origin_of(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
