"""Implementation of cdk_casemgmt.testing (imported lazily: see the package docstring)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Stack, Stage
from aws_cdk.assertions import Template

from cdk_casemgmt.compliance import Finding
from cdk_casemgmt.testing._masking import mask_hashes

TEST_ACCOUNT: str = "111111111111"
"""The account of ``test_env()``, a fixed dummy so templates do not depend on credentials."""
TEST_REGION: str = "us-east-1"
"""The region of ``test_env()`` and ``new_test_stack()`` unless one is given."""

STATEFUL_RESOURCE_TYPES: frozenset[str] = frozenset(
    {
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::RDS::DBProxy",
        "AWS::RDS::DBSubnetGroup",
        "AWS::RDS::DBParameterGroup",
        "AWS::RDS::DBClusterParameterGroup",
        "AWS::KMS::Key",
        "AWS::SecretsManager::Secret",
        "AWS::S3::Bucket",
        "AWS::Logs::LogGroup",
        "AWS::EC2::VPC",
        "AWS::ECS::Cluster",
        "AWS::ECS::Service",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "AWS::CloudFront::Distribution",
        "AWS::SNS::Topic",
        "AWS::Backup::BackupVault",
        "AWS::ECR::Repository",
        "AWS::Cognito::UserPool",
    }
)
"""Resource types whose replacement loses data or traffic: their logical IDs are public API."""


def test_env(region: str = TEST_REGION, account: str = TEST_ACCOUNT) -> Environment:
    """A fixed environment so templates do not depend on the machine's credentials."""
    return Environment(account=account, region=region)


test_env.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name


@cache
def feature_flags() -> Mapping[str, Any]:
    """The feature flags aws-cdk-lib 2.275 recommends for new projects (what ``cdk init`` writes)."""
    text = resources.files("cdk_casemgmt.testing").joinpath("feature_flags.json").read_text()
    flags: dict[str, Any] = json.loads(text)
    return flags


def new_test_app(*, strict_validation: bool = True, context: Mapping[str, Any] | None = None) -> App:
    """An ``App`` with pinned feature flags, so templates match across machines and CDK releases.

    :param strict_validation: make aws-cdk-lib's own default validation rules fail the synth
        (``@aws-cdk/core:validateAgainstDefaultRules``); CloudFormation-validate *warnings* still only
        reach the report: assert on them with
        [`synth_findings`][cdk_casemgmt.testing.synth_findings]. :default: True
    :param context: extra context, applied over the flags. :default: - none
    """
    ctx: dict[str, Any] = dict(feature_flags())
    ctx["@aws-cdk/core:validateAgainstDefaultRules"] = strict_validation
    ctx.update(context or {})
    return App(context=ctx)


def new_test_stack(app: App | None = None, id: str = "Test", *, region: str = TEST_REGION) -> Stack:
    """A stack in the fixed test environment (account 111111111111)."""
    return Stack(app or new_test_app(), id, env=test_env(region))


def synth_findings(app: Stage) -> list[Finding]:
    """Findings of the validation plugins that ran at synth: aws-cdk-lib's own CloudFormation
    validation (warnings included) and any plugin registered on the app, such as the cdk-nag packs.

    The app is synthesized once (aws-cdk-lib caches the assembly); acknowledged findings are not in
    the report.
    """
    directory = Path(app.synth().directory)
    report_file = directory / "validation-report.json"
    if not report_file.exists():
        return []
    report = json.loads(report_file.read_text())
    found = {
        Finding(
            f"{plugin['pluginName']}::{violation['ruleName']}",
            construct["constructPath"],
            violation["description"],
        )
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    }
    return sorted(found)


def template_of(stack: Stack) -> dict[str, Any]:
    """The synthesized template of ``stack`` as a dict (synthesizes the app once, then cached)."""
    try:
        rendered: dict[str, Any] = dict(Template.from_stack(stack).to_json())
    except RuntimeError as err:
        if "ValidationFailed" in str(err):
            # The findings themselves were printed on stderr by the validation plugins.
            raise AssertionError(
                f"synth of {stack.node.path} failed validation (findings printed above): {err}"
            ) from None
        raise
    return rendered


def masked_template(stack_or_template: Stack | Mapping[str, Any]) -> dict[str, Any]:
    """The template with asset hashes replaced by ``[HASH]`` so snapshots survive asset changes."""
    template = template_of(stack_or_template) if isinstance(stack_or_template, Stack) else stack_or_template
    masked: dict[str, Any] = mask_hashes(dict(template))
    return masked


def logical_ids(
    stack_or_template: Stack | Mapping[str, Any], types: Iterable[str] = STATEFUL_RESOURCE_TYPES
) -> dict[str, str]:
    """Map logical ID -> resource type for the resources of the given types (default: stateful ones)."""
    template = template_of(stack_or_template) if isinstance(stack_or_template, Stack) else stack_or_template
    wanted = set(types)
    return {
        logical_id: resource["Type"]
        for logical_id, resource in sorted(template.get("Resources", {}).items())
        if resource["Type"] in wanted
    }


def cfn_lint(
    stack_or_template: Stack | Mapping[str, Any],
    *,
    regions: Iterable[str] | None = None,
    ignore_checks: Iterable[str] = (),
    config_file: str | Path | None = None,
) -> list[str]:
    """Run cfn-lint on a synthesized template; return its matches as ``"RULE path: message"`` lines.

    :param regions: regions to lint for. :default: - the stack's region, else us-east-1
    :param ignore_checks: rule ids to ignore (keep each with its reason in your config file)
    :param config_file: a ``.cfnlintrc`` YAML file whose ``ignore_checks`` are added. :default: - none
    """
    from cfnlint.api import ManualArgs, lint

    if isinstance(stack_or_template, Stack):
        template = template_of(stack_or_template)
        region = stack_or_template.region
        default_regions = [region] if not _is_token(region) else [TEST_REGION]
    else:
        template = dict(stack_or_template)
        default_regions = [TEST_REGION]
    ignored = list(ignore_checks)
    if config_file is not None:
        ignored += _ignored_in(Path(config_file))
    args = ManualArgs(regions=list(regions or default_regions), ignore_checks=ignored)
    matches = lint(json.dumps(template), config=args)
    return sorted(
        f"{m.rule.id} {'/'.join(str(p) for p in m.path)}: {m.message}"
        for m in matches  # paths name the resource and property
    )


def _ignored_in(config_file: Path) -> list[str]:
    import yaml  # cfn-lint depends on PyYAML

    data = yaml.safe_load(config_file.read_text()) or {}
    return [str(rule) for rule in data.get("ignore_checks", [])]


def _is_token(value: str) -> bool:
    return "${Token[" in value
