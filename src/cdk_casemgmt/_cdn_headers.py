"""The security headers CdnFrontend adds to every response: HSTS (preload-ready), nosniff, no framing,
a strict referrer policy and the Content-Security-Policy built from props."""

from __future__ import annotations

from aws_cdk import aws_cloudfront as cloudfront
from constructs import Construct

from cdk_casemgmt._defaults import CDN
from cdk_casemgmt.csp import ContentSecurityPolicy

__all__ = ["security_headers_policy"]


def security_headers_policy(scope: Construct, csp: ContentSecurityPolicy) -> cloudfront.ResponseHeadersPolicy:
    """The response headers policy ``Headers`` in ``scope``; every header overrides the origin's."""
    return cloudfront.ResponseHeadersPolicy(
        scope,
        "Headers",
        comment="cdk-casemgmt SPA security headers",
        security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
            strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=CDN.hsts_max_age,
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
