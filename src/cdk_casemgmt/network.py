"""A VPC that passes the four compliance packs, with a network cost profile.

``SecureVpc`` spans two Availability Zones (by default) with public, private and isolated subnets,
flow logs to a KMS-encrypted log group with explicit retention, the default security group closed, and
no public IP auto-assigned in public subnets. How tasks reach the internet is a cost decision
(``NatGateways``): one NAT gateway (the default), one per AZ, or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from aws_cdk import ArnFormat, RemovalPolicy, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_casemgmt._defaults import MAX_AZS_RANGE, VPC
from cdk_casemgmt._iam import ManagedPolicyRole
from cdk_casemgmt._kms_key import rotating_key
from cdk_casemgmt._removal import retain_except_on_create
from cdk_casemgmt.compliance import acknowledge
from cdk_casemgmt.errors import Problems

__all__ = ["NatGateways", "SecureVpc", "allow_logs_service"]


class NatGateways(str, Enum):
    """The network cost profile: how private workloads reach AWS APIs and the internet."""

    ONE = "one"
    """One NAT gateway shared by every AZ (cheapest with private tasks; loses egress if its AZ fails)."""
    PER_AZ = "per-az"
    """One NAT gateway in each AZ (highest availability, one NAT-hour charge per AZ)."""
    NONE = "none"
    """No NAT gateway and no private-with-egress subnets: tasks run in public subnets with public IPs;
    their security group still admits traffic only from the load balancer."""


_DEFAULT_NAT_GATEWAYS = NatGateways(VPC.nat_gateways)

_IGW_ROUTE_RULES = (
    "HIPAA.Security-VPCNoUnrestrictedRouteToIGW",
    "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",
    "PCI.DSS.321-VPCNoUnrestrictedRouteToIGW",
)


class SecureVpc(Construct):
    """A VPC over ``max_azs`` AZs with public, private (when there is a NAT) and isolated subnets.

    :param nat_gateways: network cost profile. :default: NatGateways.ONE
    :param max_azs: number of Availability Zones. :default: 2
    :param availability_zones: explicit AZ names. :default: - ``<region>a``, ``<region>b``… when the
        stack's region is known (no context lookup), else the first ``max_azs`` of ``Fn::GetAZs``
    :param cidr: the VPC's IPv4 range. :default: "10.0.0.0/16"
    :param flow_log_retention: how long flow logs are kept. :default: logs.RetentionDays.ONE_YEAR
    :param encryption_key: KMS key for the flow-log group. :default: - a new key with rotation
    :param removal_policy: for the flow-log group and key. :default: RemovalPolicy.RETAIN
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        nat_gateways: NatGateways = _DEFAULT_NAT_GATEWAYS,
        max_azs: int = VPC.max_azs,
        availability_zones: Sequence[str] | None = None,
        cidr: str = VPC.cidr,
        flow_log_retention: logs.RetentionDays = VPC.flow_log_retention,
        encryption_key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = VPC.removal_policy,
    ) -> None:
        super().__init__(scope, id)
        problems = Problems()
        if not isinstance(nat_gateways, NatGateways):
            problems.add(
                "nat_gateways",
                nat_gateways,
                "not a NatGateways profile",
                "pass NatGateways.ONE, NatGateways.PER_AZ or NatGateways.NONE",
            )
        lo, hi = MAX_AZS_RANGE
        if not lo <= max_azs <= hi:
            problems.add("max_azs", max_azs, f"must be {lo}..{hi}", f"use {VPC.max_azs} (the default) or 3")
        problems.raise_if_any(self)

        stack = Stack.of(self)
        azs = list(availability_zones) if availability_zones else _default_azs(stack, max_azs)
        self.nat_gateways: NatGateways = nat_gateways
        """The network cost profile (``nat_gateways`` as given): which subnets exist and how they egress."""
        self.cidr: str = cidr
        """The VPC's IPv4 range as a literal (``vpc.vpc_cidr_block`` is a token the packs cannot read)."""

        subnets = [
            ec2.SubnetConfiguration(
                name="Public",
                subnet_type=ec2.SubnetType.PUBLIC,
                cidr_mask=VPC.public_subnet_mask,
                map_public_ip_on_launch=False,
            )
        ]
        if nat_gateways is not NatGateways.NONE:
            subnets.append(
                ec2.SubnetConfiguration(
                    name="Private",
                    subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS,
                    cidr_mask=VPC.private_subnet_mask,
                )
            )
        subnets.append(
            ec2.SubnetConfiguration(
                name="Isolated",
                subnet_type=ec2.SubnetType.PRIVATE_ISOLATED,
                cidr_mask=VPC.isolated_subnet_mask,
            )
        )
        nat_count = {NatGateways.ONE: 1, NatGateways.PER_AZ: len(azs), NatGateways.NONE: 0}[nat_gateways]

        self.encryption_key: kms.IKey = encryption_key or rotating_key(
            self, description=f"Encrypts the VPC flow logs of {self.node.path}", removal_policy=removal_policy
        )
        """Encrypts the flow-log group (``encryption_key`` as given, else a new key with rotation on)."""
        if encryption_key is None:
            allow_logs_service(self.encryption_key)

        self.vpc: ec2.Vpc = ec2.Vpc(
            self,
            "Resource",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=azs,
            nat_gateways=nat_count,
            subnet_configuration=subnets,
            restrict_default_security_group=True,
        )
        """The VPC: public, private-with-egress (unless ``NatGateways.NONE``) and isolated subnets in each AZ;
        its default security group has no rules."""

        self.flow_log_group: logs.LogGroup = logs.LogGroup(
            self,
            "FlowLogGroup",
            retention=flow_log_retention,
            encryption_key=self.encryption_key,
            removal_policy=retain_except_on_create(removal_policy),
        )
        """The encrypted log group the flow log writes to, kept ``flow_log_retention``."""
        # Grants CDK makes for the flow log (write to the group, pass this role) land in one managed policy.
        role = ManagedPolicyRole(
            self,
            "FlowLogRole",
            assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com"),
            description="Delivers VPC flow logs to CloudWatch Logs",
        )
        self.flow_log: ec2.FlowLog = ec2.FlowLog(
            self,
            "FlowLog",
            resource_type=ec2.FlowLogResourceType.from_vpc(self.vpc),
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group, role),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        """The VPC flow log: all traffic, accepted and rejected, to ``flow_log_group``."""

        for subnet in self.vpc.public_subnets:
            route = subnet.node.try_find_child("DefaultRoute")
            if route is not None:
                for rule in _IGW_ROUTE_RULES:
                    acknowledge(
                        route,
                        rule,
                        "Structural: a public subnet routes 0.0.0.0/0 to the internet gateway by "
                        "definition; it holds only NAT gateways and internet-facing load balancers (or, with "
                        "nat_gateways=NONE, tasks whose security group admits only the load balancer).",
                    )


def _default_azs(stack: Stack, count: int) -> list[str]:
    region = stack.region
    if not Token.is_unresolved(region):
        return [f"{region}{letter}" for letter in "abcdef"[:count]]
    return list(stack.availability_zones[:count])


def allow_logs_service(key: kms.IKey) -> None:
    """Let CloudWatch Logs in this key's region use the key, for log groups of this account only."""
    stack = Stack.of(key)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )
