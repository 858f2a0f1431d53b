"""SecureFargateApi with only an image, and with a database, in each ingress mode: 0 unacknowledged
findings in the four packs, none from aws-cdk-lib's CloudFormation validation, cfn-lint clean;
snapshots of the three modes; the logical IDs of traffic-carrying resources are frozen."""

from __future__ import annotations

import pytest

from cdk_casemgmt.secure_fargate_api import ApiIngress
from cdk_casemgmt.testing import cfn_lint, compliance_findings, logical_ids, masked_template, synth_findings
from tests._fargate_support import Built, build
from tests.conftest import CFN_LINT_CONFIG

CONFIGS = [(mode, db) for mode in ApiIngress for db in (False, True)]
IDS = [f"{mode.value}{'-db' if db else ''}" for mode, db in CONFIGS]


@pytest.fixture(scope="module", params=CONFIGS, ids=IDS)
def built(request: pytest.FixtureRequest) -> Built:
    mode, db = request.param
    return build(mode, database=db)


def test_no_unacknowledged_findings_in_four_packs(built: Built) -> None:
    assert compliance_findings(built.stack) == []


def test_no_cloudformation_validation_findings(built: Built) -> None:
    assert built.template["Resources"]  # synthesized
    assert synth_findings(built.app) == []


def test_cfn_lint_clean(built: Built) -> None:
    assert cfn_lint(built.stack, config_file=CFN_LINT_CONFIG) == []


@pytest.mark.parametrize("mode", list(ApiIngress), ids=[m.value for m in ApiIngress])
def test_snapshot(mode: ApiIngress, cdk_snapshot: object) -> None:
    assert masked_template(build(mode).stack) == cdk_snapshot


FROZEN = {
    "ApiServiceD5B4A50A": "AWS::ECS::Service",
    "ApiTargetGroup54BFE075": "AWS::ElasticLoadBalancingV2::TargetGroup",
    "ApiLoadBalancer9F78B8A1": "AWS::ElasticLoadBalancingV2::LoadBalancer",
}


def test_logical_ids_of_traffic_resources_are_frozen(built: Built) -> None:
    """Renaming these replaces the service, target group or load balancer: an outage."""
    found = logical_ids(built.template, types=set(FROZEN.values()))
    assert found == FROZEN
