"""Where a role's permissions come from, in a template."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cdk_casemgmt.deploy_readiness._template import Resource, as_list, target_id

POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy")


@dataclass(frozen=True)
class Grant:
    """One source of a role's permissions."""

    document: Any
    """The policy document, or None when it is not in the template (an AWS managed policy, say)."""
    resource: Resource | None
    """The separate policy resource that attaches it, or None when the role itself carries it (the
    permission then exists as soon as the role does)."""


def grants(role: Resource) -> Iterator[Grant]:
    """Every policy attached to ``role`` in its template, and those it names by ARN."""
    view = role.template
    for policy in as_list(role.get("Policies")):
        yield Grant(policy.get("PolicyDocument") if isinstance(policy, dict) else None, None)
    for arn in as_list(role.get("ManagedPolicyArns")):
        managed = view.target(arn, "AWS::IAM::ManagedPolicy")
        yield Grant(None if managed is None else managed.get("PolicyDocument"), None)
    for policy in view.of_type(*POLICY_TYPES):
        attached = [*as_list(policy.get("Roles")), policy.get("RoleName")]
        if any(target_id(r) == role.logical_id for r in attached if r is not None):
            yield Grant(policy.get("PolicyDocument"), policy)
