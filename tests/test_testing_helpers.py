"""cdk_casemgmt.testing and the compliance helpers behave as documented."""

from __future__ import annotations

import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_sns as sns

from cdk_casemgmt import ValidationError, acknowledge
from cdk_casemgmt.errors import Problems
from cdk_casemgmt.testing import (
    compliance_findings,
    logical_ids,
    masked_template,
    new_test_app,
    new_test_stack,
)


def test_masked_template_hides_asset_hashes_everywhere() -> None:
    h = "a" * 64
    template = {"Resources": {"F": {"Properties": {"S3Key": f"{h}.zip", "List": [f"x/{h}"], h: 1}}}}
    masked = masked_template(template)
    assert h not in str(masked)
    assert masked["Resources"]["F"]["Properties"]["S3Key"] == "[HASH].zip"


def test_compliance_findings_report_and_acknowledgements_silence() -> None:
    app = new_test_app()
    stack = new_test_stack(app)
    loud = sns.Topic(stack, "Loud")
    quiet = sns.Topic(stack, "Quiet")
    for rule in (
        "AwsSolutions-SNS2",
        "AwsSolutions-SNS3",
        "HIPAA.Security-SNSEncryptedKMS",
        "NIST.800.53.R5-SNSEncryptedKMS",
        "PCI.DSS.321-SNSEncryptedKMS",
    ):
        acknowledge(quiet, rule, "test topic")
    paths = {f.path for f in compliance_findings(app)}
    assert loud.node.path + "/Resource" in paths
    assert not any(p.startswith(quiet.node.path) for p in paths)


def test_acknowledge_needs_a_reason() -> None:
    stack = new_test_stack()
    with pytest.raises(ValueError, match="needs a reason"):
        acknowledge(stack, "AwsSolutions-EC23", "  ")


def test_logical_ids_lists_stateful_resources_only() -> None:
    template = {"Resources": {"A": {"Type": "AWS::RDS::DBInstance"}, "B": {"Type": "AWS::IAM::Role"}}}
    assert logical_ids(template) == {"A": "AWS::RDS::DBInstance"}


def test_synth_findings_report_cloudformation_validation_warnings() -> None:
    from cdk_casemgmt.testing import synth_findings

    app = new_test_app()
    stack = new_test_stack(app)
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=1,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="i", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    sg = ec2.SecurityGroup(stack, "Sg", vpc=vpc)
    sg.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(5432))  # CloudFormation-Validate W2508
    findings = synth_findings(app)
    assert [(f.rule_id, f.path) for f in findings] == [("CloudFormation Validate::W2508", "Test/Sg/Resource")]


def test_problems_collects_then_raises_once() -> None:
    p = Problems()
    p.add("a", 1, "too small", "pass 2")
    p.add_message("b and c conflict")
    with pytest.raises(ValidationError) as err:
        p.raise_if_any("Root/X")
    assert err.value.problems == ("a=1: too small. Fix: pass 2", "b and c conflict")
    assert str(err.value).startswith("Root/X: 2 invalid prop(s):")


def test_cdk_snapshot_masks_asset_hashes_by_itself(cdk_snapshot: object) -> None:
    # Stored with [HASH]: any other 64-hex value compares equal, so asset changes do not churn snapshots.
    assert {"S3Key": "c" * 64 + ".zip", "Other": "kept"} == cdk_snapshot
