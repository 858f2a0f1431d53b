"""SecureFargateApi: a container API on Fargate behind an Application Load Balancer, safe to deploy and run.

The construct is in ``construct.py``; each concern it assembles has a module of its own here (props and
their validation, task, service, load balancer, ingress, database, permissions, observability). What it
bundles, and why each default is what it is, is in ``docs/secure-fargate-api.md``.
"""

from __future__ import annotations

from cdk_casemgmt._cloudfront import CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS
from cdk_casemgmt.network import NatGateways
from cdk_casemgmt.secure_fargate_api.construct import SecureFargateApi
from cdk_casemgmt.secure_fargate_api.database import ConnectableDatabase
from cdk_casemgmt.secure_fargate_api.ingress import ApiIngress
from cdk_casemgmt.secure_fargate_api.task import FARGATE_CPU_MEMORY

__all__ = [
    "CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS",
    "FARGATE_CPU_MEMORY",
    "ApiIngress",
    "ConnectableDatabase",
    "NatGateways",
    "SecureFargateApi",
]
