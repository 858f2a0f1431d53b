"""The packs we promise to pass, and helpers to run them.

Packs: the four compliance packs AWS Solutions, HIPAA Security, NIST 800-53 rev 5 and PCI DSS 3.2.1
(cdk-nag 3), and our own DeployReadinessChecks (what AWS rejects at deploy or breaks at run time).
cdk-nag 3 is a policy-validation plugin: registered on an app or stage it runs at synth and
fails the synth on an unacknowledged finding; ``validate_scope`` runs it on demand (tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks
from constructs import Construct, IConstruct

from cdk_casemgmt.deploy_readiness import DeployReadinessChecks

PACKS: tuple[Callable[..., NagPack], ...] = (
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    NIST80053R5Checks,
    PCIDSS321Checks,
    DeployReadinessChecks,
)


@dataclass(frozen=True, order=True)
class Finding:
    """One unacknowledged compliance finding on one resource."""

    rule_id: str
    """The rule id as cdk-nag reports it, e.g. ``AwsSolutions-EC23`` or ``AwsSolutions-IAM5[Resource::*]``."""
    path: str
    """Construct path of the violating resource."""
    description: str
    """The pack's description of the violation."""

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.path}: {self.description}"


@dataclass(frozen=True, order=True)
class Acknowledged:
    """One acknowledgement recorded on a construct (ours, a user's, or aws-cdk-lib's own)."""

    rule_id: str
    """The acknowledged rule id, e.g. ``AwsSolutions-IAM5[Resource::*]``."""
    path: str
    """Construct path of the construct the acknowledgement is recorded on."""
    reason: str
    """Why the finding is accepted."""


def acknowledgements(scope: IConstruct) -> list[Acknowledged]:
    """Every acknowledgement recorded on ``scope`` and below, for audits and tests."""
    found: list[Acknowledged] = []
    for construct in scope.node.find_all():
        for entry in construct.node.metadata:
            if entry.type != "aws:cdk:acknowledged-rules":
                continue
            for rule_id, reason in dict(entry.data).items():
                found.append(Acknowledged(rule_id.removeprefix("Annotation::"), construct.node.path, reason))
    return sorted(found)


def add_compliance_checks(scope: Construct) -> None:
    """Register the five packs on an app or stage: ``synth()`` then fails on any unacknowledged finding.

    The four compliance packs and DeployReadinessChecks, which users of stacks without our constructs
    can also register on its own (docs/deploy-readiness.md).
    """
    Validations.of(scope).add_plugins(*(pack(scope) for pack in PACKS))


def compliance_findings(scope: IConstruct) -> list[Finding]:
    """Run the five packs on ``scope`` (an app, stage or stack) and return every unacknowledged finding."""
    found: set[Finding] = set()
    for pack in PACKS:
        report = pack().validate_scope(scope)
        for violation in report.violations:
            for resource in violation.violating_resources:
                path = resource.construct_path or resource.resource_logical_id or "?"
                found.add(Finding(violation.rule_name, path, violation.description))
    return sorted(found)


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one rule on one construct, with a reason a reviewer can read.

    Use the bare rule id for plain findings (``AwsSolutions-EC23``) and the full granular id for
    granular ones (``AwsSolutions-IAM5[Resource::...]``): cdk-nag 3 has no prefix matching.
    """
    if not reason.strip():
        raise ValueError(f"acknowledge({rule_id!r}) needs a reason")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))
