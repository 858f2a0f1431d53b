"""CostEstimate on a stack of our own three constructs (us-east-1): output, budget, report, compliance.

Also proves the pricer covers what SecureFargateApi, PostgresDatabase and CdnFrontend deploy:
nothing in that stack is left unpriced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnResource, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from cdk_casemgmt.cdn_frontend import CdnFrontend
from cdk_casemgmt.cost import CostEstimate, Estimate, load_prices
from cdk_casemgmt.errors import ValidationError
from cdk_casemgmt.postgres_database import PostgresDatabase
from cdk_casemgmt.secure_fargate_api import SecureFargateApi
from cdk_casemgmt.testing import (
    assert_monthly_cost_below,
    cfn_lint,
    cost_estimate_of,
    feature_flags,
    new_test_app,
    new_test_stack,
    template_of,
)
from tests.conftest import CFN_LINT_CONFIG
from tests.helpers import all_findings

SITE = Path(__file__).parent / "fixtures" / "site"
APP_DIR = Path(__file__).parent / "fixtures" / "app"
P = load_prices("us-east-1").prices
H = 730


class Built:
    def __init__(self) -> None:
        self.app = new_test_app()
        self.stack = new_test_stack(self.app, "CaseMgmt")
        api = SecureFargateApi(self.stack, "Api", image=str(APP_DIR))
        api.connect(PostgresDatabase(self.stack, "Db", vpc=api.vpc))
        CdnFrontend(self.stack, "Web", site_dir=SITE, api=api)
        key = kms.Key(self.stack, "AlertsKey", enable_key_rotation=True)
        self.topic = sns.Topic(self.stack, "Alerts", master_key=key, enforce_ssl=True)
        # A topic an alarm can notify: CloudWatch may publish to it and use its key (DeployReadinessChecks).
        cloudwatch_principal = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        key.grant(cloudwatch_principal, "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic.grant_publish(cloudwatch_principal)
        # An escape hatch that changes a price: the L1 says a 5-minute alarm, the template a 10 s one.
        probe = cloudwatch.Alarm(
            self.stack,
            "ProbeAlarm",
            metric=cloudwatch.Metric(namespace="Probe", metric_name="Probe", period=Duration.minutes(5)),
            threshold=1,
            evaluation_periods=1,
        )
        probe.add_alarm_action(actions.SnsAction(self.topic))
        probe.node.default_child.add_property_override("Period", 10)
        self.cost = CostEstimate(
            self.stack,
            "Cost",
            usage="fixed",
            output=True,
            budget_emails=["ops@example.com"],
            budget_topic=self.topic,
            print_table=False,
        )
        self.template = template_of(self.stack)


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


@pytest.fixture(scope="module")
def final(built: Built) -> Estimate:
    assert built.cost.last_estimate is not None
    return built.cost.last_estimate


def resources_of(template: dict[str, Any], rtype: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == rtype}


def test_our_constructs_are_priced_completely(final: Estimate) -> None:
    assert [(u.logical_id, u.type, u.reason) for u in final.unpriced] == []
    types = {i.type for i in final.items}
    assert {
        "AWS::ECS::Service",
        "AWS::RDS::DBInstance",
        "AWS::EC2::NatGateway",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::WAFv2::WebACL",
        "AWS::KMS::Key",
        "AWS::CloudFront::Distribution",
    } <= types


def test_output_carries_the_estimate_from_construct_properties(built: Built) -> None:
    output = built.template["Outputs"]["MonthlyCostEstimateUsd"]
    lazy = built.cost.estimate_from_construct_properties().total_monthly_usd
    assert output["Value"] == f"{lazy:.2f}"


def test_report_sees_the_override_and_says_the_output_could_not(built: Built, final: Estimate) -> None:
    lazy = built.cost.estimate_from_construct_properties()
    high, standard = (
        P[f"cloudwatch.alarm.{k}"].usd for k in ("high_resolution_metric_month", "standard_metric_month")
    )
    assert final.total_monthly_usd - lazy.total_monthly_usd == pytest.approx(high - standard)
    assert any("raw overrides are invisible to Lazy values" in n for n in final.notes)


def test_budget_limit_is_the_estimate_plus_margin_alerting_email_and_topic(built: Built) -> None:
    (budget,) = resources_of(built.template, "AWS::Budgets::Budget").values()
    data = budget["Properties"]["Budget"]
    lazy = built.cost.estimate_from_construct_properties().total_monthly_usd
    assert data["BudgetLimit"] == {"Amount": pytest.approx(lazy * 1.2, abs=0.011), "Unit": "USD"}
    assert data["BudgetType"] == "COST" and data["TimeUnit"] == "MONTHLY"
    assert data["CostFilters"] == {"TagKeyValue": ["aws:cloudformation:stack-name$CaseMgmt"]}
    (notification,) = budget["Properties"]["NotificationsWithSubscribers"]
    assert notification["Notification"] == {
        "ComparisonOperator": "GREATER_THAN",
        "NotificationType": "ACTUAL",
        "Threshold": 100,
        "ThresholdType": "PERCENTAGE",
    }
    kinds = {s["SubscriptionType"]: s["Address"] for s in notification["Subscribers"]}
    assert kinds["EMAIL"] == "ops@example.com"
    assert kinds["SNS"] == {"Ref": built.stack.resolve(built.topic.node.default_child.logical_id)}


def test_budgets_may_publish_to_the_topic(built: Built) -> None:
    policies = resources_of(built.template, "AWS::SNS::TopicPolicy").values()
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    (allow,) = [s for s in statements if s.get("Sid") == "AllowAwsBudgetsToPublish"]
    assert allow["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}


def test_cost_estimate_adds_no_compliance_or_validation_finding(built: Built) -> None:
    assert all_findings(built.app, compliance_under=built.stack) == []


def test_cfn_lint_clean(built: Built) -> None:
    assert cfn_lint(built.stack, config_file=CFN_LINT_CONFIG) == []


def test_assert_monthly_cost_below(built: Built, final: Estimate) -> None:
    estimate = assert_monthly_cost_below(built.stack, 300, usage="fixed")
    assert estimate.total_monthly_usd == pytest.approx(final.total_monthly_usd)
    with pytest.raises(AssertionError, match=r"CaseMgmt costs \$\d+\.\d\d/month, not below \$100\.00"):
        assert_monthly_cost_below(built.stack, 100, usage="fixed")
    typical = cost_estimate_of(built.stack)  # usage defaults to "typical"
    assert typical.usage.name == "typical" and typical.total_monthly_usd > final.total_monthly_usd


def test_assert_monthly_cost_below_refuses_unpriced_resources() -> None:
    stack = new_test_stack()
    CfnResource(
        stack,
        "Box",
        type="AWS::Lightsail::Bucket",
        properties={"BucketName": "cost-test-bucket", "BundleId": "small_1_0"},
    )
    with pytest.raises(AssertionError, match=r"AWS::Lightsail::Bucket: no pricing rule"):
        assert_monthly_cost_below(stack, 10)
    assert assert_monthly_cost_below(stack, 10, allow_unpriced=True).unpriced


# -- validation: one test per error path --------------------------------------------------------------


def _stack(region: str | None = "us-east-1") -> Stack:
    app = new_test_app()
    return Stack(app, "S") if region is None else new_test_stack(app, "S", region=region)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: CostEstimate(_stack(), "C", usage="busy"), "usage='busy': unknown usage profile"),
        (lambda: CostEstimate(_stack(), "C", region="ap-south-7"), "region='ap-south-7': no price file"),
        (lambda: CostEstimate(_stack(None), "C"), "region=None: the stack is environment-agnostic"),
        (lambda: CostEstimate(_stack("ap-northeast-3"), "C"), "region='ap-northeast-3': the stack's region"),
        (lambda: CostEstimate(new_test_app(), "C", output=True), "outputs and budgets need a Stack scope"),
        (lambda: CostEstimate(_stack(), "C", budget_emails=["ops"]), "budget_emails=['ops']: not e-mail"),
        (
            lambda: CostEstimate(_stack(), "C", budget_emails="a@b.c"),
            "budget_emails='a@b.c': a single string",
        ),
        (
            lambda: CostEstimate(_stack(), "C", budget_emails=[f"u{i}@example.com" for i in range(11)]),
            "budget_emails=11: AWS Budgets allows 10",
        ),
        (lambda: CostEstimate(_stack(), "C", budget_margin_percent=-5), "budget_margin_percent=-5: must be"),
    ],
    ids=[
        "usage",
        "region",
        "env-agnostic",
        "region-without-prices",
        "output-on-app",
        "email",
        "email-str",
        "too-many-emails",
        "margin",
    ],
)
def test_invalid_props_raise(make: Any, expected: str) -> None:
    with pytest.raises(ValidationError) as err:
        make()
    assert expected in str(err.value)


def test_scope_must_be_a_stack_or_stage() -> None:
    stack = _stack()
    inner = kms.Key(stack, "K")
    with pytest.raises(ValidationError, match="CostEstimate prices a Stack, an App or a Stage"):
        CostEstimate(inner, "C")


def test_unknown_region_error_names_the_available_regions() -> None:
    with pytest.raises(ValidationError) as err:
        CostEstimate(_stack(), "C", region="ap-south-7")
    for region in ("us-east-1", "eu-west-1", "sa-east-1"):
        assert region in str(err.value)


def test_app_scope_prices_each_stack_in_its_region(tmp_path: Path) -> None:
    app = App(
        outdir=str(tmp_path), context=dict(new_test_app().node.try_get_context("@aws-cdk/core:x") or {})
    )
    for name, region in (("Us", "us-east-1"), ("Eu", "eu-west-1")):
        stack = new_test_stack(app, name, region=region)
        kms.Key(stack, "K", enable_key_rotation=True)
        sns.Topic(stack, "T")  # no charge by itself
    cost = CostEstimate(app, "Cost", usage="fixed", print_table=False)
    app.synth()
    assert cost.last_estimate is not None
    assert {(s.stack, s.region) for s in cost.last_estimate.stacks} == {
        ("Us", "us-east-1"),
        ("Eu", "eu-west-1"),
    }
    assert cost.last_estimate.total_monthly_usd == pytest.approx(2 * P["kms.key_month"].usd)
    assert (tmp_path / "cost-estimate.json").exists() and (tmp_path / "cost-estimate.md").exists()


def test_the_table_is_printed_at_synth(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path), context=dict(feature_flags()))
    stack = new_test_stack(app, "Printed")
    kms.Key(stack, "K", enable_key_rotation=True)
    CostEstimate(stack, "Cost", usage="fixed")
    app.synth()
    err = capsys.readouterr().err
    assert (
        "Monthly cost estimate" in err
        and "Printed/K" in err
        and "1 customer-managed key × $1/key-month" in err
    )


def test_a_pricing_failure_at_synth_is_reported_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cdk_casemgmt.cost.engine import Accumulator

    def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyError("boom")

    app = App(outdir=str(tmp_path), context=dict(feature_flags()))
    stack = new_test_stack(app, "Broken")
    kms.Key(stack, "K", enable_key_rotation=True)
    CostEstimate(stack, "Cost", print_table=False)
    monkeypatch.setattr(Accumulator, "add_stack", broken)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = (tmp_path / "validation-report.json").read_text()
    assert "CostEstimate could not price the templates: KeyError" in report
