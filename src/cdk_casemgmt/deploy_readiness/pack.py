"""DeployReadinessChecks: a cdk-nag pack for what AWS rejects at deploy or breaks at run time.

Synthesis, the compliance packs and cfn-lint check each resource and each property on its own; these
rules check how resources fit together once AWS runs them (an alarm and the policy of its topic, a web
ACL and the CloudFront distribution in front of its load balancer, a database and the role it
validates at create). Each rule cites the AWS documentation it rests on; docs/deploy-readiness.md
lists them.
"""

from __future__ import annotations

from typing import cast

from aws_cdk import CfnResource, PolicyValidationPluginReport
from cdk_nag import IApplyRule, NagPack
from constructs import IConstruct

from cdk_casemgmt.deploy_readiness import alarms, ecs, rds, retention, waf
from cdk_casemgmt.deploy_readiness._rule import ApplyRule, Rule
from cdk_casemgmt.deploy_readiness._template import TemplateView

PACK_NAME = "DeployReadiness"

RULES: tuple[Rule, ...] = (*alarms.RULES, *waf.RULES, *retention.RULES, *rds.RULES, *ecs.RULES)
"""Every rule of the pack, in the order they are applied."""

_BY_TYPE: dict[str, tuple[Rule, ...]] = {}
for _rule in RULES:
    for _type in _rule.resource_types:
        _BY_TYPE[_type] = (*_BY_TYPE.get(_type, ()), _rule)


class DeployReadinessChecks(NagPack):
    """Rules for configurations that synthesize and pass the compliance packs, yet fail in AWS.

    Register it like any cdk-nag 3 pack: ``Validations.of(app).add_plugins(DeployReadinessChecks())``
    fails ``app.synth()`` on a finding; ``DeployReadinessChecks().validate_scope(app)`` returns the
    report (tests). Acknowledge a finding on a resource or any of its scopes with
    ``Validations.of(construct).acknowledge(Acknowledgment(id="DeployReadiness-<Rule>", reason=...))``.

    :param scope: where to add the aspect that writes acknowledgements into the template's metadata
        (only with ``write_suppressions_to_cloud_formation``). :default: - none
    :param verbose: add each rule's explanation and documentation link to its findings. :default: False
    :param write_suppressions_to_cloud_formation: also record acknowledgements as ``cdk_nag`` metadata in
        the template. :default: False
    """

    def __init__(
        self,
        scope: IConstruct | None = None,
        *,
        verbose: bool | None = None,
        write_suppressions_to_cloud_formation: bool | None = None,
    ) -> None:
        super().__init__(
            scope,
            verbose=verbose,
            write_suppressions_to_cloud_formation=write_suppressions_to_cloud_formation,
        )
        self._pack_name = PACK_NAME
        self._views: dict[str, TemplateView] = {}

    @property
    def name(self) -> str:
        """The pack's name, ``DeployReadiness``: the prefix of its rule ids."""
        return PACK_NAME  # like cdk-nag's own packs (AwsSolutionsChecks().name == "AwsSolutions")

    def validate_scope(self, scope: IConstruct) -> PolicyValidationPluginReport:
        """Run every rule on the resources of ``scope`` and return the report. The templates are read
        afresh on each call: the tree may have changed since the last one."""
        self._views.clear()
        try:
            return super().validate_scope(scope)
        finally:
            self._views.clear()

    def _check_resource(self, node: CfnResource) -> None:
        rules = _BY_TYPE.get(node.cfn_resource_type)
        if not rules:
            return
        stack = node.stack
        view = self._views.get(stack.node.path)
        if view is None:
            view = self._views[stack.node.path] = TemplateView(stack)
        resource = view.of(node)
        for rule in rules:
            # cast: IApplyRule declares settable attributes; jsii only needs the read-only properties.
            self._apply_rule(cast(IApplyRule, ApplyRule(rule, node, resource)))
