"""The customer-managed KMS key a construct of ours creates when the user gives none (SecureVpc,
SecureFargateApi, PostgresDatabase, PrivateBucket, CdnFrontend): automatic rotation on, construct ID ``Key``.

The ID is part of the key's logical ID and so of every deployed stack: it stays ``Key``.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct

__all__ = ["rotating_key"]


def rotating_key(scope: Construct, *, description: str, removal_policy: RemovalPolicy) -> kms.Key:
    """A new key ``Key`` in ``scope`` with automatic yearly rotation.

    :param description: what the key encrypts, shown in the KMS console (name the owning construct's path).
    :param removal_policy: what happens to the key when it leaves the stack.
    """
    return kms.Key(
        scope,
        "Key",
        enable_key_rotation=True,
        description=description,
        removal_policy=removal_policy,
    )
