"""The SSE-S3 bucket that receives access logs: S3 server access logs and CloudFront's (CdnFrontend,
PrivateBucket) or the load balancer's (SecureFargateApi). Private, SSL only, versioned, logs expiring, and
the two findings no prop can fix."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_casemgmt.compliance import acknowledge

LOG_DELIVERY_BY_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"
"""aws-cdk-lib's feature flag for S3 server access logs delivered through the target's bucket policy
(without it, through the legacy LogDeliveryWrite ACL, which a BUCKET_OWNER_ENFORCED bucket refuses).
Constructs that create buckets pin it on their own node, so they build the same buckets in any app."""


def access_log_bucket(
    scope: Construct,
    id: str,
    *,
    retention: Duration,
    removal_policy: RemovalPolicy,
    object_ownership: s3.ObjectOwnership = s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    own_logs_prefix: str = "s3-access-logs/log-bucket/",
    noncurrent_version_expiration: Duration = Duration.days(7),
    abort_incomplete_upload_after: Duration = Duration.days(1),
    delivered_logs: str = "S3 server access logs",
    own_bucket_hint: str = "",
) -> s3.Bucket:
    """A log bucket that logs its own access under ``own_logs_prefix``.

    :param retention: how long a log is kept.
    :param object_ownership: ``OBJECT_WRITER`` where CloudFront standard logging writes with ACLs.
    :param noncurrent_version_expiration: how long a replaced or deleted log version is kept.
    :param abort_incomplete_upload_after: when unfinished multipart uploads are removed.
    :param delivered_logs: the logs that force SSE-S3, named in the acknowledgement reason.
    :param own_bucket_hint: ends the acknowledgement reasons (e.g. the prop that takes a bucket of
        the user's).
    """
    bucket = s3.Bucket(
        scope,
        id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=object_ownership,
        # Access logs are delivered only to a bucket with SSE-S3 default encryption.
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        versioned=True,
        server_access_logs_prefix=own_logs_prefix,
        lifecycle_rules=[
            s3.LifecycleRule(
                expiration=retention,
                noncurrent_version_expiration=noncurrent_version_expiration,
                abort_incomplete_multipart_upload_after=abort_incomplete_upload_after,
            )
        ],
        removal_policy=removal_policy,
    )
    hint = f"; {own_bucket_hint}" if own_bucket_hint else ""
    for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"):
        acknowledge(
            bucket,
            f"{pack}-S3DefaultEncryptionKMS",
            f"{delivered_logs} can only be delivered to a bucket with SSE-S3 default encryption; this "
            f"bucket is their target, so SSE-KMS would drop them (structural{hint}).",
        )
        acknowledge(
            bucket,
            f"{pack}-S3BucketReplicationEnabled",
            "Replicating the access-log bucket only moves this finding to the replica bucket, which needs "
            "the same SSE-S3 settings; versioning, SSL only, Block Public Access and the expiry protect the "
            f"logs instead (structural, see docs/design.md#access-log-buckets{hint}).",
        )
    return bucket
