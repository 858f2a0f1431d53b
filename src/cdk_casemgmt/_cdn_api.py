"""CdnFrontend's ``/api/*`` behavior: what it needs from an API, and the CloudFront VPC origin that
reaches the API's internal load balancer."""

from __future__ import annotations

from typing import Any, Protocol

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_elasticloadbalancingv2 as elbv2

__all__ = ["CdnApiOrigin", "api_behavior", "api_host_name"]


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


def api_host_name(api: CdnApiOrigin) -> str | None:
    """The API's own DNS name (``api.domain_name``), or ``None`` when it has none."""
    name = getattr(api, "domain_name", None)  # an object missing it is reported, not an AttributeError
    return name if isinstance(name, str) and name else None


def api_behavior(
    api: CdnApiOrigin, headers: cloudfront.IResponseHeadersPolicy
) -> tuple[origins.VpcOrigin, cloudfront.BehaviorOptions]:
    """Switch ``api`` to CloudFront-only ingress; return its VPC origin and the uncached behavior."""
    api.enable_cloudfront_ingress()
    api_cert = api.certificate
    vpc_origin = origins.VpcOrigin.with_application_load_balancer(
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
        domain_name=api_host_name(api) if api_cert else None,
    )
    behavior = cloudfront.BehaviorOptions(
        origin=vpc_origin,
        viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
        cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
        origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        response_headers_policy=headers,
        compress=True,
    )
    return vpc_origin, behavior
