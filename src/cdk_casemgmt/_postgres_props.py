"""PostgresDatabase's props that have rules, and the checks that report every bad value at once.

The Serverless v2 capacity type lives here because its checks do; ``cdk_casemgmt.postgres_database``
re-exports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import Annotations, Duration, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from constructs import Construct

from cdk_casemgmt._defaults import (
    BACKUP_RETENTION_DAYS_RANGE,
    DATABASE,
    POSTGRES_END_OF_STANDARD_SUPPORT,
    POSTGRES_INSTANCE_CLASSES,
    SERVERLESS_ACU_RANGE,
    STORAGE_GIB_RANGE,
)
from cdk_casemgmt.errors import Problems

__all__ = ["CheckedProps", "ServerlessV2Capacity", "database_subnets", "validate"]


@dataclass(frozen=True)
class ServerlessV2Capacity:
    """Aurora PostgreSQL Serverless v2 capacity, in Aurora capacity units (1 ACU is about 2 GiB).

    :param min_acu: lowest capacity, 0.5 to 256 in steps of 0.5. :default: 0.5
    :param max_acu: highest capacity, ``min_acu`` to 256 in steps of 0.5. :default: 4
    """

    min_acu: float = DATABASE.serverless_min_acu
    max_acu: float = DATABASE.serverless_max_acu


@dataclass(frozen=True)
class CheckedProps:
    """The PostgresDatabase props that ``validate()`` checks (each is documented on the construct)."""

    engine_version: rds.PostgresEngineVersion
    instance_class: str
    serverless_v2: ServerlessV2Capacity | None
    port: int
    database_name: str
    allocated_storage_gib: int
    max_allocated_storage_gib: int
    backup_retention: Duration
    rotation_interval: Duration
    proxy: bool = False
    proxy_iam_auth: bool = False


def validate(scope: Construct, props: CheckedProps) -> None:
    """Raise one ValidationError naming every bad prop, or return."""
    p = Problems()
    lo_days, hi_days = BACKUP_RETENTION_DAYS_RANGE
    if not Token.is_unresolved(props.backup_retention.to_hours()):
        hours = props.backup_retention.to_hours()
        if hours % 24 or not lo_days <= hours // 24 <= hi_days:
            p.add(
                "backup_retention",
                props.backup_retention,
                f"must be a whole number of days from {lo_days} to {hi_days}",
                "pass e.g. Duration.days(7)",
            )
    if not Token.is_unresolved(props.rotation_interval.to_hours()):
        hours = props.rotation_interval.to_hours()
        if hours % 24 or not 1 <= hours // 24 <= 1000:
            p.add(
                "rotation_interval",
                props.rotation_interval,
                "Secrets Manager rotates every 1 to 1000 whole days",
                "pass e.g. Duration.days(30)",
            )
    if not Token.is_unresolved(props.port) and (
        not isinstance(props.port, int) or not 1150 <= props.port <= 65535
    ):
        p.add("port", props.port, "RDS accepts ports 1150 to 65535", "pass e.g. port=5433")
    if not Token.is_unresolved(props.database_name) and not re.fullmatch(
        r"[A-Za-z][A-Za-z0-9_]{0,62}", props.database_name
    ):
        p.add(
            "database_name",
            props.database_name,
            "must start with a letter and hold only letters, digits and _ (at most 63)",
            "pass e.g. database_name='app'",
        )
    if props.proxy_iam_auth and not props.proxy:
        p.add(
            "proxy_iam_auth",
            props.proxy_iam_auth,
            "applies to the RDS Proxy, and proxy is False",
            "pass proxy=True too, or drop proxy_iam_auth (the database itself accepts IAM tokens and "
            "passwords)",
        )
    if props.serverless_v2 is None:
        _validate_instance(p, props)
    else:
        _validate_capacity(p, props.serverless_v2)
    p.raise_if_any(scope)


def _validate_instance(p: Problems, props: CheckedProps) -> None:
    full = props.engine_version.postgres_full_version
    major = props.engine_version.postgres_major_version
    known = {
        getattr(rds.PostgresEngineVersion, name).postgres_full_version
        for name in dir(rds.PostgresEngineVersion)
        if name.startswith("VER_")
    }
    if full not in known:
        p.add(
            "engine_version",
            full,
            "aws-cdk-lib does not know this PostgreSQL version",
            "use a PostgresEngineVersion constant, e.g. PostgresEngineVersion.VER_17_9",
        )
    elif major in POSTGRES_END_OF_STANDARD_SUPPORT:
        p.add(
            "engine_version",
            full,
            f"PostgreSQL {major} left RDS standard support on "
            f"{POSTGRES_END_OF_STANDARD_SUPPORT[major]}: new instances are refused or billed "
            "for Extended Support",
            "use PostgresEngineVersion.VER_17_9 or newer",
        )
    elif full == major:
        p.add(
            "engine_version",
            full,
            "a major version alone resolves to whatever minor RDS picks, and may be one RDS no longer "
            "offers for new instances",
            f"pin a minor, e.g. PostgresEngineVersion.VER_{major}_<minor>; minor upgrades stay automatic",
        )

    instance_class = props.instance_class
    match = re.fullmatch(r"db\.([a-z0-9]+)\.([a-z0-9]+)", instance_class or "")
    if not match:
        p.add(
            "instance_class",
            instance_class,
            "expected an RDS instance class such as 'db.t4g.medium'",
            "pass instance_class='db.t4g.medium'",
        )
    else:
        family, size = match.groups()
        sizes = POSTGRES_INSTANCE_CLASSES.get(family)
        if sizes is None:
            p.add(
                "instance_class",
                instance_class,
                f"RDS PostgreSQL does not offer the {family} family (known: "
                f"{', '.join(sorted(POSTGRES_INSTANCE_CLASSES))})",
                "pick a family from that list, e.g. db.t4g.medium or db.m7g.large",
            )
        elif size not in sizes:
            p.add(
                "instance_class",
                instance_class,
                f"the {family} family comes in {', '.join(sizes)}",
                f"pick one of those sizes, e.g. db.{family}.{next(iter(sizes))}",
            )

    allocated, maximum = props.allocated_storage_gib, props.max_allocated_storage_gib
    lo, hi = STORAGE_GIB_RANGE
    for prop, value in (("allocated_storage_gib", allocated), ("max_allocated_storage_gib", maximum)):
        if Token.is_unresolved(value):
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            p.add(
                prop, value, f"gp3 storage is a whole number of GiB from {lo} to {hi}", f"pass e.g. {prop}=20"
            )
    if (
        isinstance(allocated, int)
        and isinstance(maximum, int)
        and not Token.is_unresolved(allocated)
        and not Token.is_unresolved(maximum)
        and maximum < allocated
    ):
        p.add(
            "max_allocated_storage_gib",
            maximum,
            f"is below allocated_storage_gib={allocated}",
            f"pass max_allocated_storage_gib >= {allocated} (or equal to turn storage autoscaling off)",
        )


def _validate_capacity(p: Problems, capacity: ServerlessV2Capacity) -> None:
    lo, hi = SERVERLESS_ACU_RANGE
    for prop, value in (
        ("serverless_v2.min_acu", capacity.min_acu),
        ("serverless_v2.max_acu", capacity.max_acu),
    ):
        if Token.is_unresolved(value):
            continue
        if not isinstance(value, (int, float)) or not lo <= value <= hi or (value * 2) % 1:
            p.add(
                prop,
                value,
                f"Serverless v2 capacity is {lo} to {hi} ACU in steps of 0.5",
                f"pass e.g. {prop}=0.5",
            )
    if (
        isinstance(capacity.min_acu, (int, float))
        and isinstance(capacity.max_acu, (int, float))
        and capacity.min_acu > capacity.max_acu
    ):
        p.add(
            "serverless_v2",
            capacity,
            f"min_acu ({capacity.min_acu}) is above max_acu ({capacity.max_acu})",
            "make min_acu <= max_acu",
        )


ISOLATED_PREFERRED = (
    "PostgresDatabase: this VPC has no isolated subnets, so the database is placed in its private subnets. "
    "Isolated subnets are better for a database: they have no route to the internet in either direction, "
    "so no NAT, route or security-group mistake can expose it or let it call out. Give the VPC isolated "
    "subnets (SecureVpc has them), or choose with vpc_subnets=."
)
"""The synth-time note left on a PostgresDatabase placed in private subnets with egress."""


def database_subnets(
    scope: Construct, vpc: ec2.IVpc, vpc_subnets: ec2.SubnetSelection | None
) -> ec2.SubnetSelection:
    """Where the database lives: ``vpc_subnets`` as given, else the VPC's isolated subnets, else its private
    subnets with egress (with a note saying why isolated ones are better).

    :raises ValidationError: ``vpc_subnets`` selects nothing in ``vpc``, or the VPC has neither isolated nor
        private subnets (a database does not belong in public subnets).
    """
    p = Problems()
    chosen = vpc_subnets
    if chosen is not None:
        try:
            vpc.select_subnets(
                availability_zones=chosen.availability_zones,
                one_per_az=chosen.one_per_az,
                subnet_filters=chosen.subnet_filters,
                subnet_group_name=chosen.subnet_group_name,
                subnets=chosen.subnets,
                subnet_type=chosen.subnet_type,
            )
        except RuntimeError as err:  # jsii's error, e.g. "There are no 'Isolated' subnet groups in this VPC"
            p.add(
                "vpc_subnets",
                chosen,
                f"selects no subnets of this VPC ({str(err).splitlines()[0]})",
                "select subnets the VPC has, e.g. SubnetSelection(subnet_type=SubnetType.PRIVATE_ISOLATED)",
            )
    elif vpc.isolated_subnets:
        chosen = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    elif vpc.private_subnets:
        Annotations.of(scope).add_info(ISOLATED_PREFERRED)
        chosen = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    if chosen is None:
        p.add(
            "vpc_subnets",
            None,
            "the VPC has no isolated and no private subnets, only public ones, and a database does not "
            "belong in a subnet routed to the internet",
            "give the VPC isolated subnets (SecureVpc has them) or private ones, or pass vpc_subnets= "
            "explicitly",
        )
    p.raise_if_any(scope)
    assert chosen is not None  # raise_if_any raised when nothing was chosen
    return chosen
