"""``cdk-casemgmt cost`` on templates written by hand (no CDK involved)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from cdk_casemgmt.cli import main
from cdk_casemgmt.cost import load_prices

HERE = Path(__file__).parent / "fixtures" / "cost"
JSON_TEMPLATE = HERE / "hand-written.json"
YAML_TEMPLATE = HERE / "hand-written.yaml"
H = 730


def rate(key: str, region: str = "us-east-1") -> float:
    return load_prices(region).prices[key].usd


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["cost", *argv])
    return code, out.getvalue(), err.getvalue()


HAND_FIXED = (
    rate("vpc.public_ipv4.hour") * H
    + rate("vpc.nat_gateway.hour") * H
    + rate("elb.application.hour") * H
    + rate("rds.postgres.db.t4g.micro.single_az.hour") * H
    + 20 * rate("rds.storage.gp3.single_az.gb_month")
)


def test_prices_a_hand_written_json_template() -> None:
    code, out, _ = run(str(JSON_TEMPLATE), "--json", "--usage", "fixed")
    assert code == 0
    doc = json.loads(out)
    assert doc["currency"] == "USD"
    assert doc["prices_as_of"] == load_prices("us-east-1").prices_as_of
    assert doc["total_monthly_usd"] == pytest.approx(HAND_FIXED, abs=0.006)
    by_id = {i["logical_id"]: i for i in doc["items"]}
    assert set(by_id) == {"NatAddress", "Nat", "Alb", "Db"}
    for item in doc["items"]:
        assert set(item) >= {"stack", "logical_id", "type", "monthly_usd", "basis"}
    assert doc["unpriced"] == [
        {
            "stack": "hand-written",
            "logical_id": "Search",
            "type": "AWS::OpenSearchService::Domain",
            "reason": "no pricing rule for this resource type",
        }
    ]
    assert any("priced in us-east-1" in n for n in doc["notes"])


def test_region_and_usage_numbers_from_the_command_line() -> None:
    code, out, _ = run(
        str(JSON_TEMPLATE), "--json", "--usage", "fixed", "--region", "eu-west-1", "--set", "nat_gb=100"
    )
    assert code == 0
    nat = next(i for i in json.loads(out)["items"] if i["logical_id"] == "Nat")
    hand = rate("vpc.nat_gateway.hour", "eu-west-1") * H + 100 * rate("vpc.nat_gateway.gb", "eu-west-1")
    assert nat["monthly_usd"] == round(hand, 2)


def test_usage_from_a_json_file(tmp_path: Path) -> None:
    usage = tmp_path / "usage.json"
    usage.write_text(json.dumps({"base": "fixed", "nat_gb": 10}))
    code, out, _ = run(str(JSON_TEMPLATE), "--json", "--usage", str(usage))
    assert code == 0
    assert json.loads(out)["total_monthly_usd"] == pytest.approx(
        HAND_FIXED + 10 * rate("vpc.nat_gateway.gb"), abs=0.006
    )


def test_prices_a_yaml_template_with_short_form_tags() -> None:
    code, out, _ = run(str(YAML_TEMPLATE), "--usage", "fixed")
    assert code == 0
    total = 2 * rate("vpc.public_ipv4.hour") * H + rate("vpc.nat_gateway.hour") * H
    assert f"{total:.2f}" in out and "NatAddress" in out and "SpareAddress" in out


def test_compare_shows_the_per_resource_difference() -> None:
    code, out, _ = run("--compare", str(JSON_TEMPLATE), str(YAML_TEMPLATE), "--usage", "fixed", "--json")
    assert code == 0
    diff = json.loads(out)
    changes = {(c["logical_id"], c["change"]) for c in diff["changes"]}
    # Both files are named hand-written: NAT gateway and its address match and are unchanged.
    assert changes == {("Alb", "removed"), ("Db", "removed"), ("SpareAddress", "added")}
    assert diff["delta_usd"] == pytest.approx(
        diff["b_total_monthly_usd"] - diff["a_total_monthly_usd"], abs=0.01
    )
    assert diff["unpriced_only_in_a"] == [
        ["hand-written", "Search", "no pricing rule for this resource type"]
    ]
    code, table, _ = run("--compare", str(JSON_TEMPLATE), str(JSON_TEMPLATE), "--usage", "fixed")
    assert code == 0 and "+0.00" in table


def test_unknown_region_fails_naming_the_available_ones() -> None:
    code, _, err = run(str(JSON_TEMPLATE), "--region", "ap-south-7")
    assert code == 2
    assert "region='ap-south-7'" in err and "us-east-1, eu-west-1, sa-east-1" in err.replace(
        "eu-west-1, sa-east-1, us-east-1", "us-east-1, eu-west-1, sa-east-1"
    )


def test_unknown_usage_and_missing_path_fail() -> None:
    code, _, err = run(str(JSON_TEMPLATE), "--usage", "busy")
    assert code == 2 and "usage='busy'" in err
    code, _, err = run(str(HERE / "missing.json"))
    assert code == 2 and "no such file" in err
    code, _, err = run(str(JSON_TEMPLATE), "--set", "nat_gb")
    assert code == 2 and "NAME=NUMBER" in err


@pytest.mark.slow
def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "cdk-casemgmt"
    result = subprocess.run(
        [str(script), "cost", str(JSON_TEMPLATE), "--usage", "fixed"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    total = next(line for line in result.stdout.splitlines() if line.startswith("Total"))
    assert float(total.split()[-1]) == pytest.approx(HAND_FIXED, abs=0.006)
