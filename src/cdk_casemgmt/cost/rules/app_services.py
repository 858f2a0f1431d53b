"""Services the application calls: Cognito user pools (sign-in) and SES (e-mail)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_casemgmt.cost.context import PricingContext
from cdk_casemgmt.cost.lines import LineBuilder
from cdk_casemgmt.cost.rules._registry import rule, usage_share_rule


@rule("AWS::Cognito::UserPool")
def _user_pool(ctx: PricingContext, lid: str, props: Mapping[str, Any]) -> LineBuilder:
    line = LineBuilder(ctx, lid, "AWS::Cognito::UserPool")
    tier = str(ctx.literal(props, "UserPoolTier", "ESSENTIALS")).lower()
    line.shared_usage(
        "MAU", f"cognito.{tier}.mau", ctx.usage.cognito_mau, "{share} MAU, " + tier.title() + " tier (usage)"
    )
    return line


usage_share_rule(
    "AWS::SES::EmailIdentity",
    "e-mails",
    "ses.emails_1k",
    lambda usage: usage.ses_emails,
    "{share} e-mails (usage)",
    per=1000,
)
