"""The private, versioned, KMS-encrypted bucket that CdnFrontend (site files) and PrivateBucket (documents)
keep their objects in: public access blocked, ACLs disabled, SSL only, server access logs, old versions
expiring, optionally replicated."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_casemgmt._replication import BucketReplication


def kms_versioned_bucket(
    scope: Construct,
    id: str,
    *,
    encryption_key: kms.IKey,
    log_bucket: s3.IBucket,
    access_logs_prefix: str,
    noncurrent_version_expiration: Duration,
    replication: BucketReplication | None,
    removal_policy: RemovalPolicy,
    cors: Sequence[s3.CorsRule] | None = None,
) -> s3.Bucket:
    """The bucket; ``replication`` (when given) supplies its replication role and rules."""
    return s3.Bucket(
        scope,
        id,
        encryption=s3.BucketEncryption.KMS,
        encryption_key=encryption_key,
        bucket_key_enabled=True,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=True,
        server_access_logs_bucket=log_bucket,
        server_access_logs_prefix=access_logs_prefix,
        cors=list(cors) if cors is not None else None,
        lifecycle_rules=[
            s3.LifecycleRule(
                noncurrent_version_expiration=noncurrent_version_expiration,
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )
        ],
        replication_role=replication.role if replication is not None else None,
        replication_rules=replication.rules if replication is not None else None,
        removal_policy=removal_policy,
    )
