"""Every shipped region prices everything our constructs create at default props.

One app holds every construct at default props (SecureVpc, PostgresDatabase and PrivateBucket in one
stack, SecureFargateApi with a database in another) and the README's quick start (its stack is in
eu-west-1, so CloudFront's web ACL and alarms live in us-east-1 siblings); the quickstart example is the
second app. Each app is synthesized once. Each stack's template is then priced in every region that has
a price file, under every usage profile: a rate missing from one region's file shows up here as an
unpriced line before a user meets it. Where a low-confidence (e.g. derived) rate is used, the estimate
must say so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack

from cdk_casemgmt.cdn_frontend import CdnFrontend
from cdk_casemgmt.cost import PROFILES, available_regions, estimate_assembly, estimate_template, load_prices
from cdk_casemgmt.network import SecureVpc
from cdk_casemgmt.postgres_database import PostgresDatabase
from cdk_casemgmt.private_bucket import PrivateBucket
from cdk_casemgmt.secure_fargate_api import SecureFargateApi
from cdk_casemgmt.testing import new_test_app, new_test_stack, template_of
from tests.conftest import ROOT
from tests.helpers import cdk_json_context, load_module

SITE = Path(__file__).parent / "fixtures" / "site"
APP_DIR = Path(__file__).parent / "fixtures" / "app"  # SecureFargateApi's test image
QUICKSTART = ROOT / "examples" / "quickstart" / "app.py"
REGIONS = available_regions()
LOW = ("unverified", "low", "medium-low")  # the levels the estimate must flag
LOW_NOTE = "low-confidence price rows used: "
LOW_MARK = "* uses a low-confidence price row"


class Apps:
    def __init__(self, quickstart_outdir: Path) -> None:
        self.ours = new_test_app()
        stacks = self._construct_stacks(self.ours)
        quickstart = App(context=cdk_json_context(QUICKSTART.parent), outdir=str(quickstart_outdir))
        stacks.append(load_module("quickstart_app", QUICKSTART).build(quickstart))
        self.templates: dict[str, dict[str, Any]] = {s.stack_name: template_of(s) for s in stacks}

    @staticmethod
    def _construct_stacks(app: App) -> list[Stack]:
        data = new_test_stack(app, "Data")
        PostgresDatabase(data, "Db", vpc=SecureVpc(data, "Net").vpc)
        PrivateBucket(data, "Docs")

        api = new_test_stack(app, "Api")  # private ingress: the default with an image alone
        service = SecureFargateApi(api, "Api", image=str(APP_DIR))
        service.connect(PostgresDatabase(api, "Db", vpc=service.vpc))

        # The README's quick start, region included.
        readme = Stack(app, "CaseMgmt", env=Environment(account="111111111111", region="eu-west-1"))
        readme_api = SecureFargateApi(readme, "Api", image=str(APP_DIR))
        readme_api.connect(PostgresDatabase(readme, "Db", vpc=readme_api.vpc))
        cdn = CdnFrontend(readme, "Web", site_dir=SITE, api=readme_api)
        assert cdn.edge_stack is not None and cdn.monitoring_stack is not None
        return [data, api, readme, cdn.edge_stack, cdn.monitoring_stack]


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Apps:
    return Apps(tmp_path_factory.mktemp("quickstart"))


def test_the_apps_hold_what_each_construct_creates(apps: Apps) -> None:
    types = {r["Type"] for t in apps.templates.values() for r in t["Resources"].values()}
    assert {
        "AWS::EC2::NatGateway",
        "AWS::EC2::VPCEndpoint",
        "AWS::RDS::DBInstance",
        "AWS::Backup::BackupPlan",
        "AWS::ECS::Service",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::CloudFront::Distribution",
        "AWS::WAFv2::WebACL",
        "AWS::CloudWatch::Alarm",
        "AWS::S3::Bucket",
        "AWS::KMS::Key",
        "AWS::SecretsManager::Secret",
        "AWS::Logs::LogGroup",
    } <= types
    assert set(apps.templates) == {
        "Data",
        "Api",
        "CaseMgmt",
        "CaseMgmtWebEdge",
        "CaseMgmtWebAlarms",
        "CaseMgmtQuickstart",
    }


@pytest.mark.parametrize("region", REGIONS)
def test_region_prices_every_resource_our_constructs_create(apps: Apps, region: str) -> None:
    unpriced: dict[str, set[str]] = {}  # reason -> the stack/logical IDs it hit
    for name, template in apps.templates.items():
        for profile in PROFILES:
            estimate = estimate_template(template, region=region, usage=profile, stack=name)
            for u in estimate.unpriced:
                unpriced.setdefault(u.reason, set()).add(f"{u.stack}/{u.logical_id}")
    assert sorted(unpriced) == [], unpriced


@pytest.mark.parametrize("region", REGIONS)
def test_a_low_confidence_rate_is_always_announced(apps: Apps, region: str) -> None:
    book = load_prices(region)
    for name, template in apps.templates.items():
        for profile in PROFILES:
            estimate = estimate_template(template, region=region, usage=profile, stack=name)
            used = {k for i in estimate.items for c in i.components for k in c.price_keys}
            low = sorted(k for k in used if book.prices[k].confidence in LOW)
            notes = [n for n in estimate.notes if n.startswith(LOW_NOTE)]
            table = estimate.to_table()
            if low:
                assert notes == [LOW_NOTE + ", ".join(low)], (name, profile)
                assert LOW_MARK in table, (name, profile)
                assert {i.confidence for i in estimate.low_confidence_items} <= set(LOW)
            else:
                assert notes == [] and LOW_MARK not in table, (name, profile)


def test_the_readme_quick_start_prices_whole_with_each_stack_in_its_region(apps: Apps) -> None:
    directory = apps.ours.synth().directory  # synthesized once already: the cached assembly
    estimate = estimate_assembly(directory, usage="fixed")
    regions = {s.stack: s.region for s in estimate.stacks}
    assert regions["CaseMgmt"] == "eu-west-1"
    assert regions["CaseMgmtWebEdge"] == regions["CaseMgmtWebAlarms"] == "us-east-1"
    assert [(u.stack, u.logical_id, u.reason) for u in estimate.unpriced] == []
    assert "not priced" not in estimate.headline
