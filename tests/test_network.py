"""SecureVpc on its own: every network cost profile passes the four packs and cfn-lint."""

from __future__ import annotations

import pytest
from aws_cdk import Stack

from cdk_casemgmt.network import NatGateways, SecureVpc
from cdk_casemgmt.testing import cfn_lint, compliance_findings, new_test_stack, template_of
from tests.conftest import CFN_LINT_CONFIG


@pytest.fixture(scope="module", params=list(NatGateways), ids=[p.value for p in NatGateways])
def vpc_stack(request: pytest.FixtureRequest) -> tuple[Stack, NatGateways]:
    stack = new_test_stack()
    SecureVpc(stack, "Net", nat_gateways=request.param)
    return stack, request.param


def test_every_profile_is_compliant_and_lint_clean(vpc_stack: tuple[Stack, NatGateways]) -> None:
    stack, _ = vpc_stack
    assert compliance_findings(stack) == []
    assert cfn_lint(stack, config_file=CFN_LINT_CONFIG) == []


def test_profile_sets_nat_gateways_and_private_subnets(vpc_stack: tuple[Stack, NatGateways]) -> None:
    stack, profile = vpc_stack
    resources = template_of(stack)["Resources"].values()
    nats = [r for r in resources if r["Type"] == "AWS::EC2::NatGateway"]
    kinds = {
        t["Value"]
        for r in resources
        if r["Type"] == "AWS::EC2::Subnet"
        for t in r["Properties"]["Tags"]
        if t["Key"] == "aws-cdk:subnet-type"
    }
    expected = {NatGateways.ONE: 1, NatGateways.PER_AZ: 2, NatGateways.NONE: 0}[profile]
    assert len(nats) == expected
    assert ("Private" in kinds) == (profile is not NatGateways.NONE)


def test_public_subnets_never_assign_public_ips(vpc_stack: tuple[Stack, NatGateways]) -> None:
    stack, _ = vpc_stack
    subnets = [r for r in template_of(stack)["Resources"].values() if r["Type"] == "AWS::EC2::Subnet"]
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in subnets)
