"""Services the application calls: Cognito user pools (sign-in) and SES (e-mail)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_casemgmt.cost.context import PricingContext
from cdk_casemgmt.cost.lines import LineBuilder, show_num
from cdk_casemgmt.cost.rules._registry import rule


@rule("AWS::Cognito::UserPool")
def _user_pool(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::Cognito::UserPool")
    tier = str(ctx.literal(props, "UserPoolTier", "ESSENTIALS")).lower()
    mau, _ = ctx.usage_share(ctx.usage.cognito_mau, "AWS::Cognito::UserPool")
    line.monthly(
        "MAU", f"cognito.{tier}.mau", mau, f"{show_num(mau)} MAU, {tier.title()} tier (usage)", usage=True
    )
    return line


@rule("AWS::SES::EmailIdentity")
def _ses(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::SES::EmailIdentity")
    emails, _ = ctx.usage_share(ctx.usage.ses_emails, "AWS::SES::EmailIdentity")
    line.monthly(
        "e-mails", "ses.emails_1k", emails, f"{show_num(emails)} e-mails (usage)", usage=True, per=1000
    )
    return line
