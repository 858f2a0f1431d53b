"""The estimate's headline says what the total leaves out, where it is read first.

A total that silently excludes a resource reads as the whole price: the text table's first lines, the
Markdown report's total, the CLI's output and the CostEstimate output's description all say
"+ N resources not priced", not only the appendix at the end.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_efs as efs
from aws_cdk import aws_kms as kms

from cdk_casemgmt.cli import main
from cdk_casemgmt.cost import CostEstimate, estimate_template, load_prices
from cdk_casemgmt.testing import new_test_app, new_test_stack, template_of

US = load_prices("us-east-1")
KEY_USD = US.prices["kms.key_month"].usd  # the one priced resource below: a customer-managed key
DESCRIPTION = "Estimated monthly cost in USD (cdk-casemgmt, usage 'fixed')"


def res(type_: str, **props: Any) -> dict[str, Any]:
    return {"Type": type_, "Properties": props}


# A key (priced) and an EFS file system (the pricer has no rule for EFS: unpriceable).
WITH_GAP = {"Resources": {"Key": res("AWS::KMS::Key"), "Files": res("AWS::EFS::FileSystem")}}


def test_headline_says_a_resource_is_not_priced() -> None:
    est = estimate_template(WITH_GAP, usage="fixed")
    assert [u.logical_id for u in est.unpriced] == ["Files"]
    assert est.headline == f"${KEY_USD:.2f}/month + 1 resource not priced (see below)"


def test_table_and_report_lead_with_the_headline() -> None:
    est = estimate_template(WITH_GAP, usage="fixed")
    title, headline = est.to_table().splitlines()[:2]
    assert title.startswith("Monthly cost estimate")
    assert headline == f"Estimated total: ${KEY_USD:.2f}/month + 1 resource not priced (see below)"
    assert f"**Total: ${KEY_USD:.2f}/month + 1 resource not priced (see below)**" in est.to_markdown()
    assert "NOT PRICED (1)" in est.to_table()  # the appendix still lists it


def test_headline_counts_resources_and_parts() -> None:
    # Without the HTTPS request rate, a distribution is priced only in part (data out, not requests).
    book = dataclasses.replace(
        US, prices={k: v for k, v in US.prices.items() if k != "cloudfront.us.https_10k"}
    )
    template = {
        "Resources": {
            "FilesA": res("AWS::EFS::FileSystem"),
            "FilesB": res("AWS::EFS::FileSystem"),
            "Cdn": res("AWS::CloudFront::Distribution", DistributionConfig={}),
        }
    }
    est = estimate_template(template, usage="typical", prices=book)
    assert est.unpriced_summary == "2 resources not priced and 1 resource priced only in part"
    assert est.headline.endswith("+ 2 resources not priced and 1 resource priced only in part (see below)")


def test_headline_is_the_bare_total_when_everything_is_priced() -> None:
    est = estimate_template({"Resources": {"Key": res("AWS::KMS::Key")}}, usage="fixed")
    assert est.unpriced_summary == ""
    assert est.headline == f"${KEY_USD:.2f}/month"
    assert est.to_table().splitlines()[1] == f"Estimated total: ${KEY_USD:.2f}/month"


def test_cli_prints_the_headline_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(WITH_GAP))
    assert main(["cost", str(path), "--usage", "fixed"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"Estimated total: ${KEY_USD:.2f}/month + 1 resource not priced (see below)"


@pytest.fixture(scope="module")
def outputs() -> dict[str, dict[str, Any]]:
    """The MonthlyCostEstimateUsd output of a stack with an unpriceable resource and of one without."""
    app = new_test_app()
    stacks = {}
    for name, with_gap in (("Gap", True), ("Whole", False)):
        stack = new_test_stack(app, name)
        kms.Key(stack, "Key", enable_key_rotation=True)
        if with_gap:
            efs.CfnFileSystem(stack, "Files", encrypted=True)
        CostEstimate(stack, "Cost", usage="fixed", output=True, print_table=False, write_report=False)
        stacks[name] = stack
    return {name: template_of(stack)["Outputs"]["MonthlyCostEstimateUsd"] for name, stack in stacks.items()}


def test_output_description_says_what_the_value_leaves_out(outputs: dict[str, dict[str, Any]]) -> None:
    assert outputs["Gap"]["Value"] == f"{KEY_USD:.2f}"
    assert outputs["Gap"]["Description"] == f"{DESCRIPTION} + 1 resource not priced (see cost-estimate.md)"


def test_output_description_is_unchanged_when_everything_is_priced(
    outputs: dict[str, dict[str, Any]],
) -> None:
    assert outputs["Whole"]["Value"] == f"{KEY_USD:.2f}"
    assert outputs["Whole"]["Description"] == DESCRIPTION
