"""cdk-casemgmt: AWS CDK v2 constructs for a secure, compliant, honestly priced container API.

Re-exports only; each construct lives in its own module. Names load on first use, so that tools
which need only part of the package (the pytest plugin, the cost CLI) do not start aws-cdk-lib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdk_casemgmt.cdn_frontend import CdnFrontend
    from cdk_casemgmt.compliance import (
        Acknowledged,
        Finding,
        acknowledge,
        acknowledgements,
        add_compliance_checks,
        compliance_findings,
    )
    from cdk_casemgmt.cost import CostEstimate, UsageProfile
    from cdk_casemgmt.csp import ContentSecurityPolicy
    from cdk_casemgmt.deploy_readiness import DeployReadinessChecks
    from cdk_casemgmt.errors import ValidationError
    from cdk_casemgmt.network import NatGateways, SecureVpc
    from cdk_casemgmt.postgres_database import PostgresDatabase, ServerlessV2Capacity
    from cdk_casemgmt.private_bucket import PrivateBucket
    from cdk_casemgmt.secure_fargate_api import ApiIngress, SecureFargateApi

_EXPORTS = {
    "Acknowledged": "cdk_casemgmt.compliance",
    "ApiIngress": "cdk_casemgmt.secure_fargate_api",
    "CdnFrontend": "cdk_casemgmt.cdn_frontend",
    "ContentSecurityPolicy": "cdk_casemgmt.csp",
    "CostEstimate": "cdk_casemgmt.cost",
    "DeployReadinessChecks": "cdk_casemgmt.deploy_readiness",
    "Finding": "cdk_casemgmt.compliance",
    "NatGateways": "cdk_casemgmt.network",
    "PostgresDatabase": "cdk_casemgmt.postgres_database",
    "PrivateBucket": "cdk_casemgmt.private_bucket",
    "SecureFargateApi": "cdk_casemgmt.secure_fargate_api",
    "SecureVpc": "cdk_casemgmt.network",
    "ServerlessV2Capacity": "cdk_casemgmt.postgres_database",
    "UsageProfile": "cdk_casemgmt.cost",
    "ValidationError": "cdk_casemgmt.errors",
    "acknowledge": "cdk_casemgmt.compliance",
    "acknowledgements": "cdk_casemgmt.compliance",
    "add_compliance_checks": "cdk_casemgmt.compliance",
    "compliance_findings": "cdk_casemgmt.compliance",
}

__all__ = [
    "Acknowledged",
    "ApiIngress",
    "CdnFrontend",
    "ContentSecurityPolicy",
    "CostEstimate",
    "DeployReadinessChecks",
    "Finding",
    "NatGateways",
    "PostgresDatabase",
    "PrivateBucket",
    "SecureFargateApi",
    "SecureVpc",
    "ServerlessV2Capacity",
    "UsageProfile",
    "ValidationError",
    "acknowledge",
    "acknowledgements",
    "add_compliance_checks",
    "compliance_findings",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cdk_casemgmt' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
