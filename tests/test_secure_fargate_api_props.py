"""SecureFargateApi's documented defaults are the ones it uses: every keyword-only prop has a ``:param``
line with a ``:default:``, and a literal ``:default:`` equals the signature's default (read from
``_defaults``), so the docs generated from the docstring cannot drift from the code."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs

from cdk_casemgmt.network import NatGateways
from cdk_casemgmt.secure_fargate_api import ApiIngress, SecureFargateApi

PROPS = [
    p
    for p in inspect.signature(SecureFargateApi.__init__).parameters.values()
    if p.kind is inspect.Parameter.KEYWORD_ONLY
]
# Each :param's text runs to the next :param, a blank line or the docstring's end.
PARAM = re.compile(r":param (\w+):(.*?)(?=:param |\n\s*\n|\Z)", re.S)
DOCUMENTED = dict(PARAM.findall(SecureFargateApi.__doc__ or ""))
# What a literal default may name, as the docstring writes it.
NAMES = {
    "Duration": Duration,
    "RemovalPolicy": RemovalPolicy,
    "ecs": ecs,
    "elbv2": elbv2,
    "logs": logs,
    "NatGateways": NatGateways,
    "ApiIngress": ApiIngress,
}


def documented_default(prop: str) -> str:
    text = DOCUMENTED[prop]
    assert ":default:" in text, f"{prop}: no :default: line"
    return " ".join(text.split(":default:", 1)[1].split())


def same(a: Any, b: Any) -> bool:
    if isinstance(a, Duration) and isinstance(b, Duration):
        return bool(a.to_seconds() == b.to_seconds())
    ref_a, ref_b = (getattr(getattr(x, "__jsii_ref__", None), "ref", None) for x in (a, b))
    if ref_a is not None:
        return bool(ref_a == ref_b)  # jsii class constants such as ecs.CpuArchitecture.ARM64
    return bool(a == b)


def test_every_prop_is_documented_with_a_default() -> None:
    assert [p.name for p in PROPS if p.name not in DOCUMENTED] == []
    required = [p.name for p in PROPS if p.default is inspect.Parameter.empty]
    assert required == ["image"]
    for p in PROPS:
        if p.name != "image":
            documented_default(p.name)


@pytest.mark.parametrize(
    "prop", [p for p in PROPS if p.default not in (None, inspect.Parameter.empty)], ids=lambda p: p.name
)
def test_a_literal_default_is_the_default_used(prop: inspect.Parameter) -> None:
    text = documented_default(prop.name)
    literal = re.match(r"\([^)]*\)|[^\s(]+(\([^)]*\))?", text)  # a tuple, a name, or a call
    assert literal is not None and not text.startswith("-"), f"{prop.name}: {text!r} is not a literal"
    assert same(eval(literal.group(0), dict(NAMES)), prop.default), (
        f"{prop.name}: documented {literal.group(0)}"
    )
