"""``replication_destination``, which CdnFrontend and PrivateBucket share: the buckets both refuse, each
with the problem and the fix in the ValidationError."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from aws_cdk import Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from cdk_casemgmt import CdnFrontend, PrivateBucket, ValidationError
from cdk_casemgmt.testing import new_test_stack
from tests.conftest import ROOT

SITE = ROOT / "tests" / "fixtures" / "site"

CONSTRUCTS: dict[str, Callable[[Stack, s3.IBucket], object]] = {
    "CdnFrontend": lambda stack, bucket: CdnFrontend(
        stack, "Cdn", site_dir=SITE, replication_destination=bucket
    ),
    "PrivateBucket": lambda stack, bucket: PrivateBucket(stack, "Docs", replication_destination=bucket),
}


def _in_another_account(stack: Stack) -> s3.IBucket:
    """An imported KMS-encrypted bucket of account 222222222222 (not the test account)."""
    return s3.Bucket.from_bucket_attributes(
        stack,
        "Replica",
        bucket_arn="arn:aws:s3:::replica",
        account="222222222222",
        encryption_key=kms.Key.from_key_arn(
            stack, "Key", "arn:aws:kms:us-west-2:222222222222:key/11111111-2222-3333-4444-555555555555"
        ),
    )


@dataclass(frozen=True)
class Unusable:
    make: Callable[[Stack], s3.IBucket]
    """Builds the bucket as "Replica" in the given stack (the test account, us-east-1)."""
    problem: str
    """What the error says after ``replication_destination='<path>': ``."""
    fix: str


UNUSABLE = {
    "imported-without-kms-key": Unusable(
        lambda stack: s3.Bucket.from_bucket_arn(stack, "Replica", "arn:aws:s3:::replica"),
        "has no encryption_key",
        "Fix: create the bucket with encryption_key=",
    ),
    "without-kms-key": Unusable(
        lambda stack: s3.Bucket(stack, "Replica", versioned=True),
        "has no encryption_key",
        "Fix: create the bucket with encryption_key=",
    ),
    "without-versioning": Unusable(
        lambda stack: s3.Bucket(stack, "Replica", encryption_key=kms.Key(stack, "Key")),
        "is not versioned",
        "Fix: create the destination bucket with versioned=True",
    ),
    "in-another-account": Unusable(
        _in_another_account,
        "is in account 222222222222, not 111111111111",
        "Fix: replicate to a bucket of this account",
    ),
}


@pytest.mark.parametrize("construct", CONSTRUCTS)
@pytest.mark.parametrize("case", UNUSABLE)
def test_an_unusable_replication_destination_is_refused_with_the_fix(construct: str, case: str) -> None:
    unusable = UNUSABLE[case]
    stack = new_test_stack(id="Data")
    with pytest.raises(ValidationError) as err:
        CONSTRUCTS[construct](stack, unusable.make(stack))
    message = str(err.value)
    assert f"replication_destination='Data/Replica': {unusable.problem}" in message
    assert unusable.fix in message
