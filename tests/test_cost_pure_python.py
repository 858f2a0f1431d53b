"""``cdk-casemgmt cost`` is pure Python: it never imports aws-cdk-lib, constructs or jsii, so no Node starts.

Each check runs in a fresh interpreter with ``JSII_NODE=/bin/false``: anything that started the jsii runtime
would fail there (``/bin/false`` exits at once), and ``sys.modules`` shows what was imported.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cdk_casemgmt.cost import load_prices

FIXTURES = Path(__file__).parent / "fixtures" / "cost"
JSON_TEMPLATE = FIXTURES / "hand-written.json"
YAML_TEMPLATE = FIXTURES / "hand-written.yaml"
SCRIPT = Path(sys.executable).parent / "cdk-casemgmt"
H = 730
JSII_MODULES = ("aws_cdk", "constructs", "jsii")


def rate(key: str, region: str = "us-east-1") -> float:
    return load_prices(region).prices[key].usd


def run_fresh(*argv: str, node: bool = False) -> str:
    """Run ``argv`` in a fresh process (with ``JSII_NODE=/bin/false`` unless ``node``); its stdout."""
    env = dict(os.environ) if node else {**os.environ, "JSII_NODE": "/bin/false"}
    result = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert node or result.stderr == "", result.stderr
    return result.stdout


def cost(*argv: str) -> Any:
    return json.loads(run_fresh(str(SCRIPT), "cost", *argv, "--usage", "fixed", "--json"))


def test_prices_a_json_template_without_node() -> None:
    hand = (
        rate("vpc.public_ipv4.hour") * H
        + rate("vpc.nat_gateway.hour") * H
        + rate("elb.application.hour") * H
        + rate("rds.postgres.db.t4g.micro.single_az.hour") * H
        + 20 * rate("rds.storage.gp3.single_az.gb_month")
    )
    assert cost(str(JSON_TEMPLATE))["total_monthly_usd"] == pytest.approx(hand, abs=0.006)


def test_prices_a_yaml_template_without_node() -> None:
    hand = 2 * rate("vpc.public_ipv4.hour") * H + rate("vpc.nat_gateway.hour") * H
    assert cost(str(YAML_TEMPLATE))["total_monthly_usd"] == pytest.approx(hand, abs=0.006)


def test_prices_a_cloud_assembly_without_node(tmp_path: Path) -> None:
    """A hand-made cdk.out: a stack in eu-west-1 with a nested stack, and one in a stage's sub-assembly."""
    out = tmp_path / "cdk.out"
    stage = out / "assembly-Stage"
    stage.mkdir(parents=True)
    network = {
        "Resources": {
            "Address": {"Type": "AWS::EC2::EIP"},
            "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {"SubnetId": "subnet-1"}},
            "Keys": {
                "Type": "AWS::CloudFormation::Stack",
                "Metadata": {"aws:asset:path": "NetworkKeys.nested.template.json"},
            },
        }
    }
    keys = {"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {}}}}
    (out / "Network.template.json").write_text(json.dumps(network))
    (out / "NetworkKeys.nested.template.json").write_text(json.dumps(keys))
    shutil.copy(JSON_TEMPLATE, stage / "StageApp.template.json")
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "Network": {
                        "type": "aws:cloudformation:stack",
                        "environment": "aws://111111111111/eu-west-1",
                        "properties": {"templateFile": "Network.template.json"},
                    },
                    "assembly-Stage": {
                        "type": "cdk:cloud-assembly",
                        "properties": {"directoryName": "assembly-Stage"},
                    },
                }
            }
        )
    )
    (stage / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "StageApp": {
                        "type": "aws:cloudformation:stack",
                        "environment": "aws://111111111111/sa-east-1",
                        "properties": {"templateFile": "StageApp.template.json"},
                    }
                }
            }
        )
    )
    eu, sa = "eu-west-1", "sa-east-1"
    hand_network = (
        rate("vpc.public_ipv4.hour", eu) * H
        + rate("vpc.nat_gateway.hour", eu) * H
        + rate("kms.key_month", eu)
    )
    hand_stage = (
        rate("vpc.public_ipv4.hour", sa) * H
        + rate("vpc.nat_gateway.hour", sa) * H
        + rate("elb.application.hour", sa) * H
        + rate("rds.postgres.db.t4g.micro.single_az.hour", sa) * H
        + 20 * rate("rds.storage.gp3.single_az.gb_month", sa)
    )
    doc = cost(str(out))
    assert [(s["stack"], s["region"]) for s in doc["stacks"]] == [("Network", eu), ("StageApp", sa)]
    assert {i["logical_id"] for i in doc["items"]} >= {"Nat", "Key", "Db"}
    assert doc["total_monthly_usd"] == pytest.approx(hand_network + hand_stage, abs=0.01)


def test_help_runs_without_node() -> None:
    assert "cost" in run_fresh(str(SCRIPT), "--help")


def test_the_cli_and_the_pricer_import_nothing_of_cdk() -> None:
    """Every module of cdk_casemgmt.cost but the construct, and a whole CLI run, in a fresh interpreter."""
    probe = f"""
import contextlib, io, pkgutil, importlib, sys
import cdk_casemgmt, cdk_casemgmt.cli, cdk_casemgmt.cost
for module in pkgutil.walk_packages(cdk_casemgmt.cost.__path__, "cdk_casemgmt.cost."):
    if module.name != "cdk_casemgmt.cost.construct":
        importlib.import_module(module.name)
with contextlib.redirect_stdout(io.StringIO()):
    assert cdk_casemgmt.cli.main(["cost", {str(YAML_TEMPLATE)!r}]) == 0
    assert cdk_casemgmt.cli.main(["cost", {str(JSON_TEMPLATE)!r}, "--json"]) == 0
print(sorted(m for m in sys.modules if m.split(".")[0] in {JSII_MODULES!r}))
"""
    assert run_fresh(sys.executable, "-c", probe).strip() == "[]"


def test_the_probe_would_see_cdk() -> None:
    """The check above can fail: importing the construct does bring in aws-cdk-lib."""
    probe = (
        "import sys, cdk_casemgmt.cost.construct; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({JSII_MODULES!r})))"
    )
    assert run_fresh(sys.executable, "-c", probe, node=True).strip() == str(sorted(JSII_MODULES))
