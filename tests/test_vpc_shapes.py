"""Every construct that takes a ``vpc``, on the VPCs users already have: aws-cdk-lib's defaults, three AZs,
public + isolated subnets without NAT, an existing VPC imported by its attributes, a VPC of another stack.

Each shape gets a stack with a SecureFargateApi and a PostgresDatabase connected to it; one app, synthesized
once. The database goes into the isolated subnets when the VPC has them, else into its private subnets
with a synth-time note (info, so a strict synth does not fail) saying why isolated ones are better. A VPC
with public subnets only is refused with our ValidationError.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Annotations, Match

from cdk_casemgmt import PostgresDatabase, SecureFargateApi, ValidationError
from cdk_casemgmt.testing import (
    cfn_lint,
    compliance_findings,
    new_test_app,
    new_test_stack,
    synth_findings,
    template_of,
)
from tests._fargate_support import APP_DIR
from tests.conftest import CFN_LINT_CONFIG
from tests.helpers import only

AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]
ISOLATED_NOTE = "this VPC has no isolated subnets, so the database is placed in its private subnets"


def aws_cdk_default(stack: Stack) -> ec2.IVpc:
    return ec2.Vpc(stack, "Vpc")  # public + private with a NAT per AZ, what most VPCs look like


def three_azs(stack: Stack) -> ec2.IVpc:
    return ec2.Vpc(stack, "Vpc", availability_zones=AZS, nat_gateways=1)


def public_and_isolated_without_nat(stack: Stack) -> ec2.IVpc:
    return ec2.Vpc(
        stack,
        "Vpc",
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC),
            ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        ],
    )


def _imported(stack: Stack, vpc_id: str, cidr: str, **subnet_groups: str) -> ec2.IVpc:
    """A VPC over two AZs imported by its attributes. ``subnet_groups`` maps each kind of subnet it has
    ("public", "private", "isolated") to the letter that its made-up subnet and route table IDs repeat."""
    ids = {}
    for kind, letter in subnet_groups.items():
        ids[f"{kind}_subnet_ids"] = [f"subnet-0{letter * 15}{n}" for n in (1, 2)]
        ids[f"{kind}_subnet_route_table_ids"] = [f"rtb-0{letter * 15}{n}" for n in (1, 2)]
    return ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id=vpc_id, vpc_cidr_block=cidr, availability_zones=AZS[:2], **ids
    )


def imported_by_attributes(stack: Stack) -> ec2.IVpc:
    return _imported(stack, "vpc-0a1b2c3d4e5f60718", "10.20.0.0/16", public="a", private="b")


def imported_with_isolated_subnets(stack: Stack) -> ec2.IVpc:
    return _imported(stack, "vpc-0a1b2c3d4e5f60719", "10.30.0.0/16", private="c", isolated="d")


def from_another_stack(stack: Stack) -> ec2.IVpc:
    network = new_test_stack(stack.node.root, f"{stack.node.id}Network")  # type: ignore[arg-type]
    return ec2.Vpc(network, "Vpc", availability_zones=AZS[:2], nat_gateways=1)


@dataclass(frozen=True)
class Shape:
    make: Callable[[Stack], ec2.IVpc]
    database_in: str
    """The subnets the database must be in: "isolated" or "private"."""


SHAPES = {
    "aws-cdk-default": Shape(aws_cdk_default, "private"),
    "three-azs": Shape(three_azs, "private"),
    "public-isolated-no-nat": Shape(public_and_isolated_without_nat, "isolated"),
    "imported": Shape(imported_by_attributes, "private"),
    "imported-isolated": Shape(imported_with_isolated_subnets, "isolated"),
    "other-stack": Shape(from_another_stack, "private"),
}


class Built:
    def __init__(self) -> None:
        self.app = new_test_app()
        self.stacks: dict[str, Stack] = {}
        self.vpcs: dict[str, ec2.IVpc] = {}
        self.dbs: dict[str, PostgresDatabase] = {}
        self.apis: dict[str, SecureFargateApi] = {}
        for name, shape in SHAPES.items():
            stack = new_test_stack(self.app, "".join(part.capitalize() for part in name.split("-")))
            vpc = shape.make(stack)
            api = SecureFargateApi(stack, "Api", image=APP_DIR, vpc=vpc)
            db = PostgresDatabase(stack, "Db", vpc=vpc)
            api.connect(db)
            self.stacks[name], self.vpcs[name], self.apis[name], self.dbs[name] = stack, vpc, api, db
        self.templates = {name: template_of(stack) for name, stack in self.stacks.items()}
        self.findings = compliance_findings(self.app)

    def subnet_markers(self, name: str, subnets: list[ec2.ISubnet]) -> set[str]:
        """What each subnet looks like in the construct's template: an id, a logical id, an export."""
        vpc_stack = Stack.of(self.vpcs[name])
        markers = set()
        for subnet in subnets:
            resolved = vpc_stack.resolve(subnet.subnet_id)
            markers.add(resolved if isinstance(resolved, str) else resolved["Ref"])
        return markers


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


@pytest.mark.parametrize("name", SHAPES)
def test_synthesizes_without_validation_findings(built: Built, name: str) -> None:
    assert [
        str(f) for f in synth_findings(built.app) if f.path.startswith(built.stacks[name].node.path)
    ] == []


@pytest.mark.parametrize("name", SHAPES)
def test_database_goes_into_isolated_subnets_when_the_vpc_has_them(built: Built, name: str) -> None:
    vpc = built.vpcs[name]
    expected = vpc.isolated_subnets if SHAPES[name].database_in == "isolated" else vpc.private_subnets
    others = vpc.private_subnets if SHAPES[name].database_in == "isolated" else vpc.isolated_subnets
    _, group = only(built.templates[name], "AWS::RDS::DBSubnetGroup")
    placed = json.dumps(group["Properties"]["SubnetIds"])
    wanted = built.subnet_markers(name, expected)
    assert wanted and all(marker in placed for marker in wanted), placed
    assert not [m for m in built.subnet_markers(name, [*others, *vpc.public_subnets]) if m in placed]


@pytest.mark.parametrize("name", SHAPES)
def test_a_database_in_private_subnets_says_why_isolated_ones_are_better(built: Built, name: str) -> None:
    # The construct's own metadata: Annotations.find_info's SynthesisMessage objects could not always be
    # built by jsii in a fresh process ("Unknown interface: ...MetadataEntry").
    db = built.stacks[name].node.find_child("Db")
    infos = [str(e.data) for e in db.node.metadata if e.type == "aws:cdk:info"]
    notes = [text for text in infos if ISOLATED_NOTE in text]
    assert len(notes) == (1 if SHAPES[name].database_in == "private" else 0)
    if notes:
        assert "no route to the internet in either direction" in notes[0]


@pytest.mark.parametrize("name", SHAPES)
def test_our_constructs_have_no_unacknowledged_findings(built: Built, name: str) -> None:
    ours = (f"{built.stacks[name].node.id}/Api/", f"{built.stacks[name].node.id}/Db/")
    assert [str(f) for f in built.findings if f.path.startswith(ours)] == []


@pytest.mark.parametrize("name", SHAPES)
def test_cfn_lint_is_clean(built: Built, name: str) -> None:
    assert cfn_lint(built.templates[name], config_file=CFN_LINT_CONFIG) == []


@pytest.mark.parametrize("name", SHAPES)
def test_tasks_run_in_private_subnets_else_public_ones_with_public_ips(built: Built, name: str) -> None:
    """SecureFargateApi's documented default: private subnets with egress, else public subnets (the
    tasks then need a public IP to pull the image; their group admits only the load balancer)."""
    _, service = only(built.templates[name], "AWS::ECS::Service")
    network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    vpc = built.vpcs[name]
    subnets = vpc.private_subnets or vpc.public_subnets
    tasks_in = json.dumps(network["Subnets"])
    assert all(marker in tasks_in for marker in built.subnet_markers(name, subnets))
    assert network["AssignPublicIp"] == ("DISABLED" if vpc.private_subnets else "ENABLED")


# ---------------------------------------------------------------------------------------- bad input


def _public_only(stack: Stack) -> ec2.Vpc:
    return ec2.Vpc(
        stack,
        "Vpc",
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)],
    )


def test_a_database_in_a_vpc_with_public_subnets_only_is_refused() -> None:
    stack = new_test_stack()
    with pytest.raises(
        ValidationError, match=r"vpc_subnets=None: the VPC has no isolated and no private subnets"
    ):
        PostgresDatabase(stack, "Db", vpc=_public_only(stack))


def test_subnets_the_vpc_does_not_have_are_refused() -> None:
    stack = new_test_stack()
    selection = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    with pytest.raises(
        ValidationError, match=r"vpc_subnets=.*PRIVATE_ISOLATED.*selects no subnets of this VPC"
    ):
        PostgresDatabase(stack, "Db", vpc=aws_cdk_default(stack), vpc_subnets=selection)


def test_an_internal_api_in_a_vpc_with_public_subnets_only_is_refused() -> None:
    stack = new_test_stack()
    with pytest.raises(ValidationError, match=r"vpc=.*has only public subnets.*ingress=ApiIngress.PUBLIC"):
        SecureFargateApi(stack, "Api", image=APP_DIR, vpc=_public_only(stack))


def test_explicit_subnets_are_used_as_given() -> None:
    stack = new_test_stack()
    vpc = aws_cdk_default(stack)
    selection = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    PostgresDatabase(stack, "Db", vpc=vpc, vpc_subnets=selection)
    assert Annotations.from_stack(stack).find_info("*", Match.string_like_regexp(ISOLATED_NOTE)) == []
