"""Quickstart: a VPC and a PostgresDatabase, checked by the four compliance packs at synth.

Run with ``make synth`` (or ``python app.py`` with JSII_NODE set): the synth fails with the list of
findings if any pack finds an unacknowledged problem.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_casemgmt import PostgresDatabase, add_compliance_checks


class QuickstartStack(Stack):
    """An isolated VPC (no internet gateway, no NAT: nothing to pay for idle) and the database.

    The database's secret rotation reaches Secrets Manager through the interface endpoint that
    PostgresDatabase adds when the VPC has no egress.
    """

    def __init__(self, scope: Construct, id: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]  # Stack props passed through
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            restrict_default_security_group=True,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            ],
        )
        flow_logs_key = kms.Key(self, "FlowLogsKey", enable_key_rotation=True)
        flow_logs_key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com"))
        flow_logs = logs.LogGroup(
            self, "FlowLogs", retention=logs.RetentionDays.ONE_YEAR, encryption_key=flow_logs_key
        )
        flow_logs_role = iam.Role(
            self, "FlowLogsRole", assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com")
        )
        iam.ManagedPolicy(
            self,
            "FlowLogsPolicy",
            roles=[flow_logs_role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    resources=[flow_logs.log_group_arn],
                )
            ],
        )
        vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                flow_logs, flow_logs_role.without_policy_updates()
            ),
        )
        self.database = PostgresDatabase(self, "Db", vpc=vpc)


def build(app: App) -> QuickstartStack:
    stack = QuickstartStack(
        app, "CaseMgmtQuickstart", env=Environment(account="111111111111", region="us-east-1")
    )
    add_compliance_checks(app)
    return stack


if __name__ == "__main__":
    # `npx cdk synth` passes the context and the output directory itself; `python app.py` reads cdk.json.
    here = Path(__file__).parent
    from_cli = "CDK_CONTEXT_JSON" in os.environ
    context = {} if from_cli else json.loads((here / "cdk.json").read_text())["context"]
    app = App(context=context, outdir=None if "CDK_OUTDIR" in os.environ else str(here / "cdk.out"))
    build(app)
    assembly = app.synth()
    for stack in assembly.stacks:
        print(f"synthesized {stack.stack_name} -> {stack.template_full_path}")
