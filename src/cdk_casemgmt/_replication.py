"""S3 replication of an SSE-KMS bucket: one role, one rule, one exact customer-managed policy.

Shared by ``CdnFrontend`` (the site bucket) and ``PrivateBucket``.
The role is given to the bucket, so aws-cdk-lib adds no grants of its own (an inline policy with
``kms:ReEncrypt*``/``kms:GenerateDataKey*``); the policy holds the replication actions only, and the KMS
statements are limited, as AWS documents for SSE-KMS replication, to S3 in the key's region
(``kms:ViaService``) and to the bucket's encryption context (``kms:EncryptionContext:aws:s3:arn``: the
bucket ARN, used with S3 Bucket Keys, and its objects).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_casemgmt._iam import nag_resource
from cdk_casemgmt.compliance import acknowledge
from cdk_casemgmt.errors import Problems

REPLICATION_RULES = tuple(
    f"{pack}-S3BucketReplicationEnabled" for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
)
"""The three pack rules that ask for replication (acknowledged on a bucket that is not replicated)."""


def check_destination(problems: Problems, *, stack: Stack, destination: s3.IBucket, objects: str) -> None:
    """Record what makes ``destination`` unusable as ``replication_destination`` (``objects``: what
    the source bucket holds, for the messages)."""
    path = destination.node.path
    if destination.encryption_key is None:
        problems.add(
            "replication_destination",
            path,
            f"has no encryption_key: {objects} are SSE-KMS, and S3 replicates them only "
            "when it can re-encrypt the replicas with a KMS key of the destination's region",
            "create the bucket with encryption_key=kms.Key(...) in its region, or import it with "
            "Bucket.from_bucket_attributes(bucket_arn=..., encryption_key=kms.Key.from_key_arn(...))",
        )
    cfn = destination.node.default_child
    if isinstance(cfn, s3.CfnBucket):  # a bucket defined in this app: its versioning is known
        versioning = cfn.versioning_configuration
        suspended = isinstance(versioning, s3.CfnBucket.VersioningConfigurationProperty) and (
            not Token.is_unresolved(versioning.status) and versioning.status != "Enabled"
        )
        if versioning is None or suspended:
            problems.add(
                "replication_destination",
                path,
                "is not versioned: S3 replication needs versioning on both buckets (the deploy would fail)",
                "create the destination bucket with versioned=True",
            )
    account = destination.env.account
    known = not Token.is_unresolved(account) and not Token.is_unresolved(stack.account)
    if known and account != stack.account:
        problems.add(
            "replication_destination",
            path,
            f"is in account {account}, not {stack.account}: cross-account replication also needs "
            "the destination's bucket and key policies to admit the replication role",
            "replicate to a bucket of this account (in another region), or set up cross-account "
            "replication on the bucket yourself",
        )


class BucketReplication:
    """The replication role and rule (made before the bucket) and its policy (made after).

    Construct IDs ``ReplicationRole`` and ``ReplicationPolicy`` are created directly in ``scope``, so
    the logical IDs are those the constructs had before this helper existed.
    """

    def __init__(self, scope: Construct, destination: s3.IBucket, *, description: str) -> None:
        self.scope = scope
        self.destination = destination
        self.role = iam.Role(
            scope,
            "ReplicationRole",
            assumed_by=iam.ServicePrincipal("s3.amazonaws.com"),
            description=description,
        )
        """Assumed by S3; given to the bucket, so aws-cdk-lib grants it nothing itself."""
        self.rules = [
            s3.ReplicationRule(
                destination=destination,
                # SSE-KMS objects are skipped unless asked for; replicas are re-encrypted with the
                # destination's key (a key of its region).
                sse_kms_encrypted_objects=True,
                kms_key=destination.encryption_key,
                # The replica mirrors deletions as delete markers; older versions stay under the
                # destination's own lifecycle.
                delete_marker_replication=True,
            )
        ]
        """One rule for the whole bucket, for ``s3.Bucket(replication_rules=...)``."""

    def add_policy(self, bucket: s3.IBucket, key: kms.IKey, *, reason: str) -> iam.ManagedPolicy:
        """``ReplicationPolicy``: exactly what replication of SSE-KMS objects needs, on ``self.role``.

        ``reason`` explains the two object-level wildcards (``<bucket>/*`` on each side), which are
        acknowledged (``AwsSolutions-IAM5``) on the policy.
        """
        destination = self.destination
        source_region = Stack.of(bucket).region
        statements = [
            iam.PolicyStatement(
                actions=["s3:GetReplicationConfiguration", "s3:ListBucket"],
                resources=[bucket.bucket_arn],
            ),
            iam.PolicyStatement(
                actions=[
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging",
                ],
                resources=[bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                resources=[destination.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[key.key_arn],
                conditions=s3_kms_conditions(source_region, bucket),
            ),
        ]
        destination_key = destination.encryption_key
        if destination_key is not None:
            # The replica key lives in the destination bucket's region (S3 requires it); an imported
            # key's region comes from its ARN, which is more reliable than an imported bucket's.
            statements.append(
                iam.PolicyStatement(
                    actions=["kms:Encrypt", "kms:GenerateDataKey"],
                    resources=[destination_key.key_arn],
                    conditions=s3_kms_conditions(destination_key.env.region, destination),
                )
            )
        policy = iam.ManagedPolicy(self.scope, "ReplicationPolicy", statements=statements, roles=[self.role])
        stack = Stack.of(self.scope)
        for arn in (bucket.arn_for_objects("*"), destination.arn_for_objects("*")):
            resource = nag_resource(stack, arn)
            if resource is not None:
                acknowledge(policy, f"AwsSolutions-IAM5[Resource::{resource}]", reason)
        return policy


def optional_replication(
    scope: Construct, destination: s3.IBucket | None, *, of: str
) -> BucketReplication | None:
    """Replication of the bucket ``of`` names to ``destination``; None when there is no destination."""
    if destination is None:
        return None
    return BucketReplication(
        scope, destination, description=f"S3 replication of {of} to replication_destination"
    )


def s3_kms_conditions(region: str, bucket: s3.IBucket, objects: str = "*") -> dict[str, Any]:
    """KMS use only by S3 in ``region`` and only for ``bucket``: its ARN (S3 Bucket Keys use it as the
    encryption context) or one of its objects matching ``objects``."""
    return {
        "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
        "StringLike": {
            "kms:EncryptionContext:aws:s3:arn": [bucket.bucket_arn, bucket.arn_for_objects(objects)]
        },
    }


def acknowledge_not_replicated(bucket: s3.IBucket, reason: str) -> None:
    """Acknowledge the three replication rules on ``bucket`` (opt-out by ``replication_destination``)."""
    for rule in REPLICATION_RULES:
        acknowledge(bucket, rule, reason)
