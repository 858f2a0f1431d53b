"""Databases: RDS and Aurora instances, Aurora cluster storage and I/O, RDS Proxy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_casemgmt.cost.context import Missing, PricingContext, refers_to
from cdk_casemgmt.cost.lines import LineBuilder, show_num
from cdk_casemgmt.cost.rules._registry import rule

_SIZE_VCPU = {"micro": 2, "small": 2, "medium": 2, "large": 2, "xlarge": 4}


def _vcpus(instance_class: str) -> int | None:
    size = instance_class.rsplit(".", 1)[-1]
    if size in _SIZE_VCPU:
        return _SIZE_VCPU[size]
    if size.endswith("xlarge") and size[:-6].isdigit():
        return 4 * int(size[:-6])
    return None


def _engine_key(engine: str) -> str:
    return engine.replace("-", "_")


@rule("AWS::RDS::DBInstance")
def _db_instance(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::RDS::DBInstance")
    cls = str(ctx.literal(props, "DBInstanceClass"))
    cluster_id = ctx.target(props.get("DBClusterIdentifier")) if "DBClusterIdentifier" in props else None
    if "DBClusterIdentifier" in props:
        cluster = ctx.props(cluster_id) if cluster_id else {}
        engine = str(
            ctx.literal(props, "Engine", None) or ctx.literal(cluster, "Engine", "aurora-postgresql")
        )
        io_opt = ctx.literal(cluster, "StorageType", "aurora") == "aurora-iopt1"
        if cls == "db.serverless":
            cfg = ctx.literal(cluster, "ServerlessV2ScalingConfiguration", None)
            if not cfg:
                raise Missing("the cluster's ServerlessV2ScalingConfiguration is not literal")
            lo = float(cfg.get("MinCapacity", 0.5))
            hi = float(cfg.get("MaxCapacity", lo))
            variant = "serverless_v2_io_optimized" if io_opt else "serverless_v2"
            key = f"rds.{_engine_key(engine)}.{variant}.acu_hour"
            line.hourly("Aurora Serverless v2", key, lo, f"{show_num(lo)} ACU (minimum)")
            p = ctx.rate(key)
            line.max_monthly_usd = hi * p.usd * ctx.hours
            line.notes.append(
                f"scales {show_num(lo)}-{show_num(hi)} ACU: ${line.max_monthly_usd:,.2f}/month at maximum"
            )
            if lo == 0:
                line.notes.append("minimum 0 ACU: pauses when idle, billed for the time it runs")
        else:
            key = f"rds.{_engine_key(engine)}.{cls}{'.io_optimized' if io_opt else ''}.hour"
            line.hourly("Aurora instance", key, 1, f"1 {cls}")
        line.notes.append("storage and I/O are priced on the cluster")
        return line
    engine = str(ctx.literal(props, "Engine", "")).lower()
    if not engine:
        raise Missing("Engine not given")
    multi = str(ctx.literal(props, "MultiAZ", False)).lower() == "true"
    az = "multi_az" if multi else "single_az"
    az_name = "Multi-AZ" if multi else "Single-AZ"
    key = f"rds.{_engine_key(engine)}.{cls}.{az}.hour"
    if ctx.prices.get(key) is None:
        raise Missing(
            f"no {cls} {az_name} {engine} rate in the {ctx.prices.region} price file "
            "(Multi-AZ is priced per class, never by doubling)"
        )
    line.hourly("instance", key, 1, f"1 {cls} {az_name}")

    def storage() -> None:
        gb_raw = ctx.literal(props, "AllocatedStorage")
        if gb_raw is None:
            raise Missing("AllocatedStorage not given")
        gb = float(gb_raw)
        vol = str(ctx.literal(props, "StorageType", "io1" if "Iops" in props else "gp2")).lower()
        line.monthly("storage", f"rds.storage.{vol}.{az}.gb_month", gb, f"{show_num(gb)} GB {vol} {az_name}")
        if vol == "gp3" and ("Iops" in props or "StorageThroughput" in props):
            line.notes.append("gp3 IOPS/throughput above the included baseline are not priced")
        max_gb = ctx.literal(props, "MaxAllocatedStorage", None)
        if max_gb:
            line.notes.append(f"storage autoscaling up to {max_gb} GB")

    line.try_("storage", storage)
    retention = ctx.literal(props, "BackupRetentionPeriod", 1)
    if retention and int(retention) > 0:
        line.notes.append("automated backups up to the allocated size are free; beyond that billed by use")
    pi_days = ctx.literal(props, "PerformanceInsightsRetentionPeriod", 7)
    if (
        str(ctx.literal(props, "EnablePerformanceInsights", False)).lower() == "true"
        and int(pi_days or 7) > 7
    ):
        line.unpriced.append(
            f"Performance Insights retention of {pi_days} days (beyond the free 7) has no rate"
        )
    return line


@rule("AWS::RDS::DBCluster")
def _db_cluster(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::RDS::DBCluster")
    engine = str(ctx.literal(props, "Engine", ""))
    if not engine.startswith("aurora"):
        raise Missing(f"{engine or 'non-Aurora'} DB clusters are not in the price file")
    io_opt = ctx.literal(props, "StorageType", "aurora") == "aurora-iopt1"
    key = "rds.aurora.io_optimized_storage.gb_month" if io_opt else "rds.aurora.storage.gb_month"
    line.shared_usage("storage", key, ctx.usage.aurora_storage_gb, "{share} GB (usage over {n} clusters)")
    if not io_opt:
        line.shared_usage(
            "I/O", "rds.aurora.io.million_requests", ctx.usage.aurora_io_millions, "{share}M requests (usage)"
        )
    line.notes.append("compute is priced on the cluster's DB instances")
    return line


@rule("AWS::RDS::DBProxy")
def _db_proxy(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::RDS::DBProxy")
    vcpu = 0.0
    acu = 0.0
    found = False
    for _, tg in ctx.of_type("AWS::RDS::DBProxyTargetGroup"):
        tprops = tg.get("Properties", {})
        if not refers_to(tprops.get("DBProxyName"), lid):
            continue
        for ref in tprops.get("DBInstanceIdentifiers", []) or []:
            target = ctx.target(ref)
            if target is None:
                raise Missing("a proxy target instance is not in this template")
            cores = _vcpus(str(ctx.literal(ctx.props(target), "DBInstanceClass")))
            if cores is None:
                raise Missing("unknown vCPU count of the target instance class")
            vcpu += cores
            found = True
        for ref in tprops.get("DBClusterIdentifiers", []) or []:
            cluster = ctx.target(ref)
            if cluster is None:
                raise Missing("a proxy target cluster is not in this template")
            for iid, inst in ctx.of_type("AWS::RDS::DBInstance"):
                iprops = inst.get("Properties", {})
                if not refers_to(iprops.get("DBClusterIdentifier"), cluster):
                    continue
                cls = str(ctx.literal(iprops, "DBInstanceClass"))
                if cls == "db.serverless":
                    cfg = ctx.literal(ctx.props(cluster), "ServerlessV2ScalingConfiguration", {}) or {}
                    acu += float(cfg.get("MinCapacity", 0.5))
                else:
                    cores = _vcpus(cls)
                    if cores is None:
                        raise Missing(f"unknown vCPU count of {iid}")
                    vcpu += cores
                found = True
    if not found:
        raise Missing("no target group with literal targets for this proxy")
    if vcpu:
        billed = max(vcpu, 2.0)
        line.hourly("proxy", "rds.proxy.vcpu_hour", billed, f"{show_num(billed)} target vCPUs (min 2)")
    if acu:
        billed = max(acu, 8.0)
        line.hourly(
            "proxy", "rds.proxy.vcpu_hour", billed, f"{show_num(billed)} ACU (serverless targets, min 8)"
        )
    return line
