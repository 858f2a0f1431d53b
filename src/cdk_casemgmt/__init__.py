"""cdk-casemgmt: AWS CDK v2 constructs for a secure, compliant, honestly priced container API.

Re-exports only; each construct lives in its own module.
"""

from cdk_casemgmt.cdn_frontend import CdnFrontend
from cdk_casemgmt.compliance import (
    Acknowledged,
    Finding,
    acknowledge,
    acknowledgements,
    add_compliance_checks,
    compliance_findings,
)
from cdk_casemgmt.csp import ContentSecurityPolicy
from cdk_casemgmt.errors import ValidationError
from cdk_casemgmt.network import NatGateways, SecureVpc
from cdk_casemgmt.postgres_database import PostgresDatabase, ServerlessV2Capacity
from cdk_casemgmt.secure_fargate_api import ApiIngress, SecureFargateApi

__all__ = [
    "Acknowledged",
    "ApiIngress",
    "CdnFrontend",
    "ContentSecurityPolicy",
    "Finding",
    "NatGateways",
    "PostgresDatabase",
    "SecureFargateApi",
    "SecureVpc",
    "ServerlessV2Capacity",
    "ValidationError",
    "acknowledge",
    "acknowledgements",
    "add_compliance_checks",
    "compliance_findings",
]

__version__ = "0.1.0"
