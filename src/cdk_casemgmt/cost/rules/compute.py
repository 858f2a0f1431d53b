"""Compute: ECS services on Fargate (on demand and Spot, autoscaled at the profile's task count)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_casemgmt.cost.context import UNRESOLVED, Missing, PricingContext, refers_to
from cdk_casemgmt.cost.lines import LineBuilder, show_num, show_usd
from cdk_casemgmt.cost.model import Component, NoCharge
from cdk_casemgmt.cost.prices import weakest
from cdk_casemgmt.cost.rules._registry import rule


def _fargate_size(ctx: PricingContext, td: Mapping[str, Any]) -> tuple[float, float]:
    cpu_raw = ctx.literal(td, "Cpu")
    mem_raw = ctx.literal(td, "Memory")
    if cpu_raw is None or mem_raw is None:
        raise Missing("the task definition gives no task-level Cpu/Memory")
    cpu_s, mem_s = str(cpu_raw).strip().lower(), str(mem_raw).strip().lower()
    vcpu = float(cpu_s.replace("vcpu", "").strip()) if "vcpu" in cpu_s else float(cpu_s) / 1024
    gb = float(mem_s.replace("gb", "").strip()) if "gb" in mem_s else float(mem_s) / 1024
    return vcpu, gb


def _scaling_range(ctx: PricingContext, service_id: str) -> tuple[int, int] | None:
    for _, target in ctx.of_type("AWS::ApplicationAutoScaling::ScalableTarget"):
        props = target.get("Properties", {})
        if props.get("ServiceNamespace") == "ecs" and refers_to(props.get("ResourceId"), service_id):
            lo, hi = ctx.resolve(props.get("MinCapacity")), ctx.resolve(props.get("MaxCapacity"))
            if isinstance(lo, (int, float, str)) and isinstance(hi, (int, float, str)):
                return int(lo), int(hi)
    return None


def _spot_split(strategy: list[Any], n: float) -> tuple[float, float] | None:
    """Tasks on FARGATE and FARGATE_SPOT for ``n`` tasks (base first, then by weight)."""
    entries = []
    for s in strategy:
        if not isinstance(s, Mapping):
            return None
        provider = s.get("CapacityProvider")
        if provider not in ("FARGATE", "FARGATE_SPOT"):
            return None
        entries.append((provider, float(s.get("Base", 0) or 0), float(s.get("Weight", 0) or 0)))
    if not entries:
        return None
    od = spot = 0.0
    remaining = n
    for provider, base, _ in entries:
        take = min(base, remaining)
        remaining -= take
        if provider == "FARGATE":
            od += take
        else:
            spot += take
    total_weight = sum(w for _, _, w in entries)
    if remaining > 0 and total_weight > 0:
        for provider, _, weight in entries:
            part = remaining * weight / total_weight
            if provider == "FARGATE":
                od += part
            else:
                spot += part
    return od, spot


@rule("AWS::ECS::Service")
def _ecs_service(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder | NoCharge:
    line = LineBuilder(ctx, lid, "AWS::ECS::Service")
    td_id = ctx.target(props.get("TaskDefinition"))
    if td_id is None:
        raise Missing("TaskDefinition is not a resource of this template")
    td = ctx.props(td_id)
    strategy = (
        ctx.resolve(props.get("CapacityProviderStrategy")) if "CapacityProviderStrategy" in props else None
    )
    if strategy is UNRESOLVED:
        raise Missing("CapacityProviderStrategy is not literal")
    launch = ctx.literal(props, "LaunchType")
    if strategy is None and launch is None:
        cluster_id = ctx.target(props.get("Cluster"))
        if cluster_id:
            strategy = ctx.resolve(ctx.props(cluster_id).get("DefaultCapacityProviderStrategy")) or None
            for _, assoc in ctx.of_type("AWS::ECS::ClusterCapacityProviderAssociations"):
                if refers_to(assoc.get("Properties", {}).get("Cluster"), cluster_id):
                    strategy = ctx.resolve(assoc["Properties"].get("DefaultCapacityProviderStrategy"))
        if strategy in (None, UNRESOLVED):
            strategy = None
            compat = ctx.resolve(td.get("RequiresCompatibilities"))
            if isinstance(compat, list) and "FARGATE" in compat:
                launch = "FARGATE"
                line.notes.append("no launch type given: Fargate assumed from the task definition")
    fargate = launch == "FARGATE" or (
        isinstance(strategy, list)
        and all(
            isinstance(s, Mapping) and s.get("CapacityProvider") in ("FARGATE", "FARGATE_SPOT")
            for s in strategy
        )
    )
    if not fargate:
        if launch == "EC2" or strategy:
            return ctx.no_charge(
                lid, "AWS::ECS::Service", "EC2 capacity: billed as the EC2 instances that run the tasks"
            )
        raise Missing("cannot tell the launch type")
    if ctx.literal(props, "SchedulingStrategy", "REPLICA") == "DAEMON":
        raise Missing("DAEMON scheduling is not priced")
    platform = ctx.literal(td, "RuntimePlatform", {}) or {}
    os_family = str(platform.get("OperatingSystemFamily", "LINUX"))
    if os_family != "LINUX":
        raise Missing(f"Fargate {os_family} is not in the price file")
    arch = "arm64" if str(platform.get("CpuArchitecture", "X86_64")).upper() == "ARM64" else "x86_64"
    vcpu, gb = _fargate_size(ctx, td)
    desired_raw = ctx.literal(props, "DesiredCount")
    rng = _scaling_range(ctx, lid)
    desired = int(desired_raw) if desired_raw is not None else (rng[0] if rng else 1)
    if desired_raw is None:
        line.notes.append(
            f"DesiredCount not given: {desired} assumed ({'autoscaling minimum' if rng else 'ECS default'})"
        )
    profile = ctx.usage.task_count
    if rng:
        lo, hi = rng
        n = {"min": lo, "desired": min(max(desired, lo), hi), "max": hi}[profile]
        line.notes.append(
            f"desired {desired}, autoscaling {lo}-{hi}: priced at {n} ({profile}, profile '{ctx.usage.name}')"
        )
    else:
        n, hi = desired, desired
    split = _spot_split(strategy, n) if isinstance(strategy, list) else (float(n), 0.0)
    if split is None:
        raise Missing("capacity provider strategy is not Fargate-only")
    vkey, gkey = f"fargate.linux.{arch}.vcpu_hour", f"fargate.linux.{arch}.gb_hour"
    vp, gp = ctx.rate(vkey), ctx.rate(gkey)
    per_task_hour = vcpu * vp.usd + gb * gp.usd
    size = (
        f"({show_num(vcpu)} vCPU × {show_usd(vp.usd)} + {show_num(gb)} GB × {show_usd(gp.usd)}) per task-hour"
    )
    arch_name = "ARM64" if arch == "arm64" else "x86"
    conf = weakest([vp.confidence, gp.confidence])
    od, spot = split
    if not n:
        line.notes.append("0 tasks: nothing runs")
    h = ctx.hours

    if od:
        line.components.append(
            Component(
                f"Fargate {arch_name}",
                od * per_task_hour * h,
                f"{show_num(od)} tasks × {size} × {show_num(h)} h",
                (vkey, gkey),
                conf,
            )
        )
    if spot:
        d = ctx.rate("fargate.spot.discount")
        line.components.append(
            Component(
                f"Fargate Spot {arch_name}",
                spot * per_task_hour * (1 - d.usd) * h,
                f"{show_num(spot)} tasks × {size} × (1 - {d.usd:g} Spot discount, stated) × {show_num(h)} h",
                (vkey, gkey, "fargate.spot.discount"),
                weakest([conf, d.confidence]),
            )
        )
    eph = ctx.literal(td, "EphemeralStorage", {}) or {}
    eph_gb = float(eph.get("SizeInGiB", 20) or 20)
    if eph_gb > 20:
        line.try_(
            "ephemeral storage",
            lambda: line.hourly(
                "ephemeral storage",
                "fargate.ephemeral_storage.gb_hour",
                n * (eph_gb - 20),
                f"{n} tasks × {show_num(eph_gb - 20)} GB above 20 GB",
            ),
        )
    net = (ctx.resolve(props.get("NetworkConfiguration")) or {}) if "NetworkConfiguration" in props else {}
    public = (
        isinstance(net, Mapping) and (net.get("AwsvpcConfiguration") or {}).get("AssignPublicIp") == "ENABLED"
    )
    if public:
        line.hourly("public IPv4", "vpc.public_ipv4.hour", n, f"{n} task addresses")
    if rng and hi != n and n:
        # Every component scales with the task count, except that the Spot split follows base/weight.
        hi_split = _spot_split(strategy, hi) if isinstance(strategy, list) else (float(hi), 0.0)
        assert hi_split is not None
        total = hi_split[0] * per_task_hour * h
        if hi_split[1]:
            total += hi_split[1] * per_task_hour * (1 - ctx.rate("fargate.spot.discount").usd) * h
        total += sum(c.monthly_usd for c in line.components if not c.name.startswith("Fargate")) / n * hi
        line.max_monthly_usd = total
        line.notes.append(f"at {hi} tasks: ${total:,.2f}/month")
    return line
