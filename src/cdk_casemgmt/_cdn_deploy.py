"""CdnFrontend's content: the built site and ``runtime-config.json`` copied into the site bucket by
aws-cdk-lib's BucketDeployment, under a role of our own that may touch this one bucket only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import CfnElement, CfnResource, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct, IValidation

from cdk_casemgmt._defaults import CDN
from cdk_casemgmt._removal import retain_except_on_create
from cdk_casemgmt.compliance import acknowledge

__all__ = ["deploy_site", "runtime_config_data"]

# One singleton handler per memory size and stack; 576 MiB keeps ours apart from other deployments.
_DEPLOYMENT_MEMORY_MIB = 576
_DEPLOYMENT_HANDLER_ID = (
    f"Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C{_DEPLOYMENT_MEMORY_MIB}MiB"
)
_IMMUTABLE = "public, max-age=31536000, immutable"
_NO_CACHE = "no-cache"


def runtime_config_data(
    api_base_url: str | None, auth_settings: Mapping[str, Any] | None, extra: Mapping[str, Any] | None
) -> dict[str, Any]:
    """What ``runtime-config.json`` holds: ``auth``, ``apiBaseUrl`` when known, then ``extra``."""
    config: dict[str, Any] = {"auth": dict(auth_settings or {})}
    if api_base_url is not None:
        config["apiBaseUrl"] = api_base_url
    config.update(extra or {})
    return config


def deploy_site(
    scope: Construct,
    *,
    site: Path,
    config: Mapping[str, Any],
    bucket: s3.Bucket,
    key: kms.IKey,
    distribution: cloudfront.Distribution,
    immutable: Sequence[str],
    removal_policy: RemovalPolicy,
) -> None:
    """Copy ``site`` and ``config`` into ``bucket``, then invalidate ``distribution``.

    Files matching ``immutable`` (content-hashed) are long-cached and never pruned; everything else is
    ``no-cache`` and replaced as a whole.
    """
    log_group = logs.LogGroup(
        scope,
        "DeploymentLogs",
        encryption_key=key,
        retention=CDN.deployment_log_retention,
        removal_policy=retain_except_on_create(removal_policy),
    )
    # BucketDeployment's own role gets AWSLambdaBasicExecutionRole, an inline policy and
    # wildcard actions on the whole CDK asset bucket. This role is immutable (the deployment's
    # grants are dropped) and gets exactly what the copy needs, object by object.
    role = iam.Role(
        scope,
        "DeploymentRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description="Copies site_dir into the site bucket and invalidates the distribution",
    )
    site_asset = s3_assets.Asset(scope, "SiteAsset", path=str(site))
    config_source = s3deploy.Source.json_data("runtime-config.json", config).bind(
        Construct(scope, "RuntimeConfig"), handler_role=role.without_policy_updates()
    )
    statements = [
        iam.PolicyStatement(
            actions=["s3:GetObject"],
            resources=[
                site_asset.bucket.arn_for_objects(site_asset.s3_object_key),
                config_source.bucket.arn_for_objects(config_source.zip_object_key),
            ],
        ),
        iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]),
        iam.PolicyStatement(
            actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            resources=[bucket.arn_for_objects("*")],
        ),
        iam.PolicyStatement(
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], resources=[key.key_arn]
        ),
        iam.PolicyStatement(
            actions=["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
            resources=[distribution.distribution_arn],
        ),
        iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
        ),
    ]
    policy = iam.ManagedPolicy(scope, "DeploymentPolicy", statements=statements, roles=[role])
    acknowledge(
        policy,
        f"AwsSolutions-IAM5[Resource::<{Stack.of(scope).get_logical_id(_cfn(bucket))}.Arn>/*]",
        "The deployment copies site_dir into the site bucket and prunes files that are no longer "
        "in the build, so it must read, write and delete any object key of this one bucket.",
    )
    handler_role = role.without_policy_updates()
    site_source = _BoundSource(
        s3deploy.SourceConfig(bucket=site_asset.bucket, zip_object_key=site_asset.s3_object_key)
    )
    # Hashed assets first and never pruned: a browser holding the previous index.html can
    # still fetch the files it names. The noncurrent-version lifecycle does not touch them.
    assets = s3deploy.BucketDeployment(
        scope,
        "DeployAssets",
        sources=[site_source],
        destination_bucket=bucket,
        exclude=["*"],
        include=list(immutable),
        prune=False,
        cache_control=[s3deploy.CacheControl.from_string(_IMMUTABLE)],
        role=handler_role,
        log_group=log_group,
        memory_limit=_DEPLOYMENT_MEMORY_MIB,
    )
    entry = s3deploy.BucketDeployment(
        scope,
        "DeploySite",
        sources=[site_source, _BoundSource(config_source)],
        destination_bucket=bucket,
        exclude=list(immutable),
        prune=True,
        cache_control=[s3deploy.CacheControl.from_string(_NO_CACHE)],
        distribution=distribution,
        distribution_paths=["/*"],
        role=handler_role,
        log_group=log_group,
        memory_limit=_DEPLOYMENT_MEMORY_MIB,
    )
    entry.node.add_dependency(assets)
    entry.node.add_dependency(policy)
    assets.node.add_dependency(policy)
    _acknowledge_deployment_handler(scope)
    scope.node.add_validation(_OwnHandler(scope))


def _acknowledge_deployment_handler(scope: Construct) -> None:
    stack = Stack.of(scope)
    handler = stack.node.try_find_child(_DEPLOYMENT_HANDLER_ID)
    if handler is None:  # pragma: no cover - BucketDeployment always creates it
        return
    reason = (
        "aws-cdk-lib's BucketDeployment handler (CDK's code), run only at deploy time to copy "
        "site_dir into the bucket; it talks to S3 and CloudFront only, needs no VPC, no reserved "
        "concurrency and no dead-letter queue (CloudFormation reports a failure), and CDK picks "
        "its runtime."
    )
    function = handler.node.default_child
    if isinstance(function, CfnResource):
        # aws-cdk-lib adds DependsOn on the role that Role already implies (cfn-lint W3005);
        # CDK's construct-level dependency cannot be removed, so the check is skipped here only.
        function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
    for rule in (
        "AwsSolutions-L1",
        "HIPAA.Security-LambdaConcurrency",
        "HIPAA.Security-LambdaDLQ",
        "HIPAA.Security-LambdaInsideVPC",
        "NIST.800.53.R5-LambdaConcurrency",
        "NIST.800.53.R5-LambdaDLQ",
        "NIST.800.53.R5-LambdaInsideVPC",
        "PCI.DSS.321-LambdaInsideVPC",
    ):
        acknowledge(handler, rule, reason)


@jsii.implements(s3deploy.ISource)
class _BoundSource:
    """A deployment source bound once, so its bucket and key are known for an exact grant."""

    def __init__(self, config: s3deploy.SourceConfig) -> None:
        self._config = config

    def bind(self, scope: Construct, *, handler_role: iam.IRole) -> s3deploy.SourceConfig:
        del scope, handler_role  # the read grant is in CdnFrontend's DeploymentPolicy
        return self._config


@jsii.implements(IValidation)
class _OwnHandler:
    """Fails synth when another BucketDeployment in the stack shares our handler (and so our role)."""

    def __init__(self, owner: Construct) -> None:
        self._owner = owner

    def validate(self) -> list[str]:
        own = self._owner.node.path + "/"
        return [
            f"{c.node.path} shares CdnFrontend's BucketDeployment handler, whose role may only write "
            f"to {own[:-1]}'s bucket. Fix: give it a memory_limit other than {_DEPLOYMENT_MEMORY_MIB}"
            for c in Stack.of(self._owner).node.find_all()
            if isinstance(c, s3deploy.BucketDeployment)
            and not c.node.path.startswith(own)
            and c.handler_role.node.path.startswith(own)
        ]


def _cfn(construct: Construct) -> CfnElement:
    child = construct.node.default_child
    assert isinstance(child, CfnElement)
    return child
