"""Stacks within stacks: nested CloudFormation stacks and Serverless Application Repository apps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_casemgmt.cost.context import Missing, PricingContext
from cdk_casemgmt.cost.model import NoCharge
from cdk_casemgmt.cost.rules._registry import rule

_FREE_SAR_APPS = ("SecretsManagerRDS", "SecretsManagerRedshift", "SecretsManagerMongoDB")


@rule("AWS::Serverless::Application")
def _sar(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> NoCharge:
    location = ctx.resolve(props.get("Location"))
    app_id = str(location.get("ApplicationId", "")) if isinstance(location, Mapping) else str(location)
    if any(name in app_id for name in _FREE_SAR_APPS):
        return ctx.no_charge(
            lid,
            "AWS::Serverless::Application",
            "secret rotation application: a Lambda function billed per invocation",
        )
    raise Missing("a Serverless Application Repository application can contain anything; not priced")


@rule("AWS::CloudFormation::Stack")
def _nested(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> NoCharge:
    # The engine prices the nested template's resources where it can load it; the stack itself is free.
    return ctx.no_charge(lid, "AWS::CloudFormation::Stack", "nested stack: its resources are priced")
