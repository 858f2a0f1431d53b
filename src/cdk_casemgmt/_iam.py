"""IAM helpers shared by the constructs: roles whose grants land in a customer-managed policy."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_iam as iam
from constructs import Construct


class ManagedPolicyRole(iam.Role):
    """An ``iam.Role`` whose grants go to ONE customer-managed policy instead of an inline default policy.

    CDK constructs grant permissions with ``role.add_to_principal_policy``; a plain ``Role`` renders them
    as an ``AWS::IAM::Policy`` (inline), which the HIPAA, NIST and PCI packs reject (``IAMNoInlinePolicy``).
    This subclass overrides that one method (jsii routes CDK's own calls to it), so every grant, ours and
    CDK's, stays exactly as scoped as CDK wrote it and lands in ``<role>/Policy``, an
    ``AWS::IAM::ManagedPolicy`` created on the first grant.
    """

    def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self._managed: iam.ManagedPolicy | None = None
        self.granted: list[iam.PolicyStatement] = []

    @property
    def managed_policy(self) -> iam.ManagedPolicy | None:
        """The policy holding every grant, or None while nothing was granted."""
        return self._managed

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        if self._managed is None:
            self._managed = iam.ManagedPolicy(self, "Policy", roles=[self])
        self._managed.add_statements(statement)
        self.granted.append(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self._managed)

    def add_to_policy(self, statement: iam.PolicyStatement) -> bool:
        return self.add_to_principal_policy(statement).statement_added
