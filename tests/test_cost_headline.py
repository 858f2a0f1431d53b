"""The estimate's headline says what the total leaves out, where it is read first.

A total that silently excludes a resource reads as the whole price: the text table's first lines (printed
at synth and by the CLI) and the Markdown report's total say "+ N resources not priced", not only the
appendix at the end.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from cdk_casemgmt.cli import main
from cdk_casemgmt.cost import estimate_template, load_prices

US = load_prices("us-east-1")
KEY_USD = US.prices["kms.key_month"].usd  # the one priced resource below: a customer-managed key


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
