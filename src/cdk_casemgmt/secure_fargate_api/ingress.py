"""Who can reach the API's load balancer: the three ingress modes and the security-group rules of each."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from aws_cdk import CfnMapping, Stack, Token
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from cdk_casemgmt._cloudfront import CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS
from cdk_casemgmt.compliance import acknowledge
from cdk_casemgmt.errors import ValidationError


class ApiIngress(str, Enum):
    """Who can reach the API's load balancer (see docs/design.md#ingress-modes)."""

    PRIVATE = "private"
    """Internal ALB, reachable from inside the VPC (and from CloudFront once a CdnFrontend points at it)."""
    CLOUDFRONT = "cloudfront"
    """Internal ALB reachable only from CloudFront's origin-facing servers (``enable_cloudfront_ingress``)."""
    PUBLIC = "public"
    """Internet-facing ALB: HTTPS on 443 open to the world, port 80 redirecting to it. Needs a certificate."""


_PREFIX_LIST_MAPPING_ID = "CloudFrontOriginFacingPrefixList"
# What the packs report for an ingress rule whose CIDR is an unresolved token (they assume the worst).
_TOKEN_CIDR_FALSE_POSITIVES = (
    "AwsSolutions-EC23",
    *(
        f"{pack}-{rule}"
        for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
        for rule in ("EC2RestrictedCommonPorts", "EC2RestrictedSSH")
    ),
)


class IngressRules:
    """The load balancer's ingress rules, in ``<owner>/Ingress``, for one mode at a time.

    :param listener_port: the port the API listens on (443 or 80).
    :param redirect_port: the port of the HTTP-to-HTTPS redirect listener, if there is one.
    :param private_cidr: who may connect in PRIVATE mode.
    :param cloudfront_prefix_list_id: CloudFront's origin-facing prefix list. :default: - the stack's
        ``CloudFrontOriginFacingPrefixList`` mapping entry for its region
    """

    def __init__(
        self,
        owner: Construct,
        security_group: ec2.ISecurityGroup,
        *,
        listener_port: int,
        redirect_port: int | None,
        private_cidr: str,
        cloudfront_prefix_list_id: str | None,
    ) -> None:
        self._owner = owner
        self._scope = Construct(owner, "Ingress")
        self._names: list[str] = []
        self._group_id = security_group.security_group_id
        self._listener_port = listener_port
        self._ports: Sequence[int] = [listener_port] + ([redirect_port] if redirect_port is not None else [])
        self._private_cidr = private_cidr
        self._cloudfront_prefix_list_id = cloudfront_prefix_list_id

    def apply(self, mode: ApiIngress) -> None:
        """(Re)create the rules for ``mode``, replacing those of the previous mode."""
        for name in self._names:
            self._scope.node.try_remove_child(name)
        self._names = []
        if mode is ApiIngress.PUBLIC:
            for port in self._ports:
                r = self._rule(f"Internet{port}", port, f"Internet to port {port}", cidr_ip="0.0.0.0/0")
                acknowledge(
                    r,
                    "AwsSolutions-EC23",
                    "Structural: ingress=ApiIngress.PUBLIC is an internet-facing HTTPS API (port 80 only "
                    "redirects to 443). Use ApiIngress.PRIVATE or CdnFrontend to avoid it.",
                )
        elif mode is ApiIngress.CLOUDFRONT:
            self._rule(
                f"CloudFront{self._listener_port}",
                self._listener_port,
                "CloudFront origin-facing servers only",
                source_prefix_list_id=self._prefix_list_id(),
            )
        else:
            cidr = self._private_cidr
            for port in self._ports:
                r = self._rule(f"Vpc{port}", port, f"Clients inside the VPC to port {port}", cidr_ip=cidr)
                if Token.is_unresolved(cidr):
                    for rule_id in _TOKEN_CIDR_FALSE_POSITIVES:
                        acknowledge(
                            r,
                            rule_id,
                            "False positive: the peer is the given VPC's own CIDR block (a CloudFormation "
                            "reference the rule cannot read), not the internet. Pass private_ingress_cidr= a "
                            "literal range to avoid it.",
                        )

    def _rule(self, name: str, port: int, description: str, **peer: str) -> ec2.CfnSecurityGroupIngress:
        self._names.append(name)
        return ec2.CfnSecurityGroupIngress(
            self._scope,
            name,
            group_id=self._group_id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=description,
            **peer,
        )

    def _prefix_list_id(self) -> str:
        if self._cloudfront_prefix_list_id:
            return self._cloudfront_prefix_list_id
        stack = Stack.of(self._owner)
        region = stack.region
        if not Token.is_unresolved(region) and region not in CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS:
            raise ValidationError(
                self._owner.node.path,
                [
                    f"cloudfront_prefix_list_id=None: region {region!r} is not in "
                    "CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS. Fix: pass cloudfront_prefix_list_id= the ID of "
                    "com.amazonaws.global.cloudfront.origin-facing in that region"
                ],
            )
        mapping = stack.node.try_find_child(_PREFIX_LIST_MAPPING_ID)
        if not isinstance(mapping, CfnMapping):
            mapping = CfnMapping(
                stack,
                _PREFIX_LIST_MAPPING_ID,
                mapping={region: {"id": pl} for region, pl in CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS.items()},
            )
        return mapping.find_in_map(stack.region, "id")
