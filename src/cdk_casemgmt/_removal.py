"""What "retain" means for the resources our constructs create.

CloudFormation applies ``DeletionPolicy: Retain`` also when it rolls back a failed create: the resource stays,
outside any stack, and a resource with a fixed name (a log group, a backup vault) then makes the retry of the
same template fail with "already exists". ``RetainExceptOnCreate`` keeps the resource on stack deletion and on
replacement, and deletes it when its own creation is rolled back
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy

__all__ = ["retain_except_on_create"]


def retain_except_on_create(policy: RemovalPolicy) -> RemovalPolicy:
    """``policy``, with ``RETAIN`` narrowed to ``RETAIN_ON_UPDATE_OR_DELETE``; any other policy as given."""
    return RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE if policy is RemovalPolicy.RETAIN else policy
