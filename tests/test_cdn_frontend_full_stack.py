"""CdnFrontend + SecureFargateApi + PostgresDatabase in eu-west-1: the issue's "done when" stack."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App, Environment, Stack

from cdk_casemgmt.cdn_frontend import CdnFrontend
from cdk_casemgmt.postgres_database import PostgresDatabase
from cdk_casemgmt.secure_fargate_api import ApiIngress, SecureFargateApi
from cdk_casemgmt.testing import cfn_lint, new_test_app, template_of
from tests.conftest import CFN_LINT_CONFIG
from tests.helpers import all_findings

SITE = Path(__file__).parent / "fixtures" / "site"
APP_DIR = Path(__file__).parent / "fixtures" / "app"  # SecureFargateApi's test image


@pytest.fixture(scope="module")
def full() -> tuple[App, Stack, CdnFrontend]:
    app = new_test_app()
    stack = Stack(app, "CaseMgmt", env=Environment(account="111111111111", region="eu-west-1"))
    api = SecureFargateApi(stack, "Api", image=str(APP_DIR))
    api.connect(PostgresDatabase(stack, "Db", vpc=api.vpc))
    cdn = CdnFrontend(stack, "Web", site_dir=SITE, api=api)
    assert api.ingress is ApiIngress.CLOUDFRONT
    return app, stack, cdn


def test_no_unacknowledged_findings(full: tuple[App, Stack, CdnFrontend]) -> None:
    app, _, _ = full
    assert all_findings(app) == []


def test_cfn_lint_clean_in_all_three_stacks(full: tuple[App, Stack, CdnFrontend]) -> None:
    _, stack, cdn = full
    assert cdn.edge_stack is not None and cdn.monitoring_stack is not None
    for s in (stack, cdn.edge_stack, cdn.monitoring_stack):
        assert cfn_lint(s, config_file=CFN_LINT_CONFIG) == [], s.node.path


def test_api_behavior_targets_the_real_load_balancer(full: tuple[App, Stack, CdnFrontend]) -> None:
    _, stack, cdn = full
    template = template_of(stack)
    (vpc_origin,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudFront::VpcOrigin"]
    assert cdn.vpc_origin is not None
    assert vpc_origin["Properties"]["VpcOriginEndpointConfig"]["OriginProtocolPolicy"] == "http-only"
