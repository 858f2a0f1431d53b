"""The CostEstimate construct: prices its stack (or every stack of its app) at synth time, offline.

Two mechanisms, because no single one both sees the final template and can put a value into it
(measured on aws-cdk-lib 2.275; docs/design.md#cost-estimate-two-mechanisms):

- The report (``cost-estimate.json`` / ``.md`` in the cloud assembly, and the table printed at synth)
  is computed from the FINAL templates by a policy-validation plugin, which runs after the assembly
  is written. It therefore sees raw overrides and escape hatches.
- The optional ``CfnOutput`` and AWS Budgets limit need a value inside the template, so they use
  ``Lazy`` producers that read the L1 properties at render time (after aspects). Raw overrides are
  invisible there; when that makes the two differ, the report says so.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    CfnOutput,
    CfnParameter,
    CfnResource,
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    IStableNumberProducer,
    IStableStringProducer,
    Lazy,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Stack,
    Stage,
    Token,
    Validations,
)
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from cdk_casemgmt.cost.engine import Accumulator
from cdk_casemgmt.cost.model import Estimate
from cdk_casemgmt.cost.prices import available_regions, load_prices
from cdk_casemgmt.cost.templates import nested_loader
from cdk_casemgmt.cost.usage import PROFILES, UsageProfile
from cdk_casemgmt.errors import Problems

REPORT_JSON = "cost-estimate.json"
REPORT_MD = "cost-estimate.md"
_REPORT_ID = "CdkCasemgmtCostReport"


class CostEstimate(Construct):
    """Prices what its scope deploys, every synth, with the formula behind each line.

    Put it on a stack (that stack is priced) or on the app or a stage (every stack in it is priced).
    At synth it prints a per-resource table and writes ``cost-estimate.json`` and ``cost-estimate.md``
    into the cloud assembly. Resources it cannot price are listed as unpriced, never counted as zero.

    :param scope: a ``Stack``, or an ``App``/``Stage``.
    :param id: construct id.
    :param usage: a named usage profile (``fixed``, ``low``, ``typical``, ``high``) or a ``UsageProfile``.
        :default: "typical"
    :param region: the region whose prices apply. :default: - each stack's own region (an
        environment-agnostic stack then needs this prop)
    :param output: add a ``CfnOutput`` named ``MonthlyCostEstimateUsd`` (stack scope only).
        :default: False
    :param budget_emails: e-mail addresses alerted when actual spend exceeds the budget (up to 10);
        giving any creates an AWS Budgets budget (stack scope only). :default: - no budget
    :param budget_topic: an SNS topic alerted likewise; also creates the budget. The construct allows
        budgets.amazonaws.com to publish to it. :default: - no budget
    :param budget_margin_percent: the budget limit is the estimate plus this margin. :default: 20
    :param budget_filter_by_stack: limit the budget to costs tagged with the stack's name
        (``aws:cloudformation:stack-name``, a cost allocation tag you must activate in Billing);
        with False the budget covers the whole account. :default: True
    :param print_table: print the table on stderr at synth. :default: True
    :param write_report: write ``cost-estimate.json`` and ``.md`` into the cloud assembly. :default: True
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        usage: str | UsageProfile = "typical",
        region: str | None = None,
        output: bool = False,
        budget_emails: Sequence[str] = (),
        budget_topic: sns.ITopic | None = None,
        budget_margin_percent: float = 20.0,
        budget_filter_by_stack: bool = True,
        print_table: bool = True,
        write_report: bool = True,
    ) -> None:
        super().__init__(scope, id)
        problems = Problems()
        is_stack = Stack.is_stack(scope)
        is_stage = Stage.is_stage(scope)
        scope_region = scope.region if isinstance(scope, Stack) else None
        if not (is_stack or is_stage):
            problems.add(
                "scope",
                scope.node.path,
                "CostEstimate prices a Stack, an App or a Stage",
                "create it with a Stack or the App as its scope",
            )
        if isinstance(usage, str) and usage not in PROFILES:
            problems.add(
                "usage", usage, "unknown usage profile", f"use one of {', '.join(PROFILES)} or a UsageProfile"
            )
        regions = available_regions()
        if region is not None and region not in regions:
            problems.add(
                "region", region, "no price file for this region", f"use one of {', '.join(regions)}"
            )
        if is_stack and region is None and Token.is_unresolved(scope_region):
            problems.add(
                "region",
                None,
                "the stack is environment-agnostic, so its region is unknown",
                f"give the stack an env, or pass region= (one of {', '.join(regions)})",
            )
        elif is_stack and region is None and scope_region not in regions:
            problems.add(
                "region",
                scope_region,
                "the stack's region has no price file",
                f"deploy to or pass region= one of {', '.join(regions)}",
            )
        wants_budget = bool(budget_emails) or budget_topic is not None
        if (output or wants_budget) and not is_stack:
            problems.add(
                "output/budget_emails/budget_topic",
                "set",
                "outputs and budgets need a Stack scope",
                "put the CostEstimate on the stack that should carry them",
            )
        if isinstance(budget_emails, str):
            problems.add("budget_emails", budget_emails, "a single string, not a list", "pass [address]")
        else:
            bad = [e for e in budget_emails if "@" not in e]
            if bad:
                problems.add(
                    "budget_emails", bad, "not e-mail addresses", "give addresses like ops@example.com"
                )
            if len(budget_emails) > 10:
                problems.add(
                    "budget_emails",
                    len(budget_emails),
                    "AWS Budgets allows 10 e-mail subscribers",
                    "use an SNS topic for more recipients",
                )
        if Token.is_unresolved(budget_margin_percent) or budget_margin_percent < 0:
            problems.add(
                "budget_margin_percent", budget_margin_percent, "must be a number >= 0", "give e.g. 20"
            )
        problems.raise_if_any(self)

        self.usage: UsageProfile = UsageProfile.named(usage) if isinstance(usage, str) else usage
        """The usage profile the estimate assumes (``usage``, a name resolved to its profile)."""
        self.region: str | None = region
        """The region whose prices apply (``region`` as given), or ``None`` for each stack's own."""
        self.print_table: bool = print_table
        """Whether the table is printed on stderr at synth (``print_table`` as given)."""
        self.write_report: bool = write_report
        """Whether ``cost-estimate.json`` and ``.md`` go into the cloud assembly (``write_report``)."""
        self.budget_margin_percent: float = float(budget_margin_percent)
        """The budget limit is the estimate plus this margin (``budget_margin_percent`` as given)."""
        self.priced_scope: IConstruct = scope
        """What is priced: the stack, or every stack of the app or stage (``scope``)."""
        self.stack: Stack | None = scope if is_stack else None  # type: ignore[assignment]  # is_stack is Stack.is_stack(scope)
        """The priced stack, which carries the output and budget; ``None`` on an app or stage."""
        self.last_estimate: Estimate | None = None
        """The estimate from the final templates, set at each synth."""
        self._l1_cache: Estimate | None = None
        self.output: CfnOutput | None = None
        """The ``MonthlyCostEstimateUsd`` output with ``output=True``, else ``None``."""
        self.budget: budgets.CfnBudget | None = None
        """The AWS Budgets budget with ``budget_emails`` or ``budget_topic``, else ``None``."""

        if output and self.stack is not None:
            self.output = CfnOutput(
                self.stack,
                "MonthlyCostEstimateUsd",
                value=Lazy.string(_StringProducer(self)),
                description=f"Estimated monthly cost in USD (cdk-casemgmt, usage '{self.usage.name}')",
            )
        if wants_budget and self.stack is not None:
            self.budget = self._add_budget(
                self.stack, list(budget_emails), budget_topic, budget_filter_by_stack
            )
        _report_for(scope).entries.append(self)

    # -- values inside the template (L1 properties, no raw overrides) -----------------------------

    def estimate_from_construct_properties(self) -> Estimate:
        """The estimate from the L1 properties of the stack, as the Lazy output and budget see it."""
        if self._l1_cache is None:
            assert self.stack is not None
            stack = self.stack
            template = _l1_template(stack, exclude=self.node.path)
            book = load_prices(self.region or stack.region)
            acc = Accumulator(self.usage)
            acc.add_stack(stack.stack_name, template, book)
            self._l1_cache = acc.estimate()
        return self._l1_cache

    def _add_budget(
        self, stack: Stack, emails: list[str], topic: sns.ITopic | None, filter_by_stack: bool
    ) -> budgets.CfnBudget:
        subscribers = [
            budgets.CfnBudget.SubscriberProperty(address=e, subscription_type="EMAIL") for e in emails
        ]
        if topic is not None:
            subscribers.append(
                budgets.CfnBudget.SubscriberProperty(address=topic.topic_arn, subscription_type="SNS")
            )
            topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowAwsBudgetsToPublish",
                    actions=["sns:Publish"],
                    principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
                    resources=[topic.topic_arn],
                    conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
                )
            )
        cost_filters: Mapping[str, Any] | None = (
            {"TagKeyValue": [f"aws:cloudformation:stack-name${stack.stack_name}"]}
            if filter_by_stack
            else None
        )
        return budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(
                    amount=Token.as_number(Lazy.number(_NumberProducer(self, with_margin=True))), unit="USD"
                ),
                cost_filters=cost_filters,
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        comparison_operator="GREATER_THAN",
                        notification_type="ACTUAL",
                        threshold=100,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=subscribers,
                )
            ],
        )

    def budget_limit_usd(self) -> float:
        """The budget limit: the estimate plus the margin, rounded up to the cent (at least $0.01)."""
        total = self.estimate_from_construct_properties().total_monthly_usd
        return max(_ceil_cents(total * (1 + self.budget_margin_percent / 100)), 0.01)


def _ceil_cents(usd: float) -> float:
    """Round up to the cent, so that a budget limit is never below the estimate it comes from."""
    return math.ceil(usd * 100 - 1e-9) / 100


@jsii.implements(IStableNumberProducer)
class _NumberProducer:
    def __init__(self, owner: CostEstimate, *, with_margin: bool) -> None:
        self._owner, self._with_margin = owner, with_margin

    def produce(self) -> float:
        if self._with_margin:
            return self._owner.budget_limit_usd()
        return round(self._owner.estimate_from_construct_properties().total_monthly_usd, 2)


@jsii.implements(IStableStringProducer)
class _StringProducer:
    def __init__(self, owner: CostEstimate) -> None:
        self._owner = owner

    def produce(self) -> str:
        return f"{self._owner.estimate_from_construct_properties().total_monthly_usd:.2f}"


def _l1_template(stack: Stack, *, exclude: str) -> dict[str, Any]:
    """A template-shaped dict from the stack's L1 constructs (what ``Lazy`` values can see)."""
    resources: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    prefix = exclude + "/"
    for c in stack.node.find_all():
        path = c.node.path
        if path == exclude or path.startswith(prefix):
            continue
        if isinstance(c, CfnResource):
            if Stack.of(c).node.path != stack.node.path:
                continue  # a nested stack's resource
            props = c._render_properties(stack.resolve(c._cfn_properties))
            resources[stack.resolve(c.logical_id)] = {"Type": c.cfn_resource_type, "Properties": props or {}}
        elif isinstance(c, CfnParameter) and c.default is not None:
            parameters[stack.resolve(c.logical_id)] = {"Type": c.type, "Default": c.default}
    return {"Parameters": parameters, "Resources": resources}


class _CostReport(Construct):
    """One per stage: owns the validation plugin that prices the final templates."""

    def __init__(self, stage: Stage) -> None:
        super().__init__(stage, _REPORT_ID)
        self.stage = stage
        self.entries: list[CostEstimate] = []
        Validations.of(stage).add_plugins(_CostPlugin(self))


def _report_for(scope: IConstruct) -> _CostReport:
    stage = scope if isinstance(scope, Stage) else Stage.of(scope)
    if stage is None:
        raise ValueError(f"{scope.node.path}: CostEstimate needs an enclosing App or Stage")
    found = stage.node.try_find_child(_REPORT_ID)
    if isinstance(found, _CostReport):
        return found
    return _CostReport(stage)


@jsii.implements(IPolicyValidationPlugin)
class _CostPlugin:
    def __init__(self, report: _CostReport) -> None:
        self._report = report

    @property
    def name(self) -> str:
        return "cdk-casemgmt-cost-estimate"

    @property
    def version(self) -> str:
        return "0.1.0"

    @property
    def rule_ids(self) -> list[str]:
        return ["CostEstimate"]

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        try:
            return self._validate(context)
        except Exception as err:  # a bug here must name itself, not surface as an opaque jsii error
            return PolicyValidationPluginReport(
                success=False,
                violations=[
                    PolicyViolation(
                        rule_name="CostEstimate-Failed",
                        description="CostEstimate could not price the templates: "
                        f"{type(err).__name__}: {err}",
                        fix="report it to cdk-casemgmt; remove the CostEstimate to synthesize meanwhile",
                        violating_resources=[
                            PolicyViolatingResource(
                                resource_logical_id=self._report.stage.node.path or "App",
                                template_path=str(context.template_paths[0])
                                if context.template_paths
                                else "",
                                locations=["."],
                            )
                        ],
                    )
                ],
            )

    def _validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        violations: list[PolicyViolation] = []
        estimates: list[Estimate] = []
        for entry in self._report.entries:
            acc = Accumulator(entry.usage)
            scope_path = entry.priced_scope.node.path
            for st in context.stack_templates:
                path = st.stack_construct_path
                if entry.stack is not None:
                    if path != scope_path:
                        continue
                elif scope_path and not (path == scope_path or path.startswith(scope_path + "/")):
                    continue
                region = entry.region or (
                    st.region if st.region and not Token.is_unresolved(st.region) else None
                )
                if region is None or region not in available_regions():
                    violations.append(
                        PolicyViolation(
                            rule_name="CostEstimate-Region",
                            description=f"{path}: cannot price a stack in region {region!r}",
                            fix=f"pass CostEstimate(region=...) with one of {', '.join(available_regions())}",
                            violating_resources=[
                                PolicyViolatingResource(
                                    resource_logical_id=path, template_path=st.template_path, locations=["."]
                                )
                            ],
                        )
                    )
                    continue
                template = json.loads(Path(st.template_path).read_text("utf-8"))
                acc.add_stack(
                    path or "Stack",
                    template,
                    load_prices(region),
                    nested_loader(Path(st.template_path).parent),
                )
            if not acc.stacks:
                continue
            estimate = acc.estimate()
            if entry._l1_cache is not None:
                lazy_total = round(entry._l1_cache.total_monthly_usd, 2)
                final_total = round(estimate.total_monthly_usd, 2)
                if abs(lazy_total - final_total) >= 0.01:
                    note = (
                        f"the CfnOutput/Budget of {scope_path} used ${lazy_total:.2f} from construct "
                        f"properties, but the final template prices at ${final_total:.2f} (raw overrides "
                        "are invisible to Lazy values)"
                    )
                    estimate = Estimate(
                        estimate.items,
                        estimate.unpriced,
                        estimate.no_charge,
                        estimate.stacks,
                        estimate.usage,
                        (*estimate.notes, note),
                    )
            entry.last_estimate = estimate
            estimates.append(estimate)
            if entry.print_table:
                print(estimate.to_table(), file=sys.stderr)
        if estimates and any(e.write_report for e in self._report.entries):
            merged = _merge(estimates)
            outdir = Path(self._report.stage.outdir)
            (outdir / REPORT_JSON).write_text(json.dumps(merged.to_dict(), indent=2) + "\n", "utf-8")
            (outdir / REPORT_MD).write_text(merged.to_markdown(), "utf-8")
        return PolicyValidationPluginReport(success=not violations, violations=violations)


def _belongs(stack: str, names: set[str]) -> bool:
    return any(stack == n or stack.startswith(n + "/") for n in names)


def _merge(estimates: list[Estimate]) -> Estimate:
    """One report for the stage: each stack once (the first estimate that priced it wins)."""
    if len(estimates) == 1:
        return estimates[0]
    first = estimates[0]
    seen: set[str] = set()
    kept: list[Estimate] = []
    for e in estimates:
        names = {s.stack for s in e.stacks} - seen
        seen |= names
        kept.append(
            Estimate(
                items=tuple(i for i in e.items if _belongs(i.stack, names)),
                unpriced=tuple(u for u in e.unpriced if _belongs(u.stack, names)),
                no_charge=tuple(n for n in e.no_charge if _belongs(n.stack, names)),
                stacks=tuple(s for s in e.stacks if s.stack in names),
                usage=e.usage,
                notes=e.notes,
            )
        )
    estimates = kept
    notes = tuple(n for e in estimates for n in e.notes)
    if len({e.usage for e in estimates}) > 1:
        notes += ("stacks were priced with different usage profiles (see 'stacks')",)
    return Estimate(
        items=tuple(i for e in estimates for i in e.items),
        unpriced=tuple(u for e in estimates for u in e.unpriced),
        no_charge=tuple(n for e in estimates for n in e.no_charge),
        stacks=tuple(s for e in estimates for s in e.stacks),
        usage=first.usage,
        notes=notes,
    )
