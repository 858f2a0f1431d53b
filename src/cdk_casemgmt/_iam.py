"""IAM helpers shared by the constructs: roles whose grants land in a customer-managed policy, and resource
ARNs as cdk-nag prints them in granular rule ids."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
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


def nag_resource(stack: Stack, arn: str) -> str | None:
    """``arn`` as cdk-nag prints it in a granular rule id (``<LogicalId.Arn>/*``), or ``None``.

    ``None`` when the value cannot be resolved yet (CDK reports a cross-environment reference without
    a physical name at synth) or holds an intrinsic cdk-nag prints in a way not known here.
    """
    try:
        resolved = stack.resolve(arn)
    except RuntimeError:
        return None

    def flat(value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and len(value) == 1:
            ((fn, args),) = value.items()
            if fn == "Ref":
                return f"<{args}>"
            if fn == "Fn::GetAtt":
                return f"<{args[0]}.{args[1]}>"
            if fn == "Fn::Join":
                return str(args[0]).join(flat(part) for part in args[1])
        raise ValueError(value)

    try:
        return flat(resolved)
    except ValueError:
        return None
