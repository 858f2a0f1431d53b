"""PrivateBucket: an S3 bucket for application data that passes the four packs at default props.

SSE-KMS with a customer-managed key (S3 Bucket Key on), SSL only, Block Public Access, no ACLs, versioned
with an expiry of replaced versions, server access logs, optional CORS for presigned browser uploads,
optional replication to a bucket in another region; object grants limited to one key prefix and to the
key's use by S3 for this bucket. docs/private-bucket.md has the table and the reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_casemgmt._defaults import BUCKET
from cdk_casemgmt._iam import nag_resource
from cdk_casemgmt._kms_bucket import kms_versioned_bucket
from cdk_casemgmt._kms_key import rotating_key
from cdk_casemgmt._log_bucket import LOG_DELIVERY_BY_BUCKET_POLICY
from cdk_casemgmt._log_bucket import access_log_bucket as _access_log_bucket
from cdk_casemgmt._replication import (
    acknowledge_not_replicated,
    check_destination,
    optional_replication,
    s3_kms_conditions,
)
from cdk_casemgmt.compliance import acknowledge
from cdk_casemgmt.errors import Problems

__all__ = ["PrivateBucket"]

_READ = ("s3:GetObject", "s3:GetObjectVersion")  # the bucket is versioned: a version is read too
_WRITE = ("s3:PutObject",)
_DELETE = ("s3:DeleteObject",)


class PrivateBucket(Construct):
    """A private, KMS-encrypted, versioned, access-logged S3 bucket for application data.

    All props are keyword-only.

    :param encryption_key: the customer-managed key for the objects. :default: - a new key
        (``Key``, rotation on, ``removal_policy``)
    :param access_log_bucket: where the S3 server access logs go; S3 delivers them only to a bucket
        with SSE-S3 default encryption. aws-cdk-lib grants the delivery by that bucket's own feature
        flags: with ACLs disabled (``BUCKET_OWNER_ENFORCED``) it needs
        ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`` (``cdk init`` sets it), else a ValidationError
        says so. :default: - a new log bucket (``LogBucket``: SSE-S3, SSL only,
        versioned, logs expire after ``access_log_retention``)
    :param access_log_prefix: key prefix of the access logs in ``access_log_bucket``.
        :default: ``"s3-access-logs/<id in lower case>/"``
    :param access_log_retention: how long the created log bucket keeps logs; only without
        ``access_log_bucket``. :default: Duration.days(365)
    :param cors_origins: https origins (or tokens, e.g. ``CdnFrontend.url``) whose pages may call the
        bucket from a browser, e.g. with presigned URLs. :default: - no CORS configuration
    :param cors_methods: the methods those origins may use. :default: ``(PUT, GET)``
    :param cors_allowed_headers: request headers those origins may send. :default: ``("content-type",)``
    :param noncurrent_version_expiration: how long overwritten or deleted objects stay recoverable.
        :default: Duration.days(90)
    :param replication_destination: a versioned bucket with a KMS key (``encryption_key``), typically
        in another region, of this account, that receives a copy of every object (costs replica storage,
        replication requests and inter-region transfer). :default: - no replication (acknowledged on the
        bucket naming this prop)
    :param removal_policy: for the bucket and the resources this construct creates. :default: RETAIN
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        encryption_key: kms.IKey | None = None,
        access_log_bucket: s3.IBucket | None = None,
        access_log_prefix: str | None = None,
        access_log_retention: Duration | None = None,
        cors_origins: Sequence[str] = (),
        cors_methods: Sequence[s3.HttpMethods] = BUCKET.cors_methods,
        cors_allowed_headers: Sequence[str] = BUCKET.cors_allowed_headers,
        noncurrent_version_expiration: Duration = BUCKET.noncurrent_version_expiration,
        replication_destination: s3.IBucket | None = None,
        removal_policy: RemovalPolicy = BUCKET.removal_policy,
    ) -> None:
        super().__init__(scope, id)
        # S3 delivers access logs through a bucket policy, never the legacy LogDeliveryWrite ACL (which
        # needs ACLs enabled and fails on our BUCKET_OWNER_ENFORCED buckets): pinned for this subtree, so
        # an App with no feature flags builds the same buckets as `cdk init`'s.
        self.node.set_context(LOG_DELIVERY_BY_BUCKET_POLICY, True)
        stack = Stack.of(self)
        problems = Problems()
        _validate(
            problems,
            stack=stack,
            access_log_bucket=access_log_bucket,
            access_log_retention=access_log_retention,
            cors_origins=cors_origins,
            cors_methods=cors_methods,
            noncurrent_version_expiration=noncurrent_version_expiration,
            replication_destination=replication_destination,
        )
        problems.raise_if_any(self)

        self.encryption_key: kms.IKey = encryption_key or rotating_key(
            self, description=f"Encrypts the objects of {self.node.path}", removal_policy=removal_policy
        )
        """The customer-managed key of the objects (given or created)."""
        self.log_bucket: s3.IBucket = access_log_bucket or _access_log_bucket(
            self,
            "LogBucket",
            retention=access_log_retention or BUCKET.access_log_retention,
            removal_policy=removal_policy,
            own_bucket_hint="pass access_log_bucket= to use a log bucket of your own",
        )
        """Where the bucket's S3 server access logs go (given or created)."""
        replication = optional_replication(self, replication_destination, of=self.node.path)
        self.replication_role: iam.Role | None = replication.role if replication is not None else None
        """The role S3 replication assumes (only with ``replication_destination``)."""
        self.replication_policy: iam.ManagedPolicy | None = None
        """The replication role's one customer-managed policy (no inline policy, no wildcard action)."""
        cors = (
            [
                s3.CorsRule(
                    allowed_methods=list(cors_methods),
                    allowed_origins=list(cors_origins),
                    allowed_headers=list(cors_allowed_headers),
                    max_age=BUCKET.cors_max_age_seconds,
                )
            ]
            if cors_origins
            else None
        )
        try:
            self.bucket: s3.Bucket = kms_versioned_bucket(
                self,
                "Bucket",
                encryption_key=self.encryption_key,
                log_bucket=self.log_bucket,
                access_logs_prefix=access_log_prefix or f"s3-access-logs/{id.lower()}/",
                noncurrent_version_expiration=noncurrent_version_expiration,
                replication=replication,
                removal_policy=removal_policy,
                cors=cors,
            )
            """The bucket: versioned, encrypted with ``encryption_key``, TLS only, public access blocked."""
        except RuntimeError as err:
            # aws-cdk-lib grants log delivery on the target bucket by the target's own feature flags: a
            # bucket of the user's, in an app without @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy,
            # gets the LogDeliveryWrite ACL, which a BUCKET_OWNER_ENFORCED bucket refuses.
            if access_log_bucket is None or "LogDeliveryWrite" not in str(err):
                raise
            problems.add(
                "access_log_bucket",
                access_log_bucket.node.path,
                "aws-cdk-lib would let S3 deliver the access logs through this bucket's LogDeliveryWrite "
                "ACL (its scope lacks the feature flag " + LOG_DELIVERY_BY_BUCKET_POLICY + "), and the "
                "bucket has ACLs disabled (BUCKET_OWNER_ENFORCED)",
                "set that flag to true in cdk.json's context (cdk init does) so S3 delivers through the "
                "bucket policy, or let PrivateBucket create its log bucket",
            )
            problems.raise_if_any(self)
            raise
        if replication is not None:
            self.replication_policy = replication.add_policy(
                self.bucket,
                self.encryption_key,
                reason="S3 replication copies every version of every object, whatever its key, so the "
                "role reads any object of this bucket and writes any object of replication_destination; "
                "replication actions only, KMS only through S3 for these two buckets.",
            )
        else:
            acknowledge_not_replicated(
                self.bucket,
                "replication_destination is not set: a copy in another region is a cost and a "
                "data-residency decision (the data may have to stay in this region). Versioning keeps "
                "overwritten and deleted objects recoverable for noncurrent_version_expiration; pass "
                "replication_destination=<bucket in another region> to replicate (opt-out by prop).",
            )

    # ---------------------------------------------------------------------------------------------
    def grant_object_read(self, grantee: iam.IGrantable, key_prefix: str) -> None:
        """Let ``grantee`` read objects (any version) under ``key_prefix``.

        ``s3:GetObject``, ``s3:GetObjectVersion``; ``kms:Decrypt`` only through S3 for this bucket.

        No listing, no other prefix; the key only through S3 for this bucket. The wildcard after the
        prefix is acknowledged (``AwsSolutions-IAM5``) on the policy that receives the statement.
        """
        self._grant(grantee, key_prefix, _READ, ("kms:Decrypt",), "grant_object_read", "read")

    def grant_object_read_write(
        self, grantee: iam.IGrantable, key_prefix: str, *, delete: bool = True
    ) -> None:
        """Let ``grantee`` read, write and (with ``delete``) delete objects under ``key_prefix``.

        ``s3:GetObject``, ``s3:GetObjectVersion``, ``s3:PutObject``, ``s3:DeleteObject``; ``kms:Decrypt`` and
        ``kms:GenerateDataKey`` only through S3 for this bucket. What an API that presigns uploads and
        downloads needs. The wildcard after the prefix is acknowledged on the receiving policy.

        :param delete: also ``s3:DeleteObject`` (a delete of a versioned object only adds a delete
            marker; the version stays for ``noncurrent_version_expiration``). :default: True
        """
        actions = _DELETE + _READ + _WRITE if delete else _READ + _WRITE
        verb = "read, write and delete" if delete else "read and write"
        self._grant(
            grantee,
            key_prefix,
            actions,
            ("kms:Decrypt", "kms:GenerateDataKey"),
            "grant_object_read_write",
            verb,
        )

    def _grant(
        self,
        grantee: iam.IGrantable,
        key_prefix: str,
        s3_actions: Sequence[str],
        kms_actions: Sequence[str],
        method: str,
        verb: str,
    ) -> None:
        problems = Problems()
        if not Token.is_unresolved(key_prefix) and (
            not key_prefix or key_prefix.startswith("/") or any(c in key_prefix for c in "*?")
        ):
            problems.add(
                "key_prefix",
                key_prefix,
                "is not a literal key prefix: the grant is meant for the keys under one prefix",
                "pass e.g. 'uploads/' (no wildcard, no leading '/'); bucket-wide access is "
                "bucket.grant_read_write",
            )
        problems.raise_if_any(self)
        objects = self.bucket.arn_for_objects(f"{key_prefix}*")
        principal = grantee.grant_principal
        added = principal.add_to_principal_policy(
            iam.PolicyStatement(actions=list(s3_actions), resources=[objects])
        )
        principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(kms_actions),
                resources=[self.encryption_key.key_arn],
                conditions=s3_kms_conditions(Stack.of(self.bucket).region, self.bucket, f"{key_prefix}*"),
            )
        )
        policy = added.policy_dependable
        if not added.statement_added or not isinstance(policy, Construct):
            return  # an immutable or foreign principal: nothing was added where the packs look
        resource = nag_resource(Stack.of(policy), objects)
        if resource is not None:
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::{resource}]",
                f"{self.node.path}.{method}(key_prefix={key_prefix!r}): object keys "
                f"under {key_prefix!r} are created at run time, so the grant names the prefix, not each "
                f"key: {verb} under that prefix of this one bucket, no listing, no other prefix.",
            )


def _validate(
    problems: Problems,
    *,
    stack: Stack,
    access_log_bucket: s3.IBucket | None,
    access_log_retention: Duration | None,
    cors_origins: Sequence[str],
    cors_methods: Sequence[s3.HttpMethods],
    noncurrent_version_expiration: Duration,
    replication_destination: s3.IBucket | None,
) -> None:
    for i, origin in enumerate(cors_origins):
        why = _origin_problem(origin)
        if why:
            problems.add(
                f"cors_origins[{i}]",
                origin,
                why,
                "pass an https origin such as 'https://app.example.com' (scheme and host, no path), "
                "or a token such as CdnFrontend.url",
            )
    if cors_origins and not cors_methods:
        problems.add(
            "cors_methods",
            list(cors_methods),
            "is empty while cors_origins is given",
            "pass e.g. (s3.HttpMethods.PUT, s3.HttpMethods.GET), or no cors_origins",
        )
    if access_log_bucket is not None and access_log_retention is not None:
        problems.add(
            "access_log_retention",
            access_log_retention,
            "applies only to the log bucket PrivateBucket creates, and access_log_bucket is given",
            "set the expiry on your access_log_bucket's lifecycle, and drop access_log_retention",
        )
    for name, duration in (
        ("noncurrent_version_expiration", noncurrent_version_expiration),
        ("access_log_retention", access_log_retention),
    ):
        days = duration.to_days(integral=False) if duration is not None else None
        if days is not None and not Token.is_unresolved(days) and (days < 1 or days != int(days)):
            problems.add(name, duration, "is not a whole number of days (1 or more)", "pass Duration.days(n)")
    if replication_destination is not None:
        check_destination(problems, stack=stack, destination=replication_destination, objects="the objects")


def _origin_problem(origin: str) -> str | None:
    """Why ``origin`` is not an https origin (``None`` when it is one, or a token)."""
    if Token.is_unresolved(origin):
        return None
    parts = urlsplit(origin)
    if parts.scheme != "https":
        return "is not an https origin (browsers would send plain-HTTP pages' requests too)"
    if not parts.hostname or parts.username or parts.password or "*" in origin:
        return "has no host name, or a user, password or wildcard"
    if parts.path not in ("",) or parts.query or parts.fragment:
        return "has a path, query or fragment: an origin is scheme and host (and port) only"
    return None
