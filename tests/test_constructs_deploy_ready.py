"""What our constructs must get right for AWS to run them as deployed (issue 11's defects 1, 2 and 6), at
default props, and DeployReadinessChecks finding nothing on them for the rules those defects gave.

One app holds every configuration, synthesized once: SecureFargateApi alone, SecureFargateApi behind a
CdnFrontend, PostgresDatabase, and CdnFrontend in us-east-1 and in eu-west-1 (whose alarms go to a
us-east-1 sibling stack).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Environment, Stack
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_casemgmt import (
    CdnFrontend,
    DeployReadinessChecks,
    PostgresDatabase,
    SecureFargateApi,
    acknowledgements,
)
from cdk_casemgmt.testing import new_test_app, new_test_stack, template_of
from tests.helpers import egress_vpc, resources_of

SITE = Path(__file__).parent / "fixtures" / "site"
APP_DIR = str(Path(__file__).parent / "fixtures" / "app")
ACCOUNT = "111111111111"

# The rules issue 11's defects 1-6 gave; the others belong to other fixes.
FIXED_RULES = (
    "AlarmTopicPolicy",
    "AlarmTopicKey",
    "CloudFrontMetricRegion",
    "WAFSourceIPBehindCloudFront",
    "WAFBodySizeRestriction",
    "WAFLogRedaction",
    "RetainedNamedResource",
)


class Built:
    def __init__(self) -> None:
        self.app = new_test_app()
        api_stack = new_test_stack(self.app, "ApiOnly")
        self.api = SecureFargateApi(api_stack, "Api", image=APP_DIR)

        web_stack = new_test_stack(self.app, "ApiAndWeb")
        self.fronted_api = SecureFargateApi(web_stack, "Api", image=APP_DIR)
        self.web = CdnFrontend(web_stack, "Web", site_dir=SITE, api=self.fronted_api)

        db_stack = new_test_stack(self.app, "Database")
        self.db = PostgresDatabase(db_stack, "Db", vpc=egress_vpc(db_stack))

        europe = Stack(self.app, "Europe", env=Environment(account=ACCOUNT, region="eu-west-1"))
        self.europe = CdnFrontend(europe, "Web", site_dir=SITE)

        self.assembly = self.app.synth()
        self.report = DeployReadinessChecks().validate_scope(self.app)

    def template(self, construct: Construct) -> dict[str, Any]:
        return template_of(Stack.of(construct))


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def text(value: Any) -> str:
    """A template string value, an ``Fn::Join`` joined with the partition written as ``aws``."""
    if isinstance(value, str):
        return value
    if value == {"Ref": "AWS::Partition"}:
        return "aws"
    parts = value["Fn::Join"][1]
    return "".join(text(p) for p in parts)


def ref(stack: Stack, token: str) -> Any:
    return stack.resolve(token)


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = document["Statement"]
    return found


def topics_of(built: Built) -> dict[str, sns.ITopic]:
    return {
        "SecureFargateApi": built.api.alarm_topic,
        "PostgresDatabase": built.db.alarm_topic,
        "CdnFrontend": built.web.alarm_topic,
        "CdnFrontend in eu-west-1": built.europe.alarm_topic,
    }


def topic_policy(topic: sns.ITopic) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    """The template of the topic's stack, the topic's Ref and the one topic policy naming it."""
    stack = Stack.of(topic)
    template = template_of(stack)
    topic_ref = ref(stack, topic.topic_arn)
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in resources_of(template, "AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [topic_ref]
    ]
    return template, topic_ref, policy


# ------------------------------------------------------------------------ defect 1: alarm topics


@pytest.mark.parametrize(
    "owner", ["SecureFargateApi", "PostgresDatabase", "CdnFrontend", "CdnFrontend in eu-west-1"]
)
def test_cloudwatch_alarms_of_this_account_and_region_may_publish_to_the_topic(
    built: Built, owner: str
) -> None:
    topic = topics_of(built)[owner]
    _, topic_ref, policy = topic_policy(topic)
    allow = [s for s in statements(policy) if s["Effect"] == "Allow"]
    assert len(allow) == 1
    (statement,) = allow
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == topic_ref
    (condition,) = statement["Condition"].items()
    assert condition[0] == "ArnLike"
    region = Stack.of(
        topic
    ).region  # CdnFrontend's topic and alarms live in us-east-1 whatever its stack's region
    assert {k: text(v) for k, v in condition[1].items()} == {
        "aws:SourceArn": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:*"
    }
    # The TLS deny that enforce_ssl adds is still there.
    (deny,) = [s for s in statements(policy) if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize(
    "owner", ["SecureFargateApi", "PostgresDatabase", "CdnFrontend", "CdnFrontend in eu-west-1"]
)
def test_the_topics_key_lets_cloudwatch_alarms_of_this_account_use_it(built: Built, owner: str) -> None:
    topic = topics_of(built)[owner]
    stack = Stack.of(topic)
    template = template_of(stack)
    topic_id = ref(stack, topic.topic_arn)["Ref"]
    key_ref = template["Resources"][topic_id]["Properties"]["KmsMasterKeyId"]
    key_id = key_ref["Fn::GetAtt"][0]
    key_policy = template["Resources"][key_id]["Properties"]["KeyPolicy"]
    (statement,) = [
        s for s in statements(key_policy) if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert {k: {c: text(v) for c, v in cond.items()} for k, cond in statement["Condition"].items()} == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{stack.region}:{ACCOUNT}:alarm:*"}
    }


def test_the_three_constructs_build_their_topic_alike(built: Built) -> None:
    """One helper: the topic policies and key statements differ only in the resources they name."""
    shapes = set()
    for topic in topics_of(built).values():
        template, topic_ref, policy = topic_policy(topic)
        shapes.add(json.dumps(policy, sort_keys=True).replace(json.dumps(topic_ref), '"TOPIC"'))
        props = template["Resources"][topic_ref["Ref"]]["Properties"]
        assert props["DisplayName"].endswith(" alarms")
    assert len({s.replace("us-east-1", "REGION") for s in shapes}) == 1


@pytest.mark.parametrize("owner", ["SecureFargateApi", "PostgresDatabase", "CdnFrontend"])
def test_every_alarm_notifies_the_topic_on_alarm_and_on_ok(built: Built, owner: str) -> None:
    construct: Any = {"SecureFargateApi": built.api, "PostgresDatabase": built.db, "CdnFrontend": built.web}[
        owner
    ]
    topic_ref = ref(Stack.of(construct.alarm_topic), construct.alarm_topic.topic_arn)
    rendered = {Stack.of(a).resolve(a.alarm_arn)["Fn::GetAtt"][0]: a for a in construct.alarms}
    alarms = resources_of(template_of(Stack.of(construct.alarm_topic)), "AWS::CloudWatch::Alarm")
    assert rendered and set(rendered) <= set(alarms)
    for logical_id in rendered:
        assert alarms[logical_id]["Properties"]["AlarmActions"] == [topic_ref]
        assert alarms[logical_id]["Properties"]["OKActions"] == [topic_ref]


def test_a_given_topic_leaves_the_databases_key_closed_to_cloudwatch() -> None:
    stack = new_test_stack()
    topic = sns.Topic.from_topic_arn(stack, "Ops", f"arn:aws:sns:us-east-1:{ACCOUNT}:ops")
    db = PostgresDatabase(stack, "Db", vpc=egress_vpc(stack), alarm_topic=topic)
    template = template_of(stack)
    assert db.alarm_topic is topic
    assert not resources_of(template, "AWS::SNS::Topic")
    key_policy = json.dumps(next(iter(resources_of(template, "AWS::KMS::Key").values())))
    assert "cloudwatch.amazonaws.com" not in key_policy


# ------------------------------------------------------------------------ defect 2: CloudFront metrics


@pytest.mark.parametrize("where", ["us-east-1", "eu-west-1"])
def test_cloudfront_alarms_read_the_metrics_cloudfront_publishes_in_us_east_1(
    built: Built, where: str
) -> None:
    web = built.web if where == "us-east-1" else built.europe
    distribution_id = Stack.of(web).resolve(web.distribution.distribution_id)
    names = []
    for alarm in web.alarms:
        stack = Stack.of(alarm)
        assert stack.region == "us-east-1"
        logical_id = stack.resolve(alarm.alarm_arn)["Fn::GetAtt"][0]
        props = template_of(stack)["Resources"][logical_id]["Properties"]
        assert props["Namespace"] == "AWS/CloudFront"
        names.append(props["MetricName"])
        dimensions = {d["Name"]: d["Value"] for d in props["Dimensions"]}
        assert dimensions["Region"] == "Global"
        assert set(dimensions) == {"DistributionId", "Region"}
        if where == "us-east-1":
            assert dimensions["DistributionId"] == distribution_id
        else:  # read from the eu-west-1 stack by a cross-region reference
            assert "Fn::GetStackOutput" in json.dumps(dimensions["DistributionId"])
    assert sorted(names) == ["5xxErrorRate", "OriginLatency"]


# ------------------------------------------------------------------------ defect 3: source IPs


def test_behind_cdn_frontend_the_rules_on_viewer_addresses_are_at_the_edge(built: Built) -> None:
    """The API's regional ACL sees CloudFront's addresses and has no rule on them; the distribution's
    ACL, which sees the viewer's, has the IP rate limit and the IP reputation list."""
    template = built.template(built.web)
    acls = {
        acl["Properties"]["Scope"]: acl["Properties"]
        for acl in resources_of(template, "AWS::WAFv2::WebACL").values()
    }
    assert sorted(acls) == ["CLOUDFRONT", "REGIONAL"]

    def source_ip_rules(acl: dict[str, Any]) -> list[str]:
        return [
            r["Name"]
            for r in acl["Rules"]
            if r["Statement"].get("RateBasedStatement", {}).get("AggregateKeyType") == "IP"
            or r["Statement"].get("ManagedRuleGroupStatement", {}).get("Name")
            == "AWSManagedRulesAmazonIpReputationList"
        ]

    assert source_ip_rules(acls["REGIONAL"]) == []
    assert sorted(source_ip_rules(acls["CLOUDFRONT"])) == [
        "AWSManagedRulesAmazonIpReputationList",
        "RateLimitPerIp",
    ]


# ------------------------------------------------------------------------ defect 6: retained names


def test_log_groups_and_the_backup_vault_are_kept_except_after_a_failed_create(built: Built) -> None:
    """RetainExceptOnCreate: kept on stack deletion and replacement, removed when their own create is
    rolled back, so the retry of a failed first deploy does not meet "already exists" (named ones), nor
    leave orphans behind (the others)."""
    named = {
        "AWS::Logs::LogGroup": "LogGroupName",
        "AWS::Backup::BackupVault": "BackupVaultName",
    }
    seen: dict[str, list[str]] = {}
    for stack in (s for s in built.app.node.children if isinstance(s, Stack)):
        for logical_id, resource in template_of(stack)["Resources"].items():
            if resource["Type"] in named:
                kind = "named" if named[resource["Type"]] in resource.get("Properties", {}) else "unnamed"
                seen.setdefault(kind, []).append(logical_id)
                assert resource["DeletionPolicy"] == "RetainExceptOnCreate", (stack.stack_name, logical_id)
                assert resource["UpdateReplacePolicy"] == "Retain", (stack.stack_name, logical_id)
    # The configurations hold the WAF log groups, the database's log groups and its vault (named), and
    # the API's, deployment and flow-log groups (unnamed).
    assert len(seen["named"]) >= 7 and len(seen["unnamed"]) >= 4


def test_a_destroy_policy_stays_destroy() -> None:
    from aws_cdk import RemovalPolicy

    stack = new_test_stack()
    SecureFargateApi(stack, "Api", image=APP_DIR, removal_policy=RemovalPolicy.DESTROY)
    groups = resources_of(template_of(stack), "AWS::Logs::LogGroup").values()
    assert groups and {g["DeletionPolicy"] for g in groups} == {"Delete"}


# ------------------------------------------------------------------------ the rule pack


@pytest.mark.parametrize("rule", FIXED_RULES)
def test_deploy_readiness_finds_nothing_for_the_fixed_rules(built: Built, rule: str) -> None:
    for violation in built.report.violations:
        assert "threw an error" not in violation.description, violation.rule_name
    flagged = [
        resource.construct_path
        for violation in built.report.violations
        if violation.rule_name == f"DeployReadiness-{rule}"
        for resource in violation.violating_resources
    ]
    assert flagged == []


def test_nothing_is_acknowledged_for_the_pack(built: Built) -> None:
    assert [a for a in acknowledgements(built.app) if a.rule_id.startswith("DeployReadiness")] == []


def test_the_pack_saw_the_resources_those_rules_check(built: Built) -> None:
    """Zero findings means something only if the rules had something to check."""
    types: set[str] = set()
    for stack in (s for s in built.app.node.children if isinstance(s, Stack)):
        types.update(r["Type"] for r in template_of(stack)["Resources"].values())
    assert {
        "AWS::CloudWatch::Alarm",
        "AWS::SNS::TopicPolicy",
        "AWS::WAFv2::WebACL",
        "AWS::WAFv2::LoggingConfiguration",
        "AWS::CloudFront::VpcOrigin",
        "AWS::Backup::BackupVault",
    } <= types
