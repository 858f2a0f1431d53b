"""A stand-in for SecureFargateApi, built from real CDK resources, for CdnFrontend's API tests.

It implements the contract CdnFrontend relies on (``load_balancer``, ``ingress``, ``certificate``,
``enable_cloudfront_ingress()``) and nothing else. When SecureFargateApi lands on main, the tests
switch to the real class and this file goes away.
"""

from __future__ import annotations

from enum import Enum

from aws_cdk import Aws, CfnMapping
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from cdk_casemgmt.errors import ValidationError

# CloudFront's origin-facing managed prefix list per region (feasibility notes section 4).
_ORIGIN_FACING = {"us-east-1": {"id": "pl-3b927c52"}, "eu-west-1": {"id": "pl-4fa04526"}}


class ApiIngress(Enum):
    PRIVATE = "private"
    CLOUDFRONT = "cloudfront"
    PUBLIC = "public"


class ApiStandIn(Construct):
    """An internal ALB in a VPC whose security group opens to CloudFront on request."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        ingress: ApiIngress = ApiIngress.PRIVATE,
        certificate: acm.ICertificate | None = None,
        domain_name: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
            ],
        )
        self.security_group = ec2.SecurityGroup(self, "AlbSg", vpc=vpc, allow_all_outbound=False)
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self, "Alb", vpc=vpc, internet_facing=False, security_group=self.security_group
        )
        self.port = 443 if certificate else 80
        self.load_balancer.add_listener(
            "Listener",
            port=self.port,
            open=False,
            certificates=[certificate] if certificate else None,
            default_action=elbv2.ListenerAction.fixed_response(404),
        )
        self.ingress = ingress
        self.certificate = certificate
        self.domain_name = domain_name

    def enable_cloudfront_ingress(self) -> None:
        if self.ingress is ApiIngress.PUBLIC:
            raise ValidationError(self.node.path, ["ingress=public cannot be CloudFront-only"])
        mapping = CfnMapping(self, "CfOriginFacing", mapping=_ORIGIN_FACING)
        self.security_group.add_ingress_rule(
            ec2.Peer.prefix_list(mapping.find_in_map(Aws.REGION, "id")),
            ec2.Port.tcp(self.port),
            "CloudFront origin-facing only",
        )
        self.ingress = ApiIngress.CLOUDFRONT
