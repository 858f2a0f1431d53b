"""CloudFront's us-east-1 parts: when CdnFrontend's stack is in another region, its web ACL, certificate
and alarms go into sibling us-east-1 stacks of the same stage and account, referenced weakly."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import CrossStackReferences, Environment, ReferenceStrength, Stack, Stage, Token
from constructs import Construct

from cdk_casemgmt.errors import ValidationError

__all__ = ["CLOUDFRONT_REGION", "reference_weakly", "sibling_stack"]

CLOUDFRONT_REGION = "us-east-1"
"""CloudFront reads certificates and CLOUDFRONT-scope web ACLs only here, and publishes its metrics here."""


def sibling_stack(stack: Stack, suffix: str, owner: Construct) -> Stack:
    """A us-east-1 stack next to ``stack`` (same stage and account), created once per suffix."""
    stage = Stage.of(stack)
    if stage is None:  # pragma: no cover - a Stack always has a stage (the App)
        raise ValidationError(owner.node.path, ["the stack is not inside an App or Stage"])
    account = None if Token.is_unresolved(stack.account) else stack.account
    sibling_id = f"{stack.node.id}{suffix}"
    existing = stage.node.try_find_child(sibling_id)
    if isinstance(existing, Stack):
        return existing
    return Stack(
        stage,
        sibling_id,
        env=Environment(account=account, region=CLOUDFRONT_REGION),
        description=f"us-east-1 parts of {owner.node.path} (cdk-casemgmt CdnFrontend)",
    )


def reference_weakly(producers: Iterable[Construct]) -> None:
    """Cross-region references to ``producers`` as weak references (Fn::GetStackOutput), whatever the
    app's default: no export-writer Lambdas, no cross_region_references flag, and no "deadly embrace"
    when one side changes."""
    for producer in producers:
        CrossStackReferences.of(producer).produce(ReferenceStrength.WEAK)
