"""Builders shared by the test modules (plain functions; each module synthesizes its own app once)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2


def egress_vpc(stack: Stack) -> ec2.Vpc:
    """Public, private-with-NAT and isolated subnets over 2 AZs."""
    return ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=1,
        subnet_configuration=[
            ec2.SubnetConfiguration(
                name="public", subnet_type=ec2.SubnetType.PUBLIC, map_public_ip_on_launch=False
            ),
            ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        ],
    )


def isolated_vpc(stack: Stack) -> ec2.Vpc:
    """Isolated subnets only: no internet gateway, no NAT."""
    return ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        ],
    )


def resources_of(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    """Logical ID -> resource, for one resource type."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def only(template: dict[str, Any], type_: str) -> tuple[str, dict[str, Any]]:
    """The single resource of a type (fails if there are none or several)."""
    found = resources_of(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.items()))
