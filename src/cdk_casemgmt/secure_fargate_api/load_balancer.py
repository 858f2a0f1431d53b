"""The API's Application Load Balancer: its access logs, target group, certificate and listeners, the
findings each of them leaves and why, and the DNS record that names it."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_casemgmt._defaults import FARGATE_API
from cdk_casemgmt._log_bucket import access_log_bucket
from cdk_casemgmt.compliance import acknowledge
from cdk_casemgmt.secure_fargate_api.ingress import ApiIngress
from cdk_casemgmt.secure_fargate_api.props import ApiProps

_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")


@dataclass(frozen=True)
class LoadBalancerParts:
    load_balancer: elbv2.ApplicationLoadBalancer
    access_log_bucket: s3.Bucket
    target_group: elbv2.ApplicationTargetGroup
    certificate: acm.ICertificate | None
    listener: elbv2.ApplicationListener
    listener_port: int
    redirect_listener: elbv2.ApplicationListener | None


def add_load_balancer(
    owner: Construct, props: ApiProps, *, vpc: ec2.IVpc, security_group: ec2.ISecurityGroup
) -> LoadBalancerParts:
    """The load balancer in the subnets ``props.ingress`` calls for, forwarding to an IP target group.

    With a certificate (given, or created for ``domain_name``) and HTTPS, it listens on 443 and, with
    ``redirect_http``, redirects port 80 there; otherwise it listens on 80.
    """
    public = props.ingress is ApiIngress.PUBLIC
    if public:
        subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
    elif vpc.private_subnets:
        subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    else:
        subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    alb = elbv2.ApplicationLoadBalancer(
        owner,
        "LoadBalancer",
        vpc=vpc,
        vpc_subnets=subnets,
        internet_facing=public,
        security_group=security_group,
        drop_invalid_header_fields=True,
        desync_mitigation_mode=elbv2.DesyncMitigationMode.STRICTEST,
        deletion_protection=props.deletion_protection,
    )
    if not props.deletion_protection:
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            acknowledge(
                alb,
                f"{pack}-ELBDeletionProtectionEnabled",
                "Opted out with deletion_protection=False (e.g. a short-lived environment).",
            )
    logs_bucket = access_log_bucket(
        owner,
        "AccessLogs",
        retention=props.access_log_retention,
        removal_policy=props.removal_policy,
        own_logs_prefix="server-access-logs/",
        noncurrent_version_expiration=FARGATE_API.access_log_noncurrent_version_expiration,
        abort_incomplete_upload_after=FARGATE_API.access_log_abort_incomplete_upload_after,
        delivered_logs="ALB access logs",
    )
    alb.log_access_logs(logs_bucket, "alb")

    target_group = elbv2.ApplicationTargetGroup(
        owner,
        "TargetGroup",
        vpc=vpc,
        port=props.container_port,
        protocol=elbv2.ApplicationProtocol.HTTP,
        target_type=elbv2.TargetType.IP,
        deregistration_delay=props.deregistration_delay,
        health_check=elbv2.HealthCheck(
            path=props.health_check_path,
            interval=props.health_check_interval,
            timeout=FARGATE_API.health_check_timeout,
            healthy_threshold_count=FARGATE_API.healthy_threshold_count,
            unhealthy_threshold_count=FARGATE_API.unhealthy_threshold_count,
            healthy_http_codes="200-299",
        ),
    )
    certificate = props.certificate
    if certificate is None and props.domain_name and props.hosted_zone is not None:
        certificate = acm.Certificate(
            owner,
            "Certificate",
            domain_name=props.domain_name,
            validation=acm.CertificateValidation.from_dns(props.hosted_zone),
        )
    redirect = None
    if props.protocol is elbv2.ApplicationProtocol.HTTPS and certificate is not None:
        port = 443
        listener = alb.add_listener(
            "Https",
            port=443,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[elbv2.ListenerCertificate.from_certificate_manager(certificate)],
            ssl_policy=props.ssl_policy,
            open=False,
            default_target_groups=[target_group],
        )
        if props.redirect_http:
            redirect = _redirect_listener(alb)
    else:
        port = 80
        listener = alb.add_listener(
            "Http",
            port=80,
            protocol=elbv2.ApplicationProtocol.HTTP,
            open=False,
            default_target_groups=[target_group],
        )
        for pack in _PACKS:
            for rule in ("ALBHttpToHttpsRedirection", "ELBv2ACMCertificateRequired"):
                acknowledge(
                    listener,
                    f"{pack}-{rule}",
                    "No certificate= or domain_name= given: an internal load balancer without a domain "
                    "cannot hold an ACM certificate. It is reachable only inside the VPC or from "
                    "CloudFront's VPC origin (HTTPS ends at CloudFront). Give certificate= or "
                    "domain_name= + hosted_zone= for an HTTPS listener.",
                )
    return LoadBalancerParts(alb, logs_bucket, target_group, certificate, listener, port, redirect)


def _redirect_listener(alb: elbv2.ApplicationLoadBalancer) -> elbv2.ApplicationListener:
    redirect = alb.add_listener(
        "HttpRedirect",
        port=80,
        protocol=elbv2.ApplicationProtocol.HTTP,
        open=False,
        default_action=elbv2.ListenerAction.redirect(protocol="HTTPS", port="443", permanent=True),
    )
    for pack in _PACKS:
        acknowledge(
            redirect,
            f"{pack}-ELBv2ACMCertificateRequired",
            "Opted in with redirect_http=True (the default): this port-80 listener only answers "
            "301 to HTTPS on 443 and forwards nothing. redirect_http=False removes it.",
        )
    return redirect


def alias_record(
    owner: Construct, alb: elbv2.IApplicationLoadBalancer, props: ApiProps
) -> route53.ARecord | None:
    """``domain_name``'s alias record in ``hosted_zone``, when both are given."""
    if not props.domain_name or props.hosted_zone is None:
        return None
    return route53.ARecord(
        owner,
        "AliasRecord",
        zone=props.hosted_zone,
        record_name=props.domain_name,
        target=route53.RecordTarget.from_alias(route53_targets.LoadBalancerTarget(alb)),
    )
