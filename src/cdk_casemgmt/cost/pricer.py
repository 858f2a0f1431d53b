"""A pure-Python pricer over CloudFormation templates (dicts), for any template, not only ours.

Rules are data-driven on resource types and properties: each rule reads literal properties
(resolving ``Ref`` to parameters' defaults, ``Fn::FindInMap`` and references between resources
where it can), multiplies rates from the price file and writes the formula it used. What it cannot
resolve or has no rate for is listed as unpriced, never counted as zero.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdk_casemgmt.cost.model import Component, Estimate, LineItem, NoCharge, StackEstimate, Unpriced
from cdk_casemgmt.cost.prices import Price, PriceBook, load_prices
from cdk_casemgmt.cost.usage import UsageProfile

DEFAULT_REGION = "us-east-1"


class _Unresolved:
    def __repr__(self) -> str:
        return "<unresolved>"


UNRESOLVED: Any = _Unresolved()


class _Missing(Exception):
    """A rate the price file lacks, or a property the template does not give literally."""


# --------------------------------------------------------------------------------------------------
# Template context: resolution of intrinsics and references


@dataclass
class _Ctx:
    stack: str
    template: Mapping[str, Any]
    prices: PriceBook
    usage: UsageProfile
    nested_loader: Callable[[str], Mapping[str, Any] | None] | None = None
    low_confidence_keys: set[str] = field(default_factory=set)
    resources: Mapping[str, Mapping[str, Any]] = field(init=False)
    counts: dict[str, int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.resources = dict(self.template.get("Resources", {}) or {})

    @property
    def hours(self) -> float:
        return self.prices.hours_per_month

    def rate(self, key: str) -> Price:
        price = self.prices.get(key)
        if price is None:
            raise _Missing(f"no '{key}' rate in the {self.prices.region} price file")
        if price.confidence in ("unverified", "low", "medium-low"):
            self.low_confidence_keys.add(key)
        return price

    def props(self, logical_id: str) -> Mapping[str, Any]:
        props = self.resources.get(logical_id, {}).get("Properties", {}) or {}
        return props if isinstance(props, Mapping) else {}

    def resolve(self, value: Any) -> Any:
        """A literal value, or UNRESOLVED."""
        if isinstance(value, (str, int, float, bool)) or value is None:
            return value
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return UNRESOLVED if any(i is UNRESOLVED for i in items) else items
        if isinstance(value, Mapping) and len(value) == 1 and _is_intrinsic(next(iter(value))):
            ((fn, arg),) = value.items()
            if fn == "Ref" and isinstance(arg, str):
                if arg == "AWS::Region":
                    return self.prices.region
                if arg == "AWS::Partition":
                    return "aws"
                if arg == "AWS::URLSuffix":
                    return "amazonaws.com"
                param = (self.template.get("Parameters") or {}).get(arg)
                if isinstance(param, Mapping) and "Default" in param:
                    default = param["Default"]
                    if str(param.get("Type", "")).startswith("CommaDelimitedList") or str(
                        param.get("Type", "")
                    ).startswith("List<"):
                        return [s.strip() for s in str(default).split(",")]
                    return default
                return UNRESOLVED
            if fn == "Fn::FindInMap" and isinstance(arg, list) and len(arg) == 3:
                keys = [self.resolve(a) for a in arg]
                if any(k is UNRESOLVED for k in keys):
                    return UNRESOLVED
                try:
                    return self.resolve(self.template["Mappings"][keys[0]][keys[1]][keys[2]])
                except (KeyError, TypeError):
                    return UNRESOLVED
            if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
                parts = self.resolve(arg[1])
                if parts is UNRESOLVED or not isinstance(parts, list):
                    return UNRESOLVED
                return str(arg[0]).join(str(p) for p in parts)
            return UNRESOLVED
        if isinstance(value, Mapping):
            out = {k: self.resolve(v) for k, v in value.items()}
            return UNRESOLVED if any(v is UNRESOLVED for v in out.values()) else out
        return UNRESOLVED

    def literal(self, props: Mapping[str, Any], name: str, default: Any = None) -> Any:
        if name not in props:
            return default
        value = self.resolve(props[name])
        if value is UNRESOLVED:
            raise _Missing(f"{name} is not a literal ({json.dumps(props[name])[:80]})")
        return value

    def count_of(self, props: Mapping[str, Any], name: str) -> int | None:
        """The length of a list property even when its items are references (per-AZ counting)."""
        value = props.get(name)
        if isinstance(value, list):
            return len(value)
        resolved = self.resolve(value) if value is not None else None
        return len(resolved) if isinstance(resolved, list) else None

    def target(self, value: Any) -> str | None:
        """The logical ID that ``value`` references (``Ref`` or ``Fn::GetAtt``), when in this template."""
        if isinstance(value, Mapping) and len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref" and isinstance(arg, str) and arg in self.resources:
                return arg
            if fn == "Fn::GetAtt":
                name = arg[0] if isinstance(arg, list) and arg else str(arg).split(".")[0]
                return name if name in self.resources else None
        return None

    def of_type(self, *types: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for logical_id, resource in self.resources.items():
            if resource.get("Type") in types:
                yield logical_id, resource

    def count(self, key: str, predicate: Callable[[str, Mapping[str, Any]], bool]) -> int:
        if key not in self.counts:
            self.counts[key] = sum(1 for lid, r in self.resources.items() if predicate(lid, r))
        return self.counts[key]


def _is_intrinsic(key: str) -> bool:
    return key == "Ref" or key.startswith("Fn::") or key == "Condition"


def _refers_to(value: Any, logical_id: str) -> bool:
    """True when ``value`` contains a Ref/GetAtt to ``logical_id`` anywhere."""
    if isinstance(value, Mapping):
        if value.get("Ref") == logical_id:
            return True
        att = value.get("Fn::GetAtt")
        if att is not None and (
            (isinstance(att, list) and att and att[0] == logical_id)
            or (isinstance(att, str) and att.split(".")[0] == logical_id)
        ):
            return True
        return any(_refers_to(v, logical_id) for v in value.values())
    if isinstance(value, list):
        return any(_refers_to(v, logical_id) for v in value)
    return False


# --------------------------------------------------------------------------------------------------
# Line building helpers


def _usd(rate: float) -> str:
    return f"${rate:g}"


def _num(x: float) -> str:
    return f"{x:g}" if x == int(x) or abs(x) >= 0.01 else f"{x:.4g}"


class _Line:
    """Collects the components of one resource."""

    def __init__(self, ctx: _Ctx, logical_id: str, rtype: str) -> None:
        self.ctx, self.logical_id, self.type = ctx, logical_id, rtype
        self.components: list[Component] = []
        self.notes: list[str] = []
        self.unpriced: list[str] = []
        self.max_monthly_usd: float | None = None

    def hourly(self, name: str, key: str, quantity: float, what: str, *, usage: bool = False) -> None:
        """quantity × rate × hours/month."""
        p = self.ctx.rate(key)
        h = self.ctx.hours
        self.components.append(
            Component(
                name=name,
                monthly_usd=quantity * p.usd * h,
                formula=f"{what} × {_usd(p.usd)}/{p.unit} × {_num(h)} h",
                price_keys=(key,),
                confidence=p.confidence,
                usage=usage,
            )
        )

    def monthly(
        self, name: str, key: str, quantity: float, what: str, *, usage: bool = False, per: float = 1.0
    ) -> None:
        """quantity / per × rate (rates per month, per GB, per 1k requests...)."""
        p = self.ctx.rate(key)
        self.components.append(
            Component(
                name=name,
                monthly_usd=quantity / per * p.usd,
                formula=f"{what} × {_usd(p.usd)}/{p.unit}",
                price_keys=(key,),
                confidence=p.confidence,
                usage=usage,
            )
        )

    def try_(self, part: str, fn: Callable[[], None]) -> None:
        """Price one part; on a missing rate or unresolvable property record it as unpriced."""
        try:
            fn()
        except _Missing as missing:
            self.unpriced.append(f"{part}: {missing}")

    def share(self, total: float, n: int) -> float:
        return total / n if n else 0.0


Result = LineItem | NoCharge | list[Unpriced]
Rule = Callable[[_Ctx, str, Mapping[str, Any]], "LineItem | NoCharge | _Line"]
RULES: dict[str, Rule] = {}


def rule(*types: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for t in types:
            RULES[t] = fn
        return fn

    return register


# Resources AWS does not bill by themselves. Keep the reason specific where usage is billed elsewhere.
NO_CHARGE: dict[str, str] = {
    **dict.fromkeys(
        (
            "AWS::EC2::VPC",
            "AWS::EC2::Subnet",
            "AWS::EC2::RouteTable",
            "AWS::EC2::Route",
            "AWS::EC2::SubnetRouteTableAssociation",
            "AWS::EC2::InternetGateway",
            "AWS::EC2::VPCGatewayAttachment",
            "AWS::EC2::SecurityGroup",
            "AWS::EC2::SecurityGroupIngress",
            "AWS::EC2::SecurityGroupEgress",
            "AWS::EC2::NetworkAcl",
            "AWS::EC2::NetworkAclEntry",
            "AWS::EC2::SubnetNetworkAclAssociation",
            "AWS::EC2::EgressOnlyInternetGateway",
            "AWS::EC2::VPCCidrBlock",
            "AWS::EC2::PrefixList",
            "AWS::EC2::LaunchTemplate",
            "AWS::IAM::Role",
            "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy",
            "AWS::IAM::InstanceProfile",
            "AWS::IAM::ServiceLinkedRole",
            "AWS::ECS::ClusterCapacityProviderAssociations",
            "AWS::ElasticLoadBalancingV2::Listener",
            "AWS::ElasticLoadBalancingV2::ListenerRule",
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            "AWS::ElasticLoadBalancingV2::ListenerCertificate",
            "AWS::ApplicationAutoScaling::ScalableTarget",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            "AWS::RDS::DBSubnetGroup",
            "AWS::RDS::DBParameterGroup",
            "AWS::RDS::DBClusterParameterGroup",
            "AWS::RDS::OptionGroup",
            "AWS::RDS::DBProxyTargetGroup",
            "AWS::RDS::DBProxyEndpoint",
            "AWS::SecretsManager::SecretTargetAttachment",
            "AWS::SecretsManager::ResourcePolicy",
            "AWS::KMS::Alias",
            "AWS::Logs::ResourcePolicy",
            "AWS::Logs::LogStream",
            "AWS::SNS::Subscription",
            "AWS::SNS::TopicPolicy",
            "AWS::SQS::QueuePolicy",
            "AWS::S3::BucketPolicy",
            "AWS::CloudFront::OriginAccessControl",
            "AWS::CloudFront::CachePolicy",
            "AWS::CloudFront::OriginRequestPolicy",
            "AWS::CloudFront::ResponseHeadersPolicy",
            "AWS::CloudFront::VpcOrigin",
            "AWS::CloudFront::CloudFrontOriginAccessIdentity",
            "AWS::WAFv2::WebACLAssociation",
            "AWS::WAFv2::IPSet",
            "AWS::WAFv2::RegexPatternSet",
            "AWS::Lambda::Permission",
            "AWS::Lambda::Version",
            "AWS::Lambda::Alias",
            "AWS::Lambda::EventSourceMapping",
            "AWS::Lambda::LayerVersion",
            "AWS::Lambda::Url",
            "AWS::CDK::Metadata",
            "AWS::CloudFormation::WaitConditionHandle",
            "AWS::CloudFormation::WaitCondition",
            "AWS::Route53::RecordSet",
            "AWS::Route53::RecordSetGroup",
            "AWS::Backup::BackupVault",
            "AWS::Backup::BackupSelection",
            "AWS::Cognito::UserPoolClient",
            "AWS::Cognito::UserPoolDomain",
            "AWS::Cognito::UserPoolGroup",
            "AWS::Cognito::UserPoolResourceServer",
            "AWS::SES::ConfigurationSet",
            "AWS::SES::ConfigurationSetEventDestination",
            "AWS::ECR::RepositoryCreationTemplate",
        ),
        "no charge for the resource itself",
    ),
    "AWS::ECS::Cluster": "no charge for the cluster; Container Insights metrics and logs are billed by use",
    "AWS::ECS::TaskDefinition": "priced with the ECS service that runs it",
    "AWS::EC2::FlowLog": "flow logs are billed as vended-log ingestion into their destination (log group)",
    "AWS::WAFv2::LoggingConfiguration": "WAF logs are billed at their destination (log group, S3, Firehose)",
    "AWS::Logs::MetricFilter": "billed as custom metrics by use ($0.30/metric-month), not priced",
    "AWS::Logs::SubscriptionFilter": "billed at the destination by use",
    "AWS::SecretsManager::RotationSchedule": "rotation runs a Lambda function billed per invocation",
    "AWS::Lambda::Function": "billed per request and GB-second by use; nothing at rest",
    "AWS::CloudFront::Function": "billed per invocation by use ($0.10 per 1M), not priced",
    "AWS::SNS::Topic": "no charge per topic; publishes and deliveries billed by use, not priced",
    "AWS::SQS::Queue": "no charge per queue; requests billed by use, not priced",
    "AWS::Events::Rule": "billed per event by use (AWS service events are free)",
    "AWS::ECR::Repository": "image storage billed by use, not priced",
    "AWS::SSM::Parameter": "standard parameters carry no charge",
    "AWS::Budgets::Budget": "budgets without actions carry no charge (AWS Budgets pricing, unverified here)",
    "AWS::CloudFormation::CustomResource": "custom resource: its provider runs at deploy time only",
}


def _no_charge(ctx: _Ctx, logical_id: str, rtype: str, reason: str) -> NoCharge:
    return NoCharge(ctx.stack, logical_id, rtype, reason)


# --------------------------------------------------------------------------------------------------
# Containers


def _fargate_size(ctx: _Ctx, td: Mapping[str, Any]) -> tuple[float, float]:
    cpu_raw = ctx.literal(td, "Cpu")
    mem_raw = ctx.literal(td, "Memory")
    if cpu_raw is None or mem_raw is None:
        raise _Missing("the task definition gives no task-level Cpu/Memory")
    cpu_s, mem_s = str(cpu_raw).strip().lower(), str(mem_raw).strip().lower()
    vcpu = float(cpu_s.replace("vcpu", "").strip()) if "vcpu" in cpu_s else float(cpu_s) / 1024
    gb = float(mem_s.replace("gb", "").strip()) if "gb" in mem_s else float(mem_s) / 1024
    return vcpu, gb


def _scaling_range(ctx: _Ctx, service_id: str) -> tuple[int, int] | None:
    for _, target in ctx.of_type("AWS::ApplicationAutoScaling::ScalableTarget"):
        props = target.get("Properties", {})
        if props.get("ServiceNamespace") == "ecs" and _refers_to(props.get("ResourceId"), service_id):
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
def _ecs_service(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line | NoCharge:
    line = _Line(ctx, lid, "AWS::ECS::Service")
    td_id = ctx.target(props.get("TaskDefinition"))
    if td_id is None:
        raise _Missing("TaskDefinition is not a resource of this template")
    td = ctx.props(td_id)
    strategy = (
        ctx.resolve(props.get("CapacityProviderStrategy")) if "CapacityProviderStrategy" in props else None
    )
    if strategy is UNRESOLVED:
        raise _Missing("CapacityProviderStrategy is not literal")
    launch = ctx.literal(props, "LaunchType")
    if strategy is None and launch is None:
        cluster_id = ctx.target(props.get("Cluster"))
        if cluster_id:
            strategy = ctx.resolve(ctx.props(cluster_id).get("DefaultCapacityProviderStrategy")) or None
            for _, assoc in ctx.of_type("AWS::ECS::ClusterCapacityProviderAssociations"):
                if _refers_to(assoc.get("Properties", {}).get("Cluster"), cluster_id):
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
            return _no_charge(
                ctx, lid, "AWS::ECS::Service", "EC2 capacity: billed as the EC2 instances that run the tasks"
            )
        raise _Missing("cannot tell the launch type")
    if ctx.literal(props, "SchedulingStrategy", "REPLICA") == "DAEMON":
        raise _Missing("DAEMON scheduling is not priced")
    platform = ctx.literal(td, "RuntimePlatform", {}) or {}
    os_family = str(platform.get("OperatingSystemFamily", "LINUX"))
    if os_family != "LINUX":
        raise _Missing(f"Fargate {os_family} is not in the price file")
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
        raise _Missing("capacity provider strategy is not Fargate-only")
    vkey, gkey = f"fargate.linux.{arch}.vcpu_hour", f"fargate.linux.{arch}.gb_hour"
    vp, gp = ctx.rate(vkey), ctx.rate(gkey)
    per_task_hour = vcpu * vp.usd + gb * gp.usd
    size = f"({_num(vcpu)} vCPU × {_usd(vp.usd)} + {_num(gb)} GB × {_usd(gp.usd)}) per task-hour"
    arch_name = "ARM64" if arch == "arm64" else "x86"
    conf = min((vp.confidence, gp.confidence), key=_conf_rank)
    od, spot = split
    if not n:
        line.notes.append("0 tasks: nothing runs")
    h = ctx.hours

    if od:
        line.components.append(
            Component(
                f"Fargate {arch_name}",
                od * per_task_hour * h,
                f"{_num(od)} tasks × {size} × {_num(h)} h",
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
                f"{_num(spot)} tasks × {size} × (1 - {d.usd:g} Spot discount, stated) × {_num(h)} h",
                (vkey, gkey, "fargate.spot.discount"),
                min((conf, d.confidence), key=_conf_rank),
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
                f"{n} tasks × {_num(eph_gb - 20)} GB above 20 GB",
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


def _conf_rank(level: str) -> int:
    from cdk_casemgmt.cost.prices import CONFIDENCE_ORDER

    return CONFIDENCE_ORDER.index(level) if level in CONFIDENCE_ORDER else 0


# --------------------------------------------------------------------------------------------------
# Networking


def _internet_facing_lb(ctx: _Ctx, lid: str, r: Mapping[str, Any]) -> bool:
    if r.get("Type") != "AWS::ElasticLoadBalancingV2::LoadBalancer":
        return False
    scheme = ctx.resolve((r.get("Properties") or {}).get("Scheme", "internet-facing"))
    return bool(scheme != "internal")


@rule("AWS::ElasticLoadBalancingV2::LoadBalancer")
def _elbv2(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    rtype = "AWS::ElasticLoadBalancingV2::LoadBalancer"
    line = _Line(ctx, lid, rtype)
    kind = ctx.literal(props, "Type", "application")
    if kind not in ("application", "network"):
        raise _Missing(f"{kind} load balancers are not in the price file")
    scheme = ctx.literal(props, "Scheme", "internet-facing")
    ip_type = ctx.literal(props, "IpAddressType", "ipv4")
    azs = ctx.count_of(props, "Subnets") or ctx.count_of(props, "SubnetMappings")
    line.hourly("load balancer", f"elb.{kind}.hour", 1, "1 load balancer")
    if scheme != "internal" and ip_type != "dualstack-without-public-ipv4":
        if azs is None:
            azs = 2
            line.notes.append("subnets not literal: 2 AZs assumed (the ALB minimum)")
        line.hourly("public IPv4", "vpc.public_ipv4.hour", azs, f"{azs} addresses (one per AZ, at least)")
    if ctx.usage.alb_lcu_per_hour:
        unit = "LCU" if kind == "application" else "NLCU"
        line.try_(
            "capacity units",
            lambda: line.hourly(
                "capacity units",
                f"elb.{kind}.lcu_hour",
                ctx.usage.alb_lcu_per_hour,
                f"{_num(ctx.usage.alb_lcu_per_hour)} {unit} (usage)",
                usage=True,
            ),
        )
    if scheme != "internal" and ctx.usage.data_out_gb:
        n = ctx.count("internet_lbs", lambda i, r: _internet_facing_lb(ctx, i, r))
        share = line.share(ctx.usage.data_out_gb, n)
        line.try_(
            "data out",
            lambda: line.monthly(
                "data out",
                "data_transfer.internet_out.gb",
                share,
                f"{_num(share)} GB (usage {_num(ctx.usage.data_out_gb)} GB over {n} internet-facing LBs)",
                usage=True,
            ),
        )
    return line


@rule("AWS::EC2::NatGateway")
def _nat(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::EC2::NatGateway")
    line.hourly("NAT gateway", "vpc.nat_gateway.hour", 1, "1 gateway")
    if ctx.literal(props, "ConnectivityType", "public") == "public" and "AllocationId" not in props:
        line.notes.append(
            "public NAT gateway without AllocationId: its address is billed where it is allocated"
        )
    if ctx.usage.nat_gb:
        n = ctx.count("nat", lambda i, r: r.get("Type") == "AWS::EC2::NatGateway")
        share = line.share(ctx.usage.nat_gb, n)
        line.monthly(
            "data processed",
            "vpc.nat_gateway.gb",
            share,
            f"{_num(share)} GB (usage {_num(ctx.usage.nat_gb)} GB over {n} gateways)",
            usage=True,
        )
    return line


@rule("AWS::EC2::EIP")
def _eip(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::EC2::EIP")
    line.hourly("public IPv4", "vpc.public_ipv4.hour", 1, "1 address (billed in use or idle)")
    return line


@rule("AWS::EC2::VPCEndpoint")
def _endpoint(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line | NoCharge:
    kind = ctx.literal(props, "VpcEndpointType", "Gateway")
    if kind == "Gateway":
        return _no_charge(
            ctx, lid, "AWS::EC2::VPCEndpoint", "gateway endpoints (S3, DynamoDB) carry no charge"
        )
    if kind != "Interface":
        raise _Missing(f"{kind} endpoints are not in the price file")
    line = _Line(ctx, lid, "AWS::EC2::VPCEndpoint")
    azs = ctx.count_of(props, "SubnetIds")
    if azs is None:
        raise _Missing("SubnetIds are not literal: cannot count endpoint AZs")
    line.hourly("interface endpoint", "vpc.interface_endpoint.az_hour", azs, f"{azs} AZs")
    if ctx.usage.interface_endpoint_gb:
        n = ctx.count(
            "ifep",
            lambda i, r: (
                r.get("Type") == "AWS::EC2::VPCEndpoint"
                and (r.get("Properties") or {}).get("VpcEndpointType") == "Interface"
            ),
        )
        share = line.share(ctx.usage.interface_endpoint_gb, n)
        line.monthly(
            "data processed",
            "vpc.interface_endpoint.gb",
            share,
            f"{_num(share)} GB (usage over {n} interface endpoints)",
            usage=True,
        )
    return line


# --------------------------------------------------------------------------------------------------
# Databases

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
def _db_instance(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::RDS::DBInstance")
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
                raise _Missing("the cluster's ServerlessV2ScalingConfiguration is not literal")
            lo = float(cfg.get("MinCapacity", 0.5))
            hi = float(cfg.get("MaxCapacity", lo))
            variant = "serverless_v2_io_optimized" if io_opt else "serverless_v2"
            key = f"rds.{_engine_key(engine)}.{variant}.acu_hour"
            line.hourly("Aurora Serverless v2", key, lo, f"{_num(lo)} ACU (minimum)")
            p = ctx.rate(key)
            line.max_monthly_usd = hi * p.usd * ctx.hours
            line.notes.append(
                f"scales {_num(lo)}-{_num(hi)} ACU: ${line.max_monthly_usd:,.2f}/month at maximum"
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
        raise _Missing("Engine not given")
    multi = str(ctx.literal(props, "MultiAZ", False)).lower() == "true"
    az = "multi_az" if multi else "single_az"
    az_name = "Multi-AZ" if multi else "Single-AZ"
    key = f"rds.{_engine_key(engine)}.{cls}.{az}.hour"
    if ctx.prices.get(key) is None:
        raise _Missing(
            f"no {cls} {az_name} {engine} rate in the {ctx.prices.region} price file "
            "(Multi-AZ is priced per class, never by doubling)"
        )
    line.hourly("instance", key, 1, f"1 {cls} {az_name}")

    def storage() -> None:
        gb_raw = ctx.literal(props, "AllocatedStorage")
        if gb_raw is None:
            raise _Missing("AllocatedStorage not given")
        gb = float(gb_raw)
        vol = str(ctx.literal(props, "StorageType", "io1" if "Iops" in props else "gp2")).lower()
        line.monthly("storage", f"rds.storage.{vol}.{az}.gb_month", gb, f"{_num(gb)} GB {vol} {az_name}")
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
def _db_cluster(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::RDS::DBCluster")
    engine = str(ctx.literal(props, "Engine", ""))
    if not engine.startswith("aurora"):
        raise _Missing(f"{engine or 'non-Aurora'} DB clusters are not in the price file")
    io_opt = ctx.literal(props, "StorageType", "aurora") == "aurora-iopt1"
    n = ctx.count("aurora", lambda i, r: r.get("Type") == "AWS::RDS::DBCluster")
    gb = line.share(ctx.usage.aurora_storage_gb, n)
    key = "rds.aurora.io_optimized_storage.gb_month" if io_opt else "rds.aurora.storage.gb_month"
    line.monthly("storage", key, gb, f"{_num(gb)} GB (usage over {n} clusters)", usage=True)
    if not io_opt:
        ios = line.share(ctx.usage.aurora_io_millions, n)
        line.monthly(
            "I/O", "rds.aurora.io.million_requests", ios, f"{_num(ios)}M requests (usage)", usage=True
        )
    line.notes.append("compute is priced on the cluster's DB instances")
    return line


@rule("AWS::RDS::DBProxy")
def _db_proxy(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::RDS::DBProxy")
    vcpu = 0.0
    acu = 0.0
    found = False
    for _, tg in ctx.of_type("AWS::RDS::DBProxyTargetGroup"):
        tprops = tg.get("Properties", {})
        if not _refers_to(tprops.get("DBProxyName"), lid):
            continue
        for ref in tprops.get("DBInstanceIdentifiers", []) or []:
            target = ctx.target(ref)
            if target is None:
                raise _Missing("a proxy target instance is not in this template")
            cores = _vcpus(str(ctx.literal(ctx.props(target), "DBInstanceClass")))
            if cores is None:
                raise _Missing("unknown vCPU count of the target instance class")
            vcpu += cores
            found = True
        for ref in tprops.get("DBClusterIdentifiers", []) or []:
            cluster = ctx.target(ref)
            if cluster is None:
                raise _Missing("a proxy target cluster is not in this template")
            for iid, inst in ctx.of_type("AWS::RDS::DBInstance"):
                iprops = inst.get("Properties", {})
                if not _refers_to(iprops.get("DBClusterIdentifier"), cluster):
                    continue
                cls = str(ctx.literal(iprops, "DBInstanceClass"))
                if cls == "db.serverless":
                    cfg = ctx.literal(ctx.props(cluster), "ServerlessV2ScalingConfiguration", {}) or {}
                    acu += float(cfg.get("MinCapacity", 0.5))
                else:
                    cores = _vcpus(cls)
                    if cores is None:
                        raise _Missing(f"unknown vCPU count of {iid}")
                    vcpu += cores
                found = True
    if not found:
        raise _Missing("no target group with literal targets for this proxy")
    if vcpu:
        billed = max(vcpu, 2.0)
        line.hourly("proxy", "rds.proxy.vcpu_hour", billed, f"{_num(billed)} target vCPUs (min 2)")
    if acu:
        billed = max(acu, 8.0)
        line.hourly("proxy", "rds.proxy.vcpu_hour", billed, f"{_num(billed)} ACU (serverless targets, min 8)")
    return line


# --------------------------------------------------------------------------------------------------
# Security, secrets, monitoring


@rule("AWS::KMS::Key", "AWS::KMS::ReplicaKey")
def _kms(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, str(ctx.resources[lid]["Type"]))
    line.monthly("key", "kms.key_month", 1, "1 customer-managed key")
    if str(ctx.literal(props, "EnableKeyRotation", False)).lower() == "true":
        line.notes.append("each of the first two yearly rotations adds one key-month (after 1 and 2 years)")
    line.notes.append("requests billed by use, not priced")
    return line


@rule("AWS::SecretsManager::Secret")
def _secret(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::SecretsManager::Secret")
    replicas = ctx.count_of(props, "ReplicaRegions") or 0
    what = "1 secret" + (f" + {replicas} replicas" if replicas else "")
    line.monthly("secret", "secretsmanager.secret_month", 1 + replicas, what)
    return line


@rule("AWS::CloudWatch::Alarm")
def _alarm(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::CloudWatch::Alarm")
    metrics = props.get("Metrics")
    if isinstance(metrics, list) and metrics:
        count = sum(1 for m in metrics if isinstance(m, Mapping) and "MetricStat" in m) or 1
        periods = [
            ctx.resolve((m.get("MetricStat") or {}).get("Period", 60))
            for m in metrics
            if isinstance(m, Mapping) and "MetricStat" in m
        ]
    else:
        count = 1
        periods = [ctx.resolve(props.get("Period", 60))]
    high = any(isinstance(p, (int, float, str)) and str(p).isdigit() and int(p) < 60 for p in periods)
    key = (
        "cloudwatch.alarm.high_resolution_metric_month" if high else "cloudwatch.alarm.standard_metric_month"
    )
    line.monthly(
        "alarm", key, count, f"{count} metric{'s' if count > 1 else ''}{' (high resolution)' if high else ''}"
    )
    return line


@rule("AWS::CloudWatch::CompositeAlarm")
def _composite(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::CloudWatch::CompositeAlarm")
    line.monthly("composite alarm", "cloudwatch.alarm.composite_month", 1, "1 composite alarm")
    return line


@rule("AWS::CloudWatch::Dashboard")
def _dashboard(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::CloudWatch::Dashboard")
    line.monthly("dashboard", "cloudwatch.dashboard_month", 1, "1 dashboard")
    return line


@rule("AWS::Logs::LogGroup")
def _log_group(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::Logs::LogGroup")
    cls = str(ctx.literal(props, "LogGroupClass", "STANDARD")).lower()
    n = ctx.count("logs", lambda i, r: r.get("Type") == "AWS::Logs::LogGroup")
    gb = line.share(ctx.usage.log_gb_ingested, n)
    days = ctx.literal(props, "RetentionInDays", None)
    months = min(float(days) / (365 / 12), 12.0) if days else 12.0
    ingest_key = "logs.ingest.standard.gb" if cls == "standard" else f"logs.ingest.{cls}.gb"
    share = f"{_num(gb)} GB (usage {_num(ctx.usage.log_gb_ingested)} GB over {n} log groups)"
    line.try_("ingestion", lambda: line.monthly("ingestion", ingest_key, gb, share, usage=True))
    stored = gb * months
    kept = f"{days} days" if days else "never expires: 12 months shown"
    line.monthly(
        "storage",
        "logs.storage.gb_month",
        stored,
        f"{_num(round(stored, 3))} GB stored at steady state ({kept}, uncompressed upper bound)",
        usage=True,
    )
    return line


@rule("AWS::WAFv2::WebACL")
def _web_acl(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::WAFv2::WebACL")
    line.monthly("web ACL", "waf.web_acl_month", 1, "1 web ACL")
    rules = props.get("Rules") or []
    n_rules = len(rules) if isinstance(rules, list) else ctx.count_of(props, "Rules")
    if n_rules is None:
        raise _Missing("Rules are not literal")
    if n_rules:
        line.monthly("rules", "waf.rule_month", n_rules, f"{n_rules} rules (a rule group counts as one)")
    for r in rules if isinstance(rules, list) else []:
        managed = ((r or {}).get("Statement") or {}).get("ManagedRuleGroupStatement") or {}
        name = str(managed.get("Name", ""))
        if name in (
            "AWSManagedRulesBotControlRuleSet",
            "AWSManagedRulesATPRuleSet",
            "AWSManagedRulesACFPRuleSet",
            "AWSManagedRulesAntiDDoSRuleSet",
        ):
            line.unpriced.append(f"{name} subscription and request fees have no rate")
    if ctx.usage.requests:
        line.monthly(
            "requests",
            "waf.million_requests",
            ctx.usage.requests,
            f"{_num(ctx.usage.requests / 1e6)}M requests (usage; every request the ACL inspects)",
            usage=True,
            per=1e6,
        )
    return line


@rule("AWS::WAFv2::RuleGroup")
def _rule_group(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    raise _Missing(
        "own rule groups: the rule referencing it is priced on the web ACL; the group's own "
        "charge has no rate"
    )


# --------------------------------------------------------------------------------------------------
# Storage, delivery, identity, mail


@rule("AWS::S3::Bucket")
def _bucket(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::S3::Bucket")
    n = ctx.count("s3", lambda i, r: r.get("Type") == "AWS::S3::Bucket")
    gb = line.share(ctx.usage.s3_gb, n)
    line.monthly(
        "storage",
        "s3.standard.gb_month",
        gb,
        f"{_num(gb)} GB Standard (usage {_num(ctx.usage.s3_gb)} GB over {n} buckets)",
        usage=True,
    )
    line.notes.append("requests billed by use, not priced")
    return line


@rule("AWS::CloudFront::Distribution")
def _distribution(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::CloudFront::Distribution")
    geo = ctx.prices.cloudfront_edge_geography
    n = ctx.count("cf", lambda i, r: r.get("Type") == "AWS::CloudFront::Distribution")
    gb = line.share(ctx.usage.cloudfront_gb, n)
    req = line.share(ctx.usage.requests, n)
    line.try_(
        "data out",
        lambda: line.monthly(
            "data out",
            f"cloudfront.{geo}.gb",
            gb,
            f"{_num(gb)} GB to {geo.upper()} viewers (usage over {n} distributions)",
            usage=True,
        ),
    )
    line.try_(
        "requests",
        lambda: line.monthly(
            "HTTPS requests",
            f"cloudfront.{geo}.https_10k",
            req,
            f"{_num(req / 1e6)}M requests (usage)",
            usage=True,
            per=1e4,
        ),
    )
    line.notes.append(f"viewers assumed in the {geo.upper()} edge geography; no free tier or flat-rate plan")
    return line


@rule("AWS::Backup::BackupPlan")
def _backup_plan(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::Backup::BackupPlan")
    n = ctx.count("backup", lambda i, r: r.get("Type") == "AWS::Backup::BackupPlan")
    gb = line.share(ctx.usage.backup_gb, n)
    line.monthly(
        "recovery points",
        "rds.backup.gb_month",
        gb,
        f"{_num(gb)} GB (usage over {n} plans, at the RDS snapshot rate)",
        usage=True,
    )
    return line


@rule("AWS::Route53::HostedZone")
def _zone(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::Route53::HostedZone")
    line.monthly("hosted zone", "route53.hosted_zone_month", 1, "1 zone")
    line.notes.append("queries billed by use (alias queries to AWS resources are free)")
    return line


@rule("AWS::Cognito::UserPool")
def _user_pool(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::Cognito::UserPool")
    tier = str(ctx.literal(props, "UserPoolTier", "ESSENTIALS")).lower()
    n = ctx.count("cognito", lambda i, r: r.get("Type") == "AWS::Cognito::UserPool")
    mau = line.share(ctx.usage.cognito_mau, n)
    line.monthly(
        "MAU", f"cognito.{tier}.mau", mau, f"{_num(mau)} MAU, {tier.title()} tier (usage)", usage=True
    )
    return line


@rule("AWS::SES::EmailIdentity")
def _ses(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line:
    line = _Line(ctx, lid, "AWS::SES::EmailIdentity")
    n = ctx.count("ses", lambda i, r: r.get("Type") == "AWS::SES::EmailIdentity")
    emails = line.share(ctx.usage.ses_emails, n)
    line.monthly("e-mails", "ses.emails_1k", emails, f"{_num(emails)} e-mails (usage)", usage=True, per=1000)
    return line


@rule("AWS::CertificateManager::Certificate")
def _certificate(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> NoCharge:
    if "CertificateAuthorityArn" in props:
        raise _Missing("private certificates are not in the price file")
    return _no_charge(ctx, lid, "AWS::CertificateManager::Certificate", "public ACM certificates are free")


@rule("AWS::CloudFront::MonitoringSubscription")
def _cf_metrics(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> _Line | NoCharge:
    config = ctx.literal(props, "MonitoringSubscription", {}) or {}
    status = (config.get("RealtimeMetricsSubscriptionConfig") or {}).get("RealtimeMetricsSubscriptionStatus")
    if status != "Enabled":
        return _no_charge(ctx, lid, "AWS::CloudFront::MonitoringSubscription", "additional metrics disabled")
    line = _Line(ctx, lid, "AWS::CloudFront::MonitoringSubscription")
    line.monthly(
        "additional metrics",
        "cloudwatch.custom_metric_month",
        8,
        "8 additional CloudFront metrics, billed as custom metrics",
    )
    return line


_FREE_SAR_APPS = ("SecretsManagerRDS", "SecretsManagerRedshift", "SecretsManagerMongoDB")


@rule("AWS::Serverless::Application")
def _sar(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> NoCharge:
    location = ctx.resolve(props.get("Location"))
    app_id = str(location.get("ApplicationId", "")) if isinstance(location, Mapping) else str(location)
    if any(name in app_id for name in _FREE_SAR_APPS):
        return _no_charge(
            ctx,
            lid,
            "AWS::Serverless::Application",
            "secret rotation application: a Lambda function billed per invocation",
        )
    raise _Missing("a Serverless Application Repository application can contain anything; not priced")


@rule("AWS::CloudFormation::Stack")
def _nested(ctx: _Ctx, lid: str, props: Mapping[str, Any]) -> NoCharge:
    # Priced by recursing into the nested template (see _price_template); the stack itself is free.
    return _no_charge(ctx, lid, "AWS::CloudFormation::Stack", "nested stack: its resources are priced")


# --------------------------------------------------------------------------------------------------
# Entry points


def _price_resource(ctx: _Ctx, lid: str, resource: Mapping[str, Any]) -> Result:
    rtype = str(resource.get("Type", ""))
    props = resource.get("Properties") or {}
    fn = RULES.get(rtype)
    if fn is None:
        if rtype in NO_CHARGE:
            return _no_charge(ctx, lid, rtype, NO_CHARGE[rtype])
        if rtype.startswith("Custom::"):
            return _no_charge(ctx, lid, rtype, NO_CHARGE["AWS::CloudFormation::CustomResource"])
        return [Unpriced(ctx.stack, lid, rtype, "no pricing rule for this resource type")]
    try:
        out = fn(ctx, lid, props)
    except _Missing as missing:
        return [Unpriced(ctx.stack, lid, rtype, str(missing))]
    if isinstance(out, NoCharge):
        return out
    assert isinstance(out, _Line)
    if "Condition" in resource:
        out.notes.append(f"created only when condition {resource['Condition']} holds")
    item = LineItem(
        stack=ctx.stack,
        logical_id=lid,
        type=rtype,
        components=tuple(out.components),
        notes=tuple(out.notes),
        max_monthly_usd=out.max_monthly_usd,
        unpriced_parts=tuple(out.unpriced),
    )
    return item  # the caller lists unpriced parts as unpriced too


def _price_template(ctx: _Ctx, out: _Acc) -> None:
    for lid, resource in ctx.resources.items():
        if not isinstance(resource, Mapping):
            continue
        result = _price_resource(ctx, lid, resource)
        if isinstance(result, LineItem):
            out.items.append(result)
            out.unpriced += [
                Unpriced(ctx.stack, lid, result.type, part, partial=True) for part in result.unpriced_parts
            ]
        elif isinstance(result, NoCharge):
            out.no_charge.append(result)
        else:
            out.unpriced += result
        if resource.get("Type") == "AWS::CloudFormation::Stack":
            path = (resource.get("Metadata") or {}).get("aws:asset:path")
            nested = ctx.nested_loader(str(path)) if (ctx.nested_loader and path) else None
            if nested is None:
                out.unpriced.append(
                    Unpriced(ctx.stack, lid, "AWS::CloudFormation::Stack", "nested template not available")
                )
            else:
                child = _Ctx(
                    f"{ctx.stack}/{lid}",
                    nested,
                    ctx.prices,
                    ctx.usage,
                    ctx.nested_loader,
                    ctx.low_confidence_keys,
                )
                _price_template(child, out)


@dataclass
class _Acc:
    items: list[LineItem] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)
    no_charge: list[NoCharge] = field(default_factory=list)
    stacks: list[StackEstimate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    low_confidence_keys: set[str] = field(default_factory=set)


def _as_profile(usage: UsageProfile | str) -> UsageProfile:
    return UsageProfile.named(usage) if isinstance(usage, str) else usage


def _estimate(acc: _Acc, usage: UsageProfile) -> Estimate:
    low = sorted(acc.low_confidence_keys)
    notes = list(acc.notes)
    if low:
        notes.append("low-confidence price rows used: " + ", ".join(low))
    return Estimate(
        items=tuple(acc.items),
        unpriced=tuple(acc.unpriced),
        no_charge=tuple(acc.no_charge),
        stacks=tuple(acc.stacks),
        usage=usage,
        notes=tuple(notes),
    )


def estimate_template(
    template: Mapping[str, Any],
    *,
    region: str = DEFAULT_REGION,
    usage: UsageProfile | str = "typical",
    stack: str = "Stack",
    prices: PriceBook | None = None,
    nested_loader: Callable[[str], Mapping[str, Any] | None] | None = None,
) -> Estimate:
    """Price one CloudFormation template (a dict, as parsed from JSON or YAML).

    :param region: the region whose price file applies (unknown region: ``ValidationError``).
    :param usage: a named profile (``fixed``, ``low``, ``typical``, ``high``) or a ``UsageProfile``.
    :param stack: the name shown for this template's resources.
    :param prices: a price book to use instead of the shipped one for ``region``.
    :param nested_loader: returns a nested stack's template from its ``aws:asset:path``.
    """
    profile = _as_profile(usage)
    book = prices or load_prices(region)
    acc = _Acc()
    _add_stack(acc, stack, template, book, profile, nested_loader)
    return _estimate(acc, profile)


def _add_stack(
    acc: _Acc,
    stack: str,
    template: Mapping[str, Any],
    book: PriceBook,
    profile: UsageProfile,
    nested_loader: Callable[[str], Mapping[str, Any] | None] | None,
) -> None:
    acc.stacks.append(StackEstimate(stack, book.region, book.version, book.prices_as_of, profile.name))
    _price_template(_Ctx(stack, template, book, profile, nested_loader, acc.low_confidence_keys), acc)


def estimate_templates(
    templates: list[tuple[str, str, Mapping[str, Any], Callable[[str], Mapping[str, Any] | None] | None]],
    *,
    usage: UsageProfile | str = "typical",
) -> Estimate:
    """Price several templates: ``(stack name, region, template, nested loader)`` each."""
    profile = _as_profile(usage)
    acc = _Acc()
    for name, region, template, loader in templates:
        _add_stack(acc, name, template, load_prices(region), profile, loader)
    return _estimate(acc, profile)


def load_template(path: str | Path) -> dict[str, Any]:
    """A CloudFormation template from a JSON or YAML file (YAML short-form tags included)."""
    text = Path(path).read_text("utf-8")
    stripped = text.lstrip()
    if stripped.startswith("{"):
        data: dict[str, Any] = json.loads(text)
        return data
    try:
        import yaml
    except ImportError as err:  # pragma: no cover - PyYAML ships with cfn-lint (testing extra)
        raise ValueError(f"{path}: YAML templates need PyYAML (pip install pyyaml)") from err

    class _Loader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no stubs here: its classes are Any
        pass

    def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "GetAtt" and isinstance(value, str):
            return {"Fn::GetAtt": value.split(".", 1)}
        return {f"Fn::{suffix}": value}

    _Loader.add_multi_constructor("!", _tag)
    loaded = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: not a CloudFormation template")
    return loaded


def _region_of(environment: str | None) -> str | None:
    # "aws://111111111111/us-east-1"; "unknown-region" for environment-agnostic stacks.
    if not environment or not environment.startswith("aws://"):
        return None
    region = environment.rsplit("/", 1)[-1]
    return None if region.startswith("unknown") else region


def assembly_stacks(directory: str | Path) -> list[tuple[str, str | None, Path]]:
    """``(display name, region or None, template path)`` of every stack in a cloud assembly."""
    root = Path(directory)
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    found: list[tuple[str, str | None, Path]] = []
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        kind = artifact.get("type")
        props = artifact.get("properties") or {}
        if kind == "aws:cloudformation:stack":
            name = artifact.get("displayName") or artifact_id
            found.append((name, _region_of(artifact.get("environment")), root / props["templateFile"]))
        elif kind == "cdk:cloud-assembly" and props.get("directoryName"):
            found += assembly_stacks(root / props["directoryName"])
    return found


def estimate_assembly(
    directory: str | Path,
    *,
    usage: UsageProfile | str = "typical",
    region: str | None = None,
    stacks: list[str] | None = None,
) -> Estimate:
    """Price every stack of a cloud assembly (``cdk.out``), nested stacks and stages included.

    :param region: overrides each stack's region; stacks without one default to us-east-1 (noted).
    :param stacks: only these display names. :default: - all
    """
    profile = _as_profile(usage)
    acc = _Acc()
    for name, stack_region, path in assembly_stacks(directory):
        if stacks is not None and name not in stacks:
            continue
        chosen = region or stack_region
        if chosen is None:
            chosen = DEFAULT_REGION
            acc.notes.append(f"{name} is environment-agnostic: priced in {DEFAULT_REGION} (use --region)")
        book = load_prices(chosen)
        template = json.loads(path.read_text("utf-8"))
        _add_stack(acc, name, template, book, profile, _loader_for(path.parent))
    return _estimate(acc, profile)


def _loader_for(folder: Path) -> Callable[[str], Mapping[str, Any] | None]:
    def load(asset_path: str) -> Mapping[str, Any] | None:
        candidate = folder / asset_path
        if candidate.is_file():
            loaded: Mapping[str, Any] = json.loads(candidate.read_text("utf-8"))
            return loaded
        return None

    return load


def estimate_path(
    path: str | Path, *, usage: UsageProfile | str = "typical", region: str | None = None
) -> Estimate:
    """Price a cloud assembly directory or a single template file (JSON or YAML)."""
    p = Path(path)
    if p.is_dir():
        return estimate_assembly(p, usage=usage, region=region)
    template = load_template(p)
    est = estimate_template(
        template,
        region=region or DEFAULT_REGION,
        usage=usage,
        stack=p.stem,
        nested_loader=_loader_for(p.parent),
    )
    if region is None:
        return Estimate(
            est.items,
            est.unpriced,
            est.no_charge,
            est.stacks,
            est.usage,
            (*est.notes, f"a template has no region: priced in {DEFAULT_REGION} (use --region)"),
        )
    return est


def ceil_cents(usd: float) -> float:
    """Round up to the cent (for budget limits)."""
    return math.ceil(usd * 100 - 1e-9) / 100
