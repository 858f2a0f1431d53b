"""The reference deployment: ``examples/reference-api`` with every cdk-casemgmt construct.

Synthesize with ``make synth`` (or ``python app.py`` here, with JSII_NODE set): no AWS account and no
Docker are needed, and the synth fails with the list of findings if any of the four compliance packs
finds an unacknowledged problem. Deploy with ``npx cdk deploy`` (see docs/reference-api.md).

Context (``cdk.json`` or ``-c key=value``):

- ``authDomainPrefix``: the Cognito hosted UI prefix; empty means ``casemgmt-ref-<account>``.
- ``mailFrom``: the address notifications come from (an SES identity is created for it).

The account is the CLI's (``CDK_DEFAULT_ACCOUNT``), else the placeholder 111111111111 so that a synth
needs no credentials. The region is us-east-1: CloudFront's region, and the one the cost figures use.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from aws_cdk import App, Environment

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # reference_stack beside this file, however the app is started

from reference_stack import ReferenceApiStack  # noqa: E402  # importable only after the path line

from cdk_casemgmt import add_compliance_checks  # noqa: E402  # kept beside its sibling import

PLACEHOLDER_ACCOUNT = "111111111111"
REGION = "us-east-1"


def build(app: App, account: str | None = None) -> ReferenceApiStack:
    account = account or os.environ.get("CDK_DEFAULT_ACCOUNT") or PLACEHOLDER_ACCOUNT
    prefix = str(app.node.try_get_context("authDomainPrefix") or f"casemgmt-ref-{account}")
    stack = ReferenceApiStack(
        app,
        "CaseMgmtReferenceApi",
        env=Environment(account=account, region=REGION),
        description="cdk-casemgmt reference deployment: case-management API, database, web front end",
        auth_domain_prefix=prefix,
        mail_from=str(app.node.try_get_context("mailFrom") or "cases@example.com"),
    )
    add_compliance_checks(app)
    return stack


if __name__ == "__main__":
    # `npx cdk synth` passes the context and output directory itself; `python app.py` reads cdk.json.
    context = (
        {} if "CDK_CONTEXT_JSON" in os.environ else json.loads((HERE / "cdk.json").read_text())["context"]
    )
    outdir = None if "CDK_OUTDIR" in os.environ else str(HERE / "cdk.out")
    app = App(context=context, outdir=outdir)
    build(app)
    assembly = app.synth()
    for stack in assembly.stacks:
        print(f"synthesized {stack.stack_name} -> {stack.template_full_path}")
