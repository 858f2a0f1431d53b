"""What a deploy-readiness rule is, and how cdk-nag is handed one.

A rule checks one resource, with the rest of its template in view through ``resource.template`` (a
``TemplateView``), and cites the AWS documentation that says why the checked configuration fails once
deployed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jsii
from aws_cdk import CfnResource
from cdk_nag import IApplyRule, NagMessageLevel, NagRuleCompliance

from cdk_casemgmt.deploy_readiness._template import Resource

Check = Callable[[Resource], NagRuleCompliance]
"""A rule's test of one resource (its neighbours are in ``resource.template``)."""


@dataclass(frozen=True)
class Rule:
    """One deploy-readiness rule."""

    id: str
    """The rule's suffix: reported as ``DeployReadiness-<id>``."""
    resource_types: frozenset[str]
    """The CloudFormation types the rule checks (others are not applicable)."""
    level: NagMessageLevel
    info: str
    """What was found, in one sentence."""
    explanation: str
    """Why AWS rejects it or why it fails silently, and how to fix it."""
    documentation: str
    """The AWS documentation the rule rests on."""
    check: Check


def rule(
    id: str,
    *,
    types: tuple[str, ...],
    info: str,
    explanation: str,
    documentation: str,
    level: NagMessageLevel = NagMessageLevel.ERROR,
) -> Callable[[Check], Rule]:
    """Declare a check function as a rule."""

    def declare(check: Check) -> Rule:
        return Rule(
            id, frozenset(types), level, info, f"{explanation} See {documentation}", documentation, check
        )

    return declare


def _from_rule(field: str) -> property:
    """A read-only property that returns the wrapped ``Rule``'s ``field``.

    jsii finds a Python override only through a data descriptor the class declares, so each value
    cdk-nag reads must be a property; this builds them from the rule instead of one getter each.
    """
    return property(lambda self: getattr(self._rule, field))


@jsii.implements(IApplyRule)
class ApplyRule:
    """One rule on one resource, in the shape cdk-nag's ``applyRule`` takes.

    The values are properties (not instance attributes): jsii only passes what a class declares.
    ``rule_suffix_override`` is always set, because cdk-nag would otherwise name the rule after the
    callback's JavaScript function name, which a Python callback does not have.
    """

    def __init__(self, rule: Rule, node: CfnResource, resource: Resource) -> None:
        self._rule = rule
        self._node = node
        self._resource = resource

    @property
    def node(self) -> CfnResource:
        return self._node

    rule_suffix_override = _from_rule("id")
    info = _from_rule("info")
    explanation = _from_rule("explanation")
    level = _from_rule("level")

    def rule(self, node: CfnResource) -> NagRuleCompliance:
        del node  # the same resource as self._node, already read into self._resource
        return self._rule.check(self._resource)
