"""PrivateBucket: one synth per configuration (module fixtures), one test per promise and per error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from cdk_casemgmt import PrivateBucket, ValidationError, acknowledge, acknowledgements
from cdk_casemgmt._iam import ManagedPolicyRole
from cdk_casemgmt.testing import (
    cfn_lint,
    logical_ids,
    new_test_app,
    new_test_stack,
    template_of,
)
from tests.conftest import CFN_LINT_CONFIG
from tests.helpers import (
    REGULATORY_PACKS,
    all_findings,
    replicating_app,
)

ACCOUNT = "111111111111"
ORIGIN = "https://app.example.com"
REPLICATION_RULES = [f"{pack}-S3BucketReplicationEnabled" for pack in REGULATORY_PACKS]


class Built:
    def __init__(self, app: App, stack: Stack, bucket: PrivateBucket) -> None:
        self.app, self.stack, self.pb = app, stack, bucket
        self.template = template_of(stack)
        self.extra: dict[str, Any] = {}

    def resource(self, construct: Any) -> dict[str, Any]:
        found: dict[str, Any] = self.template["Resources"][self.logical(construct)]
        return found

    def props(self, construct: Any) -> dict[str, Any]:
        props: dict[str, Any] = self.resource(construct)["Properties"]
        return props

    def logical(self, construct: Any) -> str:
        child = construct.node.default_child if construct.node.default_child is not None else construct
        return self.stack.get_logical_id(child)

    def resolve(self, value: Any) -> Any:
        return self.stack.resolve(value)


# --- configurations, synthesized once each -------------------------------------------------------
@pytest.fixture(scope="module")
def plain() -> Built:
    """Default props: a new key and a new log bucket, no CORS, no replication."""
    app = new_test_app()
    stack = new_test_stack(app, "Data")
    return Built(app, stack, PrivateBucket(stack, "Docs"))


@pytest.fixture(scope="module")
def wired() -> Built:
    """A given key and log bucket, CORS for a literal and a token origin, and the two grants."""
    app = new_test_app()
    stack = new_test_stack(app, "Data")
    key = kms.Key(stack, "DataKey", enable_key_rotation=True)
    logs = s3.Bucket(
        stack,
        "Logs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=True,
        server_access_logs_prefix="self/",
    )
    for rule in ("S3DefaultEncryptionKMS", "S3BucketReplicationEnabled"):
        for pack in REGULATORY_PACKS:
            acknowledge(logs, f"{pack}-{rule}", "The test's own SSE-S3 log bucket, not under test here.")
    token_origin = Fn.import_value("WebUrl")
    pb = PrivateBucket(
        stack,
        "Docs",
        encryption_key=key,
        access_log_bucket=logs,
        access_log_prefix="logs/docs/",
        cors_origins=[ORIGIN, token_origin],
        noncurrent_version_expiration=Duration.days(30),
    )
    writer = ManagedPolicyRole(stack, "Writer", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    reader = ManagedPolicyRole(stack, "Reader", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    pb.grant_object_read_write(writer, "cases/")
    pb.grant_object_read(reader, "exports/")
    built = Built(app, stack, pb)
    built.extra = {"key": key, "logs": logs, "writer": writer, "reader": reader, "token": token_origin}
    return built


@pytest.fixture(scope="module")
def replicated() -> Built:
    """Replicated to a KMS-encrypted, versioned bucket in a us-west-2 stack; removal_policy=DESTROY."""
    app, stack, destination = replicating_app("Data")
    pb = PrivateBucket(
        stack, "Docs", replication_destination=destination, removal_policy=RemovalPolicy.DESTROY
    )
    built = Built(app, stack, pb)
    built.extra = {"destination": destination}
    return built


# --- compliance, validation, lint ----------------------------------------------------------------
@pytest.mark.parametrize("configuration", ["plain", "wired", "replicated"])
def test_no_unacknowledged_findings(configuration: str, request: pytest.FixtureRequest) -> None:
    """At defaults; with a given key, log bucket, CORS and grants; replicated (the destination's own
    stack, a plain test bucket, is not under test)."""
    built: Built = request.getfixturevalue(configuration)
    assert all_findings(built.app, compliance_under=built.stack) == []


def test_cfn_lint_clean(plain: Built, wired: Built, replicated: Built) -> None:
    for built in (plain, wired, replicated):
        assert cfn_lint(built.stack, config_file=CFN_LINT_CONFIG) == [], built.stack.node.path


# --- the bucket -----------------------------------------------------------------------------------
def test_bucket_is_kms_encrypted_with_a_bucket_key_by_a_new_rotated_key(plain: Built) -> None:
    (rule,) = plain.props(plain.pb.bucket)["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule == {
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {
            "KMSMasterKeyID": plain.resolve(plain.pb.encryption_key.key_arn),
            "SSEAlgorithm": "aws:kms",
        },
    }
    key = plain.resource(plain.pb.encryption_key)
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_bucket_is_private_without_acls_and_retained(plain: Built) -> None:
    bucket = plain.resource(plain.pb.bucket)
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["Properties"]["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain"
    assert "CorsConfiguration" not in bucket["Properties"]  # no CORS at default props


def test_bucket_denies_plain_http(plain: Built) -> None:
    Template.from_json(plain.template).has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": plain.logical(plain.pb.bucket)},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            },
        },
    )


def test_versions_are_kept_90_days_and_stale_uploads_aborted(plain: Built) -> None:
    props = plain.props(plain.pb.bucket)
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["LifecycleConfiguration"]["Rules"] == [
        {
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
            "Status": "Enabled",
        }
    ]


def test_noncurrent_version_expiration_is_a_prop(wired: Built) -> None:
    (rule,) = wired.props(wired.pb.bucket)["LifecycleConfiguration"]["Rules"]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}


def test_access_logs_go_to_a_new_sse_s3_log_bucket_by_default(plain: Built) -> None:
    assert plain.props(plain.pb.bucket)["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": plain.logical(plain.pb.log_bucket)},
        "LogFilePrefix": "s3-access-logs/docs/",
    }
    logs = plain.resource(plain.pb.log_bucket)
    (sse,) = logs["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert sse["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert {"ExpirationInDays": 365}.items() <= logs["Properties"]["LifecycleConfiguration"]["Rules"][
        0
    ].items()
    assert logs["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert logs["DeletionPolicy"] == "Retain"


def test_the_log_bucket_acknowledgements_are_structural_and_only_there(plain: Built) -> None:
    on_logs = sorted(a.rule_id for a in acknowledgements(plain.pb) if a.path == "Data/Docs/LogBucket")
    assert on_logs == sorted(
        f"{pack}-{rule}"
        for pack in REGULATORY_PACKS
        for rule in ("S3BucketReplicationEnabled", "S3DefaultEncryptionKMS")
    )
    # 6 on the log bucket + the 3 replication opt-outs on the bucket: nothing else.
    assert len(acknowledgements(plain.pb)) == 9


def test_given_key_and_log_bucket_are_used_and_nothing_else_is_created(wired: Built) -> None:
    assert wired.pb.encryption_key is wired.extra["key"] and wired.pb.log_bucket is wired.extra["logs"]
    assert wired.pb.node.try_find_child("Key") is None and wired.pb.node.try_find_child("LogBucket") is None
    props = wired.props(wired.pb.bucket)
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["KMSMasterKeyID"] == wired.resolve(wired.extra["key"].key_arn)
    assert props["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": wired.logical(wired.extra["logs"])},
        "LogFilePrefix": "logs/docs/",
    }


def test_cors_allows_the_given_origins_only(wired: Built) -> None:
    (rule,) = wired.props(wired.pb.bucket)["CorsConfiguration"]["CorsRules"]
    assert rule == {
        "AllowedHeaders": ["content-type"],
        "AllowedMethods": ["PUT", "GET"],
        "AllowedOrigins": [ORIGIN, wired.resolve(wired.extra["token"])],
        "MaxAge": 3000,
    }


def test_removal_policy_applies_to_what_it_creates(replicated: Built) -> None:
    pb = replicated.pb
    for construct in (pb.bucket, pb.encryption_key, pb.log_bucket):
        assert replicated.resource(construct)["DeletionPolicy"] == "Delete", construct.node.path


def test_stateful_logical_ids_are_frozen(plain: Built) -> None:
    assert logical_ids(plain.template) == {
        "DocsBucket8E976F9C": "AWS::S3::Bucket",
        "DocsKey80168546": "AWS::KMS::Key",
        "DocsLogBucket82C5F4B4": "AWS::S3::Bucket",
    }


# --- grants ---------------------------------------------------------------------------------------
def _statements(built: Built, role: ManagedPolicyRole) -> list[dict[str, Any]]:
    assert role.managed_policy is not None
    statements: list[dict[str, Any]] = built.props(role.managed_policy)["PolicyDocument"]["Statement"]
    return statements


def _kms_conditions(built: Built, prefix: str) -> dict[str, Any]:
    arn = built.resolve(built.pb.bucket.bucket_arn)
    return {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": [arn, {"Fn::Join": ["", [arn, f"/{prefix}*"]]}]},
    }


def test_grant_object_read_write_reaches_one_prefix_and_the_key_through_s3_only(wired: Built) -> None:
    arn = wired.resolve(wired.pb.bucket.bucket_arn)
    assert _statements(wired, wired.extra["writer"]) == [
        {
            "Action": ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [arn, "/cases/*"]]},
        },
        {
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Condition": _kms_conditions(wired, "cases/"),
            "Effect": "Allow",
            "Resource": wired.resolve(wired.extra["key"].key_arn),
        },
    ]


def test_grant_object_read_reads_only(wired: Built) -> None:
    arn = wired.resolve(wired.pb.bucket.bucket_arn)
    assert _statements(wired, wired.extra["reader"]) == [
        {
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [arn, "/exports/*"]]},
        },
        {
            "Action": "kms:Decrypt",
            "Condition": _kms_conditions(wired, "exports/"),
            "Effect": "Allow",
            "Resource": wired.resolve(wired.extra["key"].key_arn),
        },
    ]


def test_grants_acknowledge_the_prefix_wildcard_on_the_receiving_policy_naming_the_prefix(
    wired: Built,
) -> None:
    bucket = wired.logical(wired.pb.bucket)
    acks = {(a.rule_id, a.path): a.reason for a in acknowledgements(wired.stack) if "IAM5" in a.rule_id}
    assert sorted(acks) == [
        (f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/cases/*]", "Data/Writer/Policy"),
        (f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/exports/*]", "Data/Reader/Policy"),
    ]
    writer, reader = (acks[k] for k in sorted(acks))
    assert "Data/Docs.grant_object_read_write(key_prefix='cases/')" in writer
    assert "Data/Docs.grant_object_read(key_prefix='exports/')" in reader


# --- replication ----------------------------------------------------------------------------------
def test_not_replicated_by_default_and_acknowledged_naming_the_prop(plain: Built) -> None:
    assert "ReplicationConfiguration" not in plain.props(plain.pb.bucket)
    assert plain.pb.replication_role is None and plain.pb.replication_policy is None
    on_bucket = [a for a in acknowledgements(plain.pb) if a.path == "Data/Docs/Bucket"]
    assert sorted(a.rule_id for a in on_bucket) == REPLICATION_RULES
    assert all("replication_destination" in a.reason for a in on_bucket)


def test_replication_destination_replicates_kms_encrypted_objects(replicated: Built) -> None:
    pb = replicated.pb
    assert pb.replication_role is not None
    config = replicated.props(pb.bucket)["ReplicationConfiguration"]
    assert config["Role"] == {"Fn::GetAtt": [replicated.logical(pb.replication_role), "Arn"]}
    (rule,) = config["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
    assert rule["Destination"]["Bucket"].startswith("arn:aws:s3:::replicareplica")
    key = rule["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"]
    assert key["Fn::GetStackOutput"]["Region"] == "us-west-2"
    assert [a for a in acknowledgements(pb) if a.path == "Data/Docs/Bucket"] == []


def test_replication_role_has_one_managed_policy_with_exact_actions_and_kms_conditions(
    replicated: Built,
) -> None:
    pb, destination = replicated.pb, replicated.extra["destination"]
    assert pb.replication_role is not None and pb.replication_policy is not None
    role = replicated.props(pb.replication_role)
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    types = {r["Type"] for r in replicated.template["Resources"].values()}
    assert "Policies" not in role and "AWS::IAM::Policy" not in types
    policy = replicated.props(pb.replication_policy)
    assert policy["Roles"] == [{"Ref": replicated.logical(pb.replication_role)}]
    by_action = {json.dumps(s["Action"]): s for s in policy["PolicyDocument"]["Statement"]}
    assert sorted(by_action) == sorted(
        [
            '["s3:GetReplicationConfiguration", "s3:ListBucket"]',
            '["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"]',
            '["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"]',
            '"kms:Decrypt"',
            '["kms:Encrypt", "kms:GenerateDataKey"]',
        ]
    )

    def context(bucket: s3.IBucket) -> list[Any]:
        return [replicated.resolve(bucket.bucket_arn), replicated.resolve(bucket.arn_for_objects("*"))]

    assert by_action['"kms:Decrypt"']["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": context(pb.bucket)},
    }
    assert by_action['["kms:Encrypt", "kms:GenerateDataKey"]']["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": context(destination)},
    }


def test_replication_acknowledges_only_the_two_object_wildcards(replicated: Built) -> None:
    acks = sorted(
        a.rule_id for a in acknowledgements(replicated.pb) if a.path == "Data/Docs/ReplicationPolicy"
    )
    bucket = replicated.logical(replicated.pb.bucket)
    assert len(acks) == 2
    assert f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/*]" in acks
    assert any(a.startswith("AwsSolutions-IAM5[Resource::arn:aws:s3:::replicareplica") for a in acks)


# --- errors ---------------------------------------------------------------------------------------
def _error(**props: Any) -> str:
    stack = props.pop("stack", None) or new_test_stack(new_test_app(), "Data")
    with pytest.raises(ValidationError) as err:
        PrivateBucket(stack, "Docs", **props)
    return str(err.value)


def test_cors_origin_over_http() -> None:
    message = _error(cors_origins=["http://app.example.com"])
    assert "cors_origins[0]='http://app.example.com': is not an https origin" in message
    assert "Fix: pass an https origin such as 'https://app.example.com'" in message


def test_cors_origin_with_a_path() -> None:
    message = _error(cors_origins=[ORIGIN, "https://app.example.com/"])
    assert "cors_origins[1]='https://app.example.com/': has a path" in message


def test_cors_origin_wildcard() -> None:
    assert "cors_origins[0]='*': is not an https origin" in _error(cors_origins=["*"])


def test_cors_origins_without_methods() -> None:
    message = _error(cors_origins=[ORIGIN], cors_methods=[])
    assert "cors_methods=[]: is empty while cors_origins is given" in message


def test_access_log_retention_with_a_given_log_bucket() -> None:
    stack = new_test_stack(new_test_app(), "Data")
    logs = s3.Bucket.from_bucket_name(stack, "Logs", "my-logs")
    message = _error(stack=stack, access_log_bucket=logs, access_log_retention=Duration.days(30))
    assert "access_log_retention=30 days: applies only to the log bucket PrivateBucket creates" in message


def test_noncurrent_version_expiration_under_a_day() -> None:
    message = _error(noncurrent_version_expiration=Duration.hours(12))
    assert "noncurrent_version_expiration=12 hours: is not a whole number of days" in message
    assert "Fix: pass Duration.days(n)" in message


@pytest.mark.parametrize("prefix", ["", "*", "cases/*", "/cases/"])
def test_grant_key_prefix_must_be_a_literal_prefix(prefix: str) -> None:
    stack = new_test_stack(new_test_app(), "Data")
    pb = PrivateBucket(stack, "Docs")
    role = ManagedPolicyRole(stack, "Role", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    with pytest.raises(ValidationError, match=r"key_prefix=.*is not a literal key prefix") as err:
        pb.grant_object_read_write(role, prefix)
    assert "Fix: pass e.g. 'uploads/'" in str(err.value)
    assert role.managed_policy is None  # nothing was granted


def test_all_problems_reported_at_once() -> None:
    message = _error(cors_origins=["http://a.example.com"], noncurrent_version_expiration=Duration.hours(1))
    assert "2 invalid prop(s)" in message
