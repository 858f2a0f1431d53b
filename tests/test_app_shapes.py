"""Every construct in the two apps users start from: ``App()`` with no context at all, and an app with the
feature flags ``cdk init`` writes (``cdk_casemgmt.testing.feature_flags()``, aws-cdk-lib's recommended
flags). Each construct gets its own stack; each app is synthesized once.

In both, a construct must synthesize, leave no warning or error annotation, pass the four packs with
nothing unacknowledged and pass cfn-lint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match
from constructs import Construct

from cdk_casemgmt import (
    CdnFrontend,
    CostEstimate,
    PostgresDatabase,
    PrivateBucket,
    SecureFargateApi,
    SecureVpc,
    ValidationError,
)
from cdk_casemgmt.testing import cfn_lint, compliance_findings, feature_flags, template_of, test_env
from tests._fargate_support import APP_DIR
from tests.conftest import CFN_LINT_CONFIG, ROOT

SITE_DIR = str(ROOT / "tests" / "fixtures" / "site")


def _database(stack: Stack) -> None:
    PostgresDatabase(stack, "Db", vpc=SecureVpc(stack, "Network").vpc)


def _web_and_api(stack: Stack) -> None:
    CdnFrontend(stack, "Web", site_dir=SITE_DIR, api=SecureFargateApi(stack, "Api", image=APP_DIR))


def _cost(stack: Stack) -> None:
    PrivateBucket(stack, "Documents")
    CostEstimate(stack, "Cost")


CONSTRUCTS: dict[str, Callable[[Stack], Any]] = {
    "SecureVpc": lambda stack: SecureVpc(stack, "Network"),
    "PostgresDatabase": _database,
    "SecureFargateApi": lambda stack: SecureFargateApi(stack, "Api", image=APP_DIR),
    "CdnFrontend": lambda stack: CdnFrontend(stack, "Web", site_dir=SITE_DIR),
    "CdnFrontend+SecureFargateApi": _web_and_api,
    "PrivateBucket": lambda stack: PrivateBucket(stack, "Documents"),
    "CostEstimate": _cost,
}
APPS: dict[str, Callable[[], App]] = {
    "no-context": App,
    "cdk-init-flags": lambda: App(context=dict(feature_flags())),
}


class Synthesized:
    def __init__(self, make_app: Callable[[], App]) -> None:
        self.app = make_app()
        self.stacks = {}
        for name, build in CONSTRUCTS.items():
            stack = Stack(self.app, name.replace("+", "And"), env=test_env())
            build(stack)
            self.stacks[name] = stack
        self.app.synth()
        self.templates = {name: template_of(stack) for name, stack in self.stacks.items()}
        self.findings = compliance_findings(self.app)


@pytest.fixture(scope="module")
def synthesized() -> Callable[[str], Synthesized]:
    """The app of each shape, built on first use."""
    built: dict[str, Synthesized] = {}

    def get(app: str) -> Synthesized:
        if app not in built:
            built[app] = Synthesized(APPS[app])
        return built[app]

    return get


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_no_warning_or_error_annotation(
    synthesized: Callable[[str], Synthesized], app: str, construct: str
) -> None:
    annotations = Annotations.from_stack(synthesized(app).stacks[construct])
    found = [
        f"{m.id}: {m.entry.data}"
        for m in [
            *annotations.find_warning("*", Match.any_value()),
            *annotations.find_error("*", Match.any_value()),
        ]
    ]
    assert found == []


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_no_unacknowledged_findings(
    synthesized: Callable[[str], Synthesized], app: str, construct: str
) -> None:
    built = synthesized(app)
    prefix = built.stacks[construct].node.path + "/"
    assert [str(f) for f in built.findings if f.path.startswith(prefix)] == []


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_cfn_lint_is_clean_without_any_context(
    synthesized: Callable[[str], Synthesized], construct: str
) -> None:
    """With cdk init's flags every construct's own test module lints its templates already."""
    assert cfn_lint(synthesized("no-context").templates[construct], config_file=CFN_LINT_CONFIG) == []


def _log_bucket_of_the_users(scope: Construct) -> s3.Bucket:
    return s3.Bucket(
        scope,
        "Logs",
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforce_ssl=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
    )


def test_a_users_acl_less_log_bucket_in_an_app_without_the_flag_gets_a_validation_error() -> None:
    stack = Stack(App(), "Test", env=test_env())
    logs = _log_bucket_of_the_users(stack)
    with pytest.raises(
        ValidationError, match=r"access_log_bucket='Test/Logs': .*LogDeliveryWrite.*Fix: set that flag"
    ):
        PrivateBucket(stack, "Documents", access_log_bucket=logs)


def test_a_users_acl_less_log_bucket_works_with_the_flag() -> None:
    stack = Stack(App(context=dict(feature_flags())), "Test", env=test_env())
    PrivateBucket(stack, "Documents", access_log_bucket=_log_bucket_of_the_users(stack))
    template = template_of(stack)
    policies = [r for r in template["Resources"].values() if r["Type"] == "AWS::S3::BucketPolicy"]
    assert any("logging.s3.amazonaws.com" in str(p) for p in policies)
