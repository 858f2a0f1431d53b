"""Refresh the shipped price files from the AWS Price List Query API (maintainers only).

Needs boto3 and AWS credentials allowed ``pricing:GetProducts``; never run by the test suite.
For each row it knows how to query, it asks for exactly one on-demand product in the region
(by the service code and usage type the Price List API files it under), and rewrites the
row with the API's rate, SKU, effective date and confidence ``high``. Rows it cannot refresh are
left as they are and listed at the end, so a reviewer sees what still rests on secondary sources.

    python scripts/refresh_prices.py us-east-1 eu-west-1 sa-east-1 [--dry-run]
    python scripts/refresh_prices.py us-west-2 --new   # start a file for another region

Review the diff before committing: a changed rate changes every user's estimate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

PRICES = Path(__file__).resolve().parent.parent / "src" / "cdk_casemgmt" / "cost" / "prices"

# usagetype prefix per region ("" = also try without a prefix, as some us-east-1 usage types have none)
PREFIX = {
    "us-east-1": ["", "USE1-"],
    "eu-west-1": ["EU-"],
    "sa-east-1": ["SAE1-"],
    "eu-west-2": ["EUW2-"],
    "us-west-2": ["USW2-"],
    "eu-central-1": ["EUC1-"],
}

# price key -> (service code, usagetype suffix, extra TERM_MATCH filters)
SIMPLE: dict[str, tuple[str, str, dict[str, str]]] = {
    "fargate.linux.x86_64.vcpu_hour": ("AmazonECS", "Fargate-vCPU-Hours:perCPU", {}),
    "fargate.linux.x86_64.gb_hour": ("AmazonECS", "Fargate-GB-Hours", {}),
    "fargate.linux.arm64.vcpu_hour": ("AmazonECS", "Fargate-ARM-vCPU-Hours:perCPU", {}),
    "fargate.linux.arm64.gb_hour": ("AmazonECS", "Fargate-ARM-GB-Hours", {}),
    "fargate.ephemeral_storage.gb_hour": ("AmazonECS", "Fargate-EphemeralStorage-GB-Hours", {}),
    "elb.application.hour": ("AWSELB", "LoadBalancerUsage", {"productFamily": "Load Balancer-Application"}),
    "elb.application.lcu_hour": ("AWSELB", "LCUUsage", {"productFamily": "Load Balancer-Application"}),
    "elb.network.hour": ("AWSELB", "LoadBalancerUsage", {"productFamily": "Load Balancer-Network"}),
    "elb.network.lcu_hour": ("AWSELB", "LCUUsage", {"productFamily": "Load Balancer-Network"}),
    "vpc.nat_gateway.hour": ("AmazonEC2", "NatGateway-Hours", {"productFamily": "NAT Gateway"}),
    "vpc.nat_gateway.gb": ("AmazonEC2", "NatGateway-Bytes", {"productFamily": "NAT Gateway"}),
    "vpc.public_ipv4.hour": ("AmazonVPC", "PublicIPv4:InUseAddress", {}),
    "vpc.interface_endpoint.az_hour": ("AmazonVPC", "VpcEndpoint-Hours", {}),
    "vpc.interface_endpoint.gb": ("AmazonVPC", "VpcEndpoint-Bytes", {}),
    "rds.storage.gp3.single_az.gb_month": ("AmazonRDS", "RDS:GP3-Storage", {}),
    "rds.storage.gp3.multi_az.gb_month": ("AmazonRDS", "RDS:Multi-AZ-GP3-Storage", {}),
    "rds.storage.gp2.single_az.gb_month": ("AmazonRDS", "RDS:GP2-Storage", {}),
    "rds.storage.gp2.multi_az.gb_month": ("AmazonRDS", "RDS:Multi-AZ-GP2-Storage", {}),
    "rds.backup.gb_month": ("AmazonRDS", "RDS:ChargedBackupUsage", {}),
    "rds.aurora_postgresql.serverless_v2.acu_hour": (
        "AmazonRDS",
        "Aurora:ServerlessV2Usage",
        {"databaseEngine": "Aurora PostgreSQL"},
    ),
    "rds.aurora_postgresql.serverless_v2_io_optimized.acu_hour": (
        "AmazonRDS",
        "Aurora:ServerlessV2IOOptimizedUsage",
        {"databaseEngine": "Aurora PostgreSQL"},
    ),
    "rds.aurora.storage.gb_month": ("AmazonRDS", "Aurora:StorageUsage", {}),
    "rds.aurora.io_optimized_storage.gb_month": ("AmazonRDS", "Aurora:IO-OptimizedStorageUsage", {}),
    "s3.standard.gb_month": ("AmazonS3", "TimedStorage-ByteHrs", {"volumeType": "Standard"}),
    "s3.requests.put_1k": ("AmazonS3", "Requests-Tier1", {}),
    "s3.requests.get_1k": ("AmazonS3", "Requests-Tier2", {}),
    "secretsmanager.secret_month": ("AWSSecretsManager", "AWSSecretsManager-Secrets", {}),
    "logs.ingest.standard.gb": ("AmazonCloudWatch", "DataProcessing-Bytes", {}),
    "logs.storage.gb_month": ("AmazonCloudWatch", "TimedStorage-ByteHrs", {}),
    "cloudwatch.alarm.standard_metric_month": ("AmazonCloudWatch", "CW:AlarmMonitorUsage", {}),
    "cloudwatch.custom_metric_month": ("AmazonCloudWatch", "CW:MetricMonitorUsage", {}),
    "data_transfer.internet_out.gb": ("AWSDataTransfer", "DataTransfer-Out-Bytes", {}),
    "ses.emails_1k": ("AmazonSES", "Recipients", {}),
}
# Per-unit multipliers where the file's unit differs from the API's (per 1k requests, per 1,000 e-mails).
SCALE = {"s3.requests.put_1k": 1000.0, "s3.requests.get_1k": 1000.0, "ses.emails_1k": 1000.0}


def _first_rate(client: Any, service: str, filters: dict[str, str]) -> tuple[float, str, str] | None:
    response = client.get_products(
        ServiceCode=service,
        Filters=[{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in filters.items()],
        FormatVersion="aws_v1",
        MaxResults=100,
    )
    products = [json.loads(p) for p in response.get("PriceList", [])]
    products = [
        p for p in products if "ExtendedSupport" not in p["product"]["attributes"].get("usagetype", "")
    ]
    if len(products) != 1:
        return None  # exactly one match: with several, the filters are ambiguous and any rate could be wrong
    product = products[0]
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        for dim in term["priceDimensions"].values():
            if str(dim.get("beginRange", "0")) == "0":
                return (
                    float(dim["pricePerUnit"]["USD"]),
                    product["product"]["sku"],
                    term.get("effectiveDate", ""),
                )
    return None


def refresh(region: str, *, dry_run: bool, new: bool) -> None:
    import boto3  # only the maintainer script needs it

    client = boto3.client("pricing", region_name="us-east-1")
    path = PRICES / f"{region}.json"
    if path.exists():
        doc = json.loads(path.read_text("utf-8"))
    elif new:
        doc = {"schema": 1, "region": region, "currency": "USD", "hours_per_month": 730, "prices": {}}
    else:
        sys.exit(f"{path} does not exist (use --new)")
    keys = set(doc["prices"]) | set(SIMPLE)
    refreshed, skipped = [], []
    for key in sorted(keys):
        rule = _rule_for(key)
        found = None
        if rule is not None:
            service, suffix, extra = rule
            for prefix in PREFIX.get(region, [""]):
                found = _first_rate(
                    client, service, {"regionCode": region, "usagetype": prefix + suffix, **extra}
                )
                if found:
                    break
        if not found:
            skipped.append(key)
            continue
        usd, sku, effective = found
        usd *= SCALE.get(key, 1.0)
        old = doc["prices"].get(key, {})
        doc["prices"][key] = {
            "usd": round(usd, 8),
            "unit": old.get("unit", ""),
            "source": f"AWS Price List Query API: {rule[0]} {rule[1]}, SKU {sku}",
            "source_date": effective[:10],
            "confidence": "high",
        }
        refreshed.append((key, old.get("usd"), usd))
    today = dt.date.today().isoformat()
    doc["prices_as_of"] = today
    doc["compiled"] = today
    doc["version"] = today.replace("-", ".")
    doc["prices"] = dict(sorted(doc["prices"].items()))
    for key, old_usd, usd in refreshed:
        flag = "" if old_usd == usd else f"  (was {old_usd})"
        print(f"{region} {key}: {usd}{flag}")
    print(f"{region}: {len(refreshed)} refreshed; not refreshed (still from secondary sources): {skipped}")
    if not dry_run:
        path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", "utf-8")


def _rule_for(key: str) -> tuple[str, str, dict[str, str]] | None:
    if key in SIMPLE:
        return SIMPLE[key]
    parts = key.split(".")
    # rds.postgres.db.<family>.<size>.<single_az|multi_az>.hour
    if len(parts) == 7 and parts[0] == "rds" and parts[1] == "postgres" and parts[6] == "hour":
        instance = ".".join(parts[2:5])
        deployment = "Multi-AZ" if parts[5] == "multi_az" else "Single-AZ"
        return (
            "AmazonRDS",
            f"{'Multi-AZUsage' if deployment == 'Multi-AZ' else 'InstanceUsage'}:{instance}",
            {"databaseEngine": "PostgreSQL", "deploymentOption": deployment, "instanceType": instance},
        )
    return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("regions", nargs="+")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write")
    parser.add_argument("--new", action="store_true", help="create the file for a region without one")
    args = parser.parse_args()
    for region in args.regions:
        refresh(region, dry_run=args.dry_run, new=args.new)


if __name__ == "__main__":
    main()
