"""CdnFrontend: CloudFront + a private S3 bucket for a single-page app, with ``/api/*`` to the API.

What it gets right that a plain CloudFront + S3 setup often misses (docs/cdn-frontend.md has the full
list and reasons):

- SPA deep links are rewritten by a viewer-request CloudFront Function on the S3 behavior only, so an
  API 404 stays a 404 (distribution-wide ``error_responses`` would turn it into ``200 index.html``).
- The Content-Security-Policy is built from props (``ContentSecurityPolicy``) and lets the app call its
  own API and identity provider.
- The web ACL, the certificate and CloudFront's alarms must live in us-east-1: when the stack is in
  another region, CdnFrontend puts them into sibling us-east-1 stacks (cross-region references).
- The log bucket has the object ownership CloudFront's standard logging needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from os import PathLike, fspath
from pathlib import Path
from typing import Any

from aws_cdk import (
    Annotations,
    Duration,
    Names,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk_casemgmt._alarm_topic import alarm_topic as new_alarm_topic
from cdk_casemgmt._cdn_alarms import add_alarms
from cdk_casemgmt._cdn_api import CdnApiOrigin, api_behavior
from cdk_casemgmt._cdn_deploy import deploy_site, runtime_config_data
from cdk_casemgmt._cdn_headers import security_headers_policy
from cdk_casemgmt._cdn_props import CheckedProps, origin_of, validate
from cdk_casemgmt._defaults import CDN
from cdk_casemgmt._edge_stack import CLOUDFRONT_REGION, reference_weakly, sibling_stack
from cdk_casemgmt._kms_bucket import kms_versioned_bucket
from cdk_casemgmt._kms_key import rotating_key
from cdk_casemgmt._log_bucket import LOG_DELIVERY_BY_BUCKET_POLICY, access_log_bucket
from cdk_casemgmt._replication import acknowledge_not_replicated, optional_replication
from cdk_casemgmt._waf import (
    COMMON_RULE_SET,
    IP_REPUTATION_LIST,
    KNOWN_BAD_INPUTS,
    acl_rules,
    log_web_acl,
    web_acl,
)
from cdk_casemgmt.compliance import acknowledge
from cdk_casemgmt.csp import ContentSecurityPolicy
from cdk_casemgmt.errors import Problems
from cdk_casemgmt.network import allow_logs_service

__all__ = ["CLOUDFRONT_REGION", "CdnApiOrigin", "CdnFrontend"]


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
    :param removal_policy: for the site bucket, log bucket and log groups (log groups get
        RETAIN_ON_UPDATE_OR_DELETE for RETAIN: a failed first create then leaves none behind).
        :default: RETAIN
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
        immutable_asset_patterns: Sequence[str] = CDN.immutable_asset_patterns,
        price_class: cloudfront.PriceClass = CDN.price_class,
        geo_restriction: cloudfront.GeoRestriction | None = None,
        waf_rate_limit: int = CDN.waf_rate_limit,
        alarm_topic: sns.ITopic | None = None,
        error_rate_threshold_percent: float = CDN.error_rate_threshold_percent,
        origin_latency_threshold: Duration = CDN.origin_latency_threshold,
        noncurrent_version_expiration: Duration = CDN.noncurrent_version_expiration,
        replication_destination: s3.IBucket | None = None,
        access_log_retention: Duration = CDN.access_log_retention,
        waf_log_retention: logs.RetentionDays = CDN.waf_log_retention,
        removal_policy: RemovalPolicy = CDN.removal_policy,
    ) -> None:
        super().__init__(scope, id)
        # S3 server access logs into the log bucket through its bucket policy in any app (see
        # LOG_DELIVERY_BY_BUCKET_POLICY); CloudFront's own log delivery keeps using the bucket's ACL.
        self.node.set_context(LOG_DELIVERY_BY_BUCKET_POLICY, True)
        stack = Stack.of(self)
        site = Path(fspath(site_dir))
        if api_base_url is None and api is not None:
            api_base_url = "/api"

        problems = Problems()
        checked = CheckedProps(
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
        validate(problems, stack, checked)
        csp = content_security_policy
        if csp is None and not problems:
            connect = [origin_of(api_base_url)] if api_base_url and "://" in api_base_url else []
            csp = ContentSecurityPolicy.for_single_page_app(
                connect_origins=connect, identity_provider_origins=identity_provider_origins
            )
        problems.raise_if_any(self)
        assert csp is not None

        in_us_east_1 = stack.region == CLOUDFRONT_REGION
        self._keys: dict[str, kms.Key] = {}

        # us-east-1 parts that the distribution needs: web ACL and certificate (deployed first).
        edge: Construct = self if in_us_east_1 else sibling_stack(stack, f"{id}Edge", self)
        self.edge_stack: Stack | None = None if in_us_east_1 else Stack.of(edge)
        """The us-east-1 stack holding the web ACL and certificate, when the stack is elsewhere."""

        # --- buckets --------------------------------------------------------------------------
        self.log_bucket: s3.Bucket = access_log_bucket(
            self,
            "LogBucket",
            retention=access_log_retention,
            removal_policy=removal_policy,
            # CloudFront standard logging writes with ACLs: BUCKET_OWNER_ENFORCED fails the deploy.
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
        )
        """Access logs: CloudFront's (``cloudfront/``) and the site bucket's S3 server access logs."""
        replication = optional_replication(self, replication_destination, of="the site bucket")
        self.replication_role: iam.Role | None = replication.role if replication is not None else None
        """The role S3 replication assumes (only with ``replication_destination``)."""
        self.replication_policy: iam.ManagedPolicy | None = None
        """The replication role's one customer-managed policy (no inline policy, no wildcard action)."""
        self.bucket: s3.Bucket = kms_versioned_bucket(
            self,
            "Bucket",
            encryption_key=self._key(self),
            log_bucket=self.log_bucket,
            access_logs_prefix="s3-access-logs/site/",
            noncurrent_version_expiration=noncurrent_version_expiration,
            replication=replication,
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
        self.certificate: acm.ICertificate | None = certificate
        """The viewer certificate (us-east-1), or ``None`` with the default CloudFront name."""
        self.web_acl: wafv2.CfnWebACL = self._web_acl(edge, waf_rate_limit, waf_log_retention, removal_policy)
        """The CLOUDFRONT-scope web ACL (AWS managed common, known bad inputs, IP reputation, rate limit)."""

        # --- behaviors ----------------------------------------------------------------------------
        self.response_headers_policy: cloudfront.ResponseHeadersPolicy = security_headers_policy(self, csp)
        """The security headers (HSTS, ``content_security_policy``, nosniff, frame and referrer policy) that
        every response carries, the API's included."""
        self.content_security_policy: ContentSecurityPolicy = csp
        """The Content-Security-Policy sent: the one given, or one built for the app, its API and its
        identity provider."""
        self.spa_rewrite_function: cloudfront.Function = cloudfront.Function(
            self,
            "SpaRewrite",
            code=cloudfront.FunctionCode.from_inline(spa_rewrite_source()),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Rewrite extension-less paths (SPA routes) to /index.html",
        )
        """Viewer-request function on the S3 behavior: extension-less paths -> ``/index.html``."""

        additional: dict[str, cloudfront.BehaviorOptions] = {}
        self.vpc_origin: origins.VpcOrigin | None = None
        """The VPC origin that reaches ``api``'s internal load balancer on ``/api/*``, or ``None``."""
        if api is not None:
            self.vpc_origin, additional["/api/*"] = api_behavior(api, self.response_headers_policy)

        # --- distribution -------------------------------------------------------------------------
        self.distribution: cloudfront.Distribution = cloudfront.Distribution(
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
                "hosted_zone or certificate to get TLSv1.2_2021 (structural: the default name has no "
                "other certificate; docs/design.md#acknowledged-findings).",
            )

        if not in_us_east_1:
            producers: list[Construct] = [self.web_acl, self.distribution]
            if isinstance(certificate, Construct) and Stack.of(certificate) is not stack:
                producers.append(certificate)
            reference_weakly(producers)
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
        self.url: str = f"https://{self.domain_name}"
        """``https://`` + [`domain_name`][cdk_casemgmt.CdnFrontend.domain_name]."""
        if domain_name and hosted_zone is not None:
            alias = route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution))
            route53.ARecord(self, "AliasA", zone=hosted_zone, record_name=domain_name, target=alias)
            route53.AaaaRecord(self, "AliasAAAA", zone=hosted_zone, record_name=domain_name, target=alias)

        # --- content ------------------------------------------------------------------------------
        config = runtime_config_data(api_base_url, auth_settings, runtime_config)
        self.runtime_config: Mapping[str, Any] = config
        """What ``runtime-config.json`` holds (tokens are resolved at deploy time)."""
        deploy_site(
            self,
            site=site,
            config=config,
            bucket=self.bucket,
            key=self._key(self),
            distribution=self.distribution,
            immutable=immutable_asset_patterns,
            removal_policy=removal_policy,
        )

        # --- alarms (us-east-1, where CloudFront publishes metrics; after the distribution) -------
        monitoring: Construct = self if in_us_east_1 else sibling_stack(stack, f"{id}Alarms", self)
        self.monitoring_stack: Stack | None = None if in_us_east_1 else Stack.of(monitoring)
        """The us-east-1 stack holding the alarms and topic, when the stack is elsewhere."""
        self.alarm_topic: sns.ITopic = alarm_topic or new_alarm_topic(
            monitoring, self._key(monitoring), owner=self
        )
        """The SNS topic the alarms notify."""
        self.alarms: list[cloudwatch.Alarm] = add_alarms(
            monitoring,
            owner=self,
            distribution=self.distribution,
            topic=self.alarm_topic,
            error_rate_percent=error_rate_threshold_percent,
            latency=origin_latency_threshold,
        )
        """The 5xx error rate and origin latency alarms."""

    # ---------------------------------------------------------------------------------------------
    def _key(self, scope: Construct) -> kms.Key:
        """One customer-managed key per stack this construct writes to (rotation on)."""
        stack = Stack.of(scope)
        key = self._keys.get(stack.node.path)
        if key is None:
            key = rotating_key(
                scope,
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
            rules=acl_rules(
                [
                    COMMON_RULE_SET,
                    KNOWN_BAD_INPUTS,
                    IP_REPUTATION_LIST,
                ],
                rate_limit=rate_limit,
                rate_window_seconds=None,
            ),
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
            destination_references_log_group=True,
        )
        return acl

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


def spa_rewrite_source() -> str:
    """The CloudFront Function's JavaScript (package data ``functions/spa_rewrite.js``)."""
    return resources.files("cdk_casemgmt").joinpath("functions/spa_rewrite.js").read_text(encoding="utf-8")
