"""CloudFront facts that several modules need, as data."""

from __future__ import annotations

from collections.abc import Mapping

# com.amazonaws.global.cloudfront.origin-facing, per region. AWS publishes no CDK constant and a lookup
# needs credentials, so the IDs live in a CfnMapping keyed by region (resolved by CloudFormation).
# Source: the AWS networking blog post that introduced the managed prefix list; the same table is
# repeated verbatim across many public templates. A region missing here: pass cloudfront_prefix_list_id.
CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS: Mapping[str, str] = {
    "ap-northeast-1": "pl-58a04531",
    "ap-northeast-2": "pl-22a6434b",
    "ap-northeast-3": "pl-31a14458",
    "ap-south-1": "pl-9aa247f3",
    "ap-southeast-1": "pl-31a34658",
    "ap-southeast-2": "pl-b8a742d1",
    "ca-central-1": "pl-38a64351",
    "eu-central-1": "pl-a3a144ca",
    "eu-north-1": "pl-fab65393",
    "eu-west-1": "pl-4fa04526",
    "eu-west-2": "pl-93a247fa",
    "eu-west-3": "pl-75b1541c",
    "sa-east-1": "pl-5da64334",
    "us-east-1": "pl-3b927c52",
    "us-east-2": "pl-b6a144df",
    "us-west-1": "pl-4ea04527",
    "us-west-2": "pl-82a045eb",
}
