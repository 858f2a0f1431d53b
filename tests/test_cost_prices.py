"""The shipped price files: well-formed, and equal to the price survey wherever it is high-confidence.

tests/data/aws-prices.md is the survey of public AWS prices (source, date and confidence of each row)
that the price files were compiled from.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cdk_casemgmt.cost import available_regions, load_prices
from cdk_casemgmt.cost.prices import CONFIDENCE_ORDER, parse_price_file
from cdk_casemgmt.errors import ValidationError

NOTES = Path(__file__).parent / "data" / "aws-prices.md"
REGIONS = ("us-east-1", "eu-west-1", "sa-east-1")

# (item, region column) of every high-confidence row -> its price key. A row of one region is checked
# against that region's price file; a row for every region ("all", "edge geo") against each file.
MAPPED: dict[tuple[str, str], str] = {
    ("Hours per month used by AWS Pricing Calculator", "all"): "hours_per_month",
    ("Fargate Linux/x86 vCPU", "us-east-1"): "fargate.linux.x86_64.vcpu_hour",
    ("Fargate Linux/x86 memory", "us-east-1"): "fargate.linux.x86_64.gb_hour",
    ("Fargate Linux/x86 vCPU", "eu-west-1"): "fargate.linux.x86_64.vcpu_hour",
    ("Fargate Linux/x86 memory", "eu-west-1"): "fargate.linux.x86_64.gb_hour",
    ("Fargate Linux/ARM vCPU", "eu-west-1"): "fargate.linux.arm64.vcpu_hour",
    ("Fargate Linux/ARM memory", "eu-west-1"): "fargate.linux.arm64.gb_hour",
    ("Fargate Spot discount", "all"): "fargate.spot.discount",
    ("Fargate ephemeral storage above the free 20 GB", "us-east-1"): "fargate.ephemeral_storage.gb_hour",
    ("ALB hour", "us-east-1"): "elb.application.hour",
    ("ALB LCU", "us-east-1"): "elb.application.lcu_hour",
    ("ALB hour", "eu-west-1"): "elb.application.hour",
    ("ALB LCU", "eu-west-1"): "elb.application.lcu_hour",
    ("ALB hour", "sa-east-1"): "elb.application.hour",
    ("ALB LCU", "sa-east-1"): "elb.application.lcu_hour",
    ("NAT gateway hour", "us-east-1"): "vpc.nat_gateway.hour",
    ("NAT gateway data processed", "us-east-1"): "vpc.nat_gateway.gb",
    ("NAT gateway hour", "eu-west-1"): "vpc.nat_gateway.hour",
    ("NAT gateway data processed", "eu-west-1"): "vpc.nat_gateway.gb",
    ("NAT gateway hour", "sa-east-1"): "vpc.nat_gateway.hour",
    ("NAT gateway data processed", "sa-east-1"): "vpc.nat_gateway.gb",
    ("Public IPv4 address (in use or idle), charged since 2024-02-01", "us-east-1"): "vpc.public_ipv4.hour",
    ("Public IPv4 address", "eu-west-1"): "vpc.public_ipv4.hour",
    ("Public IPv4 address", "sa-east-1"): "vpc.public_ipv4.hour",
    ("RDS PostgreSQL db.t3.micro Single-AZ", "us-east-1"): "rds.postgres.db.t3.micro.single_az.hour",
    ("RDS PostgreSQL db.t4g.micro Single-AZ", "us-east-1"): "rds.postgres.db.t4g.micro.single_az.hour",
    ("RDS PostgreSQL db.t4g.small Single-AZ", "us-east-1"): "rds.postgres.db.t4g.small.single_az.hour",
    ("RDS PostgreSQL db.t4g.small Multi-AZ", "us-east-1"): "rds.postgres.db.t4g.small.multi_az.hour",
    ("RDS PostgreSQL db.t4g.medium Multi-AZ", "us-east-1"): "rds.postgres.db.t4g.medium.multi_az.hour",
    ("RDS PostgreSQL db.t4g.micro Single-AZ", "eu-west-1"): "rds.postgres.db.t4g.micro.single_az.hour",
    ("RDS PostgreSQL db.m6g.large Multi-AZ", "eu-west-1"): "rds.postgres.db.m6g.large.multi_az.hour",
    ("RDS PostgreSQL db.m7g.large Multi-AZ", "sa-east-1"): "rds.postgres.db.m7g.large.multi_az.hour",
    ("RDS gp2 storage Single-AZ", "us-east-1"): "rds.storage.gp2.single_az.gb_month",
    ("RDS gp3 storage Single-AZ", "us-east-1"): "rds.storage.gp3.single_az.gb_month",
    ("RDS gp3 storage Multi-AZ", "us-east-1"): "rds.storage.gp3.multi_az.gb_month",
    ("RDS gp3 storage Single-AZ", "eu-west-1"): "rds.storage.gp3.single_az.gb_month",
    ("RDS gp3 storage Multi-AZ", "eu-west-1"): "rds.storage.gp3.multi_az.gb_month",
    ("RDS gp3 storage Multi-AZ", "sa-east-1"): "rds.storage.gp3.multi_az.gb_month",
    (
        "RDS backup storage beyond the free allowance (100% of provisioned storage)",
        "us-east-1",
    ): "rds.backup.gb_month",
    (
        "Aurora PostgreSQL Serverless v2 (Standard)",
        "us-east-1",
    ): "rds.aurora_postgresql.serverless_v2.acu_hour",
    ("Aurora storage (Standard)", "us-east-1"): "rds.aurora.storage.gb_month",
    ("Aurora I/O requests (Standard)", "us-east-1"): "rds.aurora.io.million_requests",
    ("Aurora storage (I/O-Optimized)", "us-east-1"): "rds.aurora.io_optimized_storage.gb_month",
    ("CloudFront data transfer out, first 10 TB: US, Mexico, Canada", "edge geo"): "cloudfront.us.gb",
    ("CloudFront data transfer out, first 10 TB: Europe, Israel, Türkiye", "edge geo"): "cloudfront.eu.gb",
    ("CloudFront data transfer out, first 10 TB: South America", "edge geo"): "cloudfront.sa.gb",
    ("CloudFront HTTPS requests: US (HTTP is 0.0075)", "edge geo"): "cloudfront.us.https_10k",
    ("S3 Standard storage, first 50 TB", "us-east-1"): "s3.standard.gb_month",
    ("S3 PUT/COPY/POST/LIST", "us-east-1"): "s3.requests.put_1k",
    ("S3 GET and other requests", "us-east-1"): "s3.requests.get_1k",
    ("S3 Standard storage, first 50 TB", "eu-west-1"): "s3.standard.gb_month",
    ("S3 PUT/COPY/POST/LIST", "eu-west-1"): "s3.requests.put_1k",
    ("S3 GET", "eu-west-1"): "s3.requests.get_1k",
    ("S3 Standard storage, first 50 TB", "sa-east-1"): "s3.standard.gb_month",
    ("S3 PUT/COPY/POST/LIST", "sa-east-1"): "s3.requests.put_1k",
    ("S3 GET", "sa-east-1"): "s3.requests.get_1k",
    ("Secrets Manager secret", "us-east-1"): "secretsmanager.secret_month",
    ("KMS customer-managed key (AWS-managed keys are free)", "us-east-1"): "kms.key_month",
    ("CloudWatch Logs ingestion (Standard class)", "us-east-1"): "logs.ingest.standard.gb",
    ("CloudWatch Logs storage", "us-east-1"): "logs.storage.gb_month",
    ("CloudWatch Logs ingestion", "eu-west-1"): "logs.ingest.standard.gb",
    ("CloudWatch Logs storage", "eu-west-1"): "logs.storage.gb_month",
    ("CloudWatch Logs ingestion", "sa-east-1"): "logs.ingest.standard.gb",
    ("CloudWatch Logs storage", "sa-east-1"): "logs.storage.gb_month",
    (
        "CloudWatch alarm, standard resolution (10 free)",
        "us-east-1",
    ): "cloudwatch.alarm.standard_metric_month",
    ("CloudWatch alarm, standard resolution", "eu-west-1"): "cloudwatch.alarm.standard_metric_month",
    ("WAF web ACL (same price in every region)", "all"): "waf.web_acl_month",
    ("WAF rule", "all"): "waf.rule_month",
    ("WAF requests", "all"): "waf.million_requests",
    ("VPC interface endpoint", "us-east-1"): "vpc.interface_endpoint.az_hour",
    (
        "VPC interface endpoint data processed, first 1 PB (next 4 PB 0.006, above 5 PB 0.004)",
        "us-east-1",
    ): "vpc.interface_endpoint.gb",
    (
        "Cognito user pools, Lite tier (10k MAU free; 0.0046 per MAU for the next 900k)",
        "all (not checked per region)",
    ): "cognito.lite.mau",
    (
        "Cognito user pools, Essentials tier (default for new pools; 10k MAU free)",
        "all",
    ): "cognito.essentials.mau",
    ("Cognito user pools, Plus tier (no free tier)", "all"): "cognito.plus.mau",
    ("SES outbound email (attachments 0.12 per GB)", "eu-west-1"): "ses.emails_1k",
    (
        "Data transfer out to internet, first 10 TB (100 GB/month free globally)",
        "us-east-1",
    ): "data_transfer.internet_out.gb",
    ("Cross-AZ data transfer (charged in each direction)", "us-east-1"): "data_transfer.cross_az.gb",
}

# High-confidence rows deliberately not in the price files, each with the reason.
NOT_PRICED: dict[tuple[str, str], str] = {
    ("RDS t4g CPU credits (unlimited mode surplus)", "us-east-1"): "depends on CPU use; no template signal",
    ("Performance Insights free tier", "all"): "a free allowance, not a rate",
    ("CloudFront always-free tier", "global"): (
        "estimates use list prices without free tiers, like the AWS calculator: a free tier is per account "
        "and shared by everything in it (docs/design.md#cost-comparison-basis)"
    ),
    ("Secrets Manager API calls", "us-east-1"): "no usage number for API calls in the profiles",
    ("KMS requests (20k free per month, all regions)", "us-east-1"): "no usage number for KMS requests",
    ("CloudWatch vended logs (e.g. VPC flow logs), first 10 TB", "us-east-1"): (
        "log ingestion is priced per log group at the standard rate (same 0.50 in us-east-1)"
    ),
    ("VPC gateway endpoint (S3, DynamoDB)", "all"): "priced as 'no charge' by the pricer, not a rate row",
}


def high_confidence_rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in NOTES.read_text("utf-8").splitlines():
        if not line.startswith("| ") or line.startswith(("| item", "|---")):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[6].startswith("high"):
            rows.append((cells[0], cells[1], cells[3]))
    return rows


def first_number(text: str) -> float:
    match = re.search(r"\d+(?:\.\d+)?", text)
    assert match, text
    value = float(match.group())
    return value / 100 if "%" in text else value


def test_every_high_confidence_row_is_checked_or_excluded_with_a_reason() -> None:
    rows = high_confidence_rows()
    assert len(rows) > 60  # the parser found the table
    unaccounted = [(item, region) for item, region, _ in rows if (item, region) not in MAPPED | NOT_PRICED]
    assert unaccounted == []


@pytest.mark.parametrize(("item", "region", "usd"), high_confidence_rows())
def test_price_file_agrees_with_high_confidence_research(item: str, region: str, usd: str) -> None:
    if (item, region) in NOT_PRICED:
        pytest.skip(NOT_PRICED[(item, region)])
    key = MAPPED[(item, region)]
    for r in (region,) if region in REGIONS else REGIONS:
        book = load_prices(r)
        actual = book.hours_per_month if key == "hours_per_month" else book.prices[key].usd
        assert actual == pytest.approx(first_number(usd)), (r, key)


@pytest.mark.parametrize("region", REGIONS)
def test_price_files_are_dated_versioned_and_every_row_has_source_and_confidence(region: str) -> None:
    book = load_prices(region)
    assert book.region == region
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", book.prices_as_of)
    assert book.version
    for price in book.prices.values():
        assert price.source.strip(), price.key
        assert price.confidence in CONFIDENCE_ORDER, price.key
        assert price.unit, price.key


def test_shipped_regions() -> None:
    assert set(REGIONS) <= set(available_regions())


def test_unknown_region_names_the_available_ones() -> None:
    with pytest.raises(ValidationError) as err:
        load_prices("ap-south-7")
    message = str(err.value)
    assert "region='ap-south-7'" in message
    for region in REGIONS:
        assert region in message


def test_a_row_without_source_or_with_an_unknown_confidence_is_rejected() -> None:
    doc = {
        "region": "x",
        "prices": {
            "a": {"usd": 1, "unit": "u", "source": "", "confidence": "high"},
            "b": {"usd": 1, "unit": "u", "source": "s", "confidence": "sure"},
        },
    }
    with pytest.raises(ValidationError) as err:
        parse_price_file(doc)
    assert "prices.a.source" in str(err.value)
    assert "prices.b.confidence='sure'" in str(err.value)


def test_refresh_script_queries_keys_the_price_files_use() -> None:
    from tests.helpers import load_module

    # boto3 is imported only when the script runs
    module = load_module("refresh_prices", Path(__file__).parent.parent / "scripts" / "refresh_prices.py")
    known = set().union(*(load_prices(r).prices for r in REGIONS))
    assert set(module.SIMPLE) <= known
    rule = module._rule_for("rds.postgres.db.t4g.medium.multi_az.hour")
    assert rule == (
        "AmazonRDS",
        "Multi-AZUsage:db.t4g.medium",
        {"databaseEngine": "PostgreSQL", "deploymentOption": "Multi-AZ", "instanceType": "db.t4g.medium"},
    )
