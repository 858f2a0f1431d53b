"""Networking: load balancers, NAT gateways, public IPv4 addresses, interface VPC endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_casemgmt.cost.context import Missing, PricingContext
from cdk_casemgmt.cost.lines import LineBuilder, show_num
from cdk_casemgmt.cost.model import NoCharge
from cdk_casemgmt.cost.rules._registry import flat_rate, rule


def _internet_facing(ctx: PricingContext, r: Mapping[str, Any]) -> bool:
    scheme = ctx.resolve((r.get("Properties") or {}).get("Scheme", "internet-facing"))
    return bool(scheme != "internal")


@rule("AWS::ElasticLoadBalancingV2::LoadBalancer")
def _elbv2(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    rtype = "AWS::ElasticLoadBalancingV2::LoadBalancer"
    line = LineBuilder(ctx, lid, rtype)
    kind = ctx.literal(props, "Type", "application")
    if kind not in ("application", "network"):
        raise Missing(f"{kind} load balancers are not in the price file")
    scheme = ctx.literal(props, "Scheme", "internet-facing")
    ip_type = ctx.literal(props, "IpAddressType", "ipv4")
    azs = ctx.count_of(props, "Subnets") or ctx.count_of(props, "SubnetMappings")
    line.hourly("load balancer", f"elb.{kind}.hour", 1, "1 load balancer")
    if scheme != "internal" and ip_type != "dualstack-without-public-ipv4":
        if azs is None:
            azs = 2
            line.notes.append("subnets not literal: 2 AZs assumed (the ALB minimum)")
        line.hourly("public IPv4", "vpc.public_ipv4.hour", azs, f"{azs} addresses (one per AZ, at least)")
    if ctx.usage.alb_lcu_per_hour:
        unit = "LCU" if kind == "application" else "NLCU"
        line.try_(
            "capacity units",
            lambda: line.hourly(
                "capacity units",
                f"elb.{kind}.lcu_hour",
                ctx.usage.alb_lcu_per_hour,
                f"{show_num(ctx.usage.alb_lcu_per_hour)} {unit} (usage)",
                usage=True,
            ),
        )
    if scheme != "internal" and ctx.usage.data_out_gb:
        line.try_(
            "data out",
            lambda: line.shared_usage(
                "data out",
                "data_transfer.internet_out.gb",
                ctx.usage.data_out_gb,
                "{share} GB (usage {total} GB over {n} internet-facing LBs)",
                where=_internet_facing,
            ),
        )
    return line


@rule("AWS::EC2::NatGateway")
def _nat(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::EC2::NatGateway")
    line.hourly("NAT gateway", "vpc.nat_gateway.hour", 1, "1 gateway")
    if ctx.literal(props, "ConnectivityType", "public") == "public" and "AllocationId" not in props:
        line.notes.append(
            "public NAT gateway without AllocationId: its address is billed where it is allocated"
        )
    if ctx.usage.nat_gb:
        line.shared_usage(
            "data processed",
            "vpc.nat_gateway.gb",
            ctx.usage.nat_gb,
            "{share} GB (usage {total} GB over {n} gateways)",
        )
    return line


flat_rate(
    "AWS::EC2::EIP", "public IPv4", "vpc.public_ipv4.hour", "1 address (billed in use or idle)", hourly=True
)


def _interface(ctx: PricingContext, r: Mapping[str, Any]) -> bool:
    return bool((r.get("Properties") or {}).get("VpcEndpointType") == "Interface")


@rule("AWS::EC2::VPCEndpoint")
def _endpoint(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder | NoCharge:
    kind = ctx.literal(props, "VpcEndpointType", "Gateway")
    if kind == "Gateway":
        return ctx.no_charge(lid, "AWS::EC2::VPCEndpoint", "gateway endpoints (S3, DynamoDB) carry no charge")
    if kind != "Interface":
        raise Missing(f"{kind} endpoints are not in the price file")
    line = LineBuilder(ctx, lid, "AWS::EC2::VPCEndpoint")
    azs = ctx.count_of(props, "SubnetIds")
    if azs is None:
        raise Missing("SubnetIds are not literal: cannot count endpoint AZs")
    line.hourly("interface endpoint", "vpc.interface_endpoint.az_hour", azs, f"{azs} AZs")
    if ctx.usage.interface_endpoint_gb:
        line.shared_usage(
            "data processed",
            "vpc.interface_endpoint.gb",
            ctx.usage.interface_endpoint_gb,
            "{share} GB (usage over {n} interface endpoints)",
            where=_interface,
        )
    return line
