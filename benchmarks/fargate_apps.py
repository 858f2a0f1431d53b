"""Two equivalent stacks for the synth benchmark: ours vs. aws-cdk-lib's patterns.

``python benchmarks/fargate_apps.py ours|patterns [--packs]`` builds and synthesizes one app (into a
temporary directory) and exits. ``ours`` is SecureFargateApi + PostgresDatabase; ``patterns`` is
ApplicationLoadBalancedFargateService + DatabaseInstance with their defaults, the same image and a
connection between them. ``--packs`` registers the four compliance packs (only ``ours`` passes them).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk import aws_rds as rds

IMAGE_DIR = str(Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "app")
ENV = Environment(account="111111111111", region="us-east-1")


def ours(stack: Stack) -> None:
    from cdk_casemgmt import PostgresDatabase, SecureFargateApi

    api = SecureFargateApi(stack, "Api", image=IMAGE_DIR)
    api.connect(PostgresDatabase(stack, "Db", vpc=api.vpc))


def patterns(stack: Stack) -> None:
    service = ecs_patterns.ApplicationLoadBalancedFargateService(
        stack,
        "Api",
        task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
            image=ecs.ContainerImage.from_asset(IMAGE_DIR), container_port=8080
        ),
        min_healthy_percent=100,
    )
    db = rds.DatabaseInstance(
        stack,
        "Db",
        engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_17_9),
        vpc=service.cluster.vpc,
    )
    db.connections.allow_default_port_from(service.service)
    assert db.secret is not None
    db.secret.grant_read(service.task_definition.task_role)


def main() -> None:
    which, packs = sys.argv[1], "--packs" in sys.argv
    with tempfile.TemporaryDirectory() as outdir:
        # Both apps get the feature flags `cdk init` writes for aws-cdk-lib 2.275 (as a new project would).
        from cdk_casemgmt.testing import feature_flags

        app = App(outdir=outdir, context=dict(feature_flags()))
        stack = Stack(app, "Bench", env=ENV)
        {"ours": ours, "patterns": patterns}[which](stack)
        if packs:
            from cdk_casemgmt import add_compliance_checks

            add_compliance_checks(app)
        app.synth()


if __name__ == "__main__":
    main()
