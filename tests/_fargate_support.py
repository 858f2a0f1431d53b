"""Shared builders for the SecureFargateApi tests: each configuration is synthesized once per module."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from constructs import Construct

from cdk_casemgmt.postgres_database import PostgresDatabase
from cdk_casemgmt.secure_fargate_api import ApiIngress, SecureFargateApi
from cdk_casemgmt.testing import new_test_app, new_test_stack, template_of
from tests.helpers import resources_of

APP_DIR = str(Path(__file__).parent / "fixtures" / "app")
DOMAIN = "app.example.com"
CERT_ARN = "arn:aws:acm:us-east-1:111111111111:certificate/11111111-2222-3333-4444-555555555555"


def hosted_zone(scope: Construct) -> route53.IHostedZone:
    return route53.HostedZone.from_hosted_zone_attributes(
        scope, "Zone", hosted_zone_id="Z0123456789EXAMPLE", zone_name="example.com"
    )


def certificate(scope: Construct) -> acm.ICertificate:
    return acm.Certificate.from_certificate_arn(scope, "Cert", CERT_ARN)


@dataclass
class Built:
    app: App
    stack: Stack
    api: SecureFargateApi
    db: Any = None

    @property
    def template(self) -> dict[str, Any]:
        return template_of(self.stack)

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return resources_of(self.template, type_)

    def one(self, type_: str) -> dict[str, Any]:
        found = list(self.resources(type_).values())
        assert len(found) == 1, f"{len(found)} {type_}"
        return found[0]["Properties"]


def build(mode: ApiIngress = ApiIngress.PRIVATE, *, database: bool = False, **props: Any) -> Built:
    app = new_test_app()
    stack = new_test_stack(app)
    if mode is ApiIngress.PUBLIC and "certificate" not in props:
        props.setdefault("domain_name", DOMAIN)
        props.setdefault("hosted_zone", hosted_zone(stack))
    api_mode = ApiIngress.PRIVATE if mode is ApiIngress.CLOUDFRONT else mode
    props.setdefault("image", APP_DIR)
    api = SecureFargateApi(stack, "Api", ingress=api_mode, **props)
    db = None
    if database:
        db = PostgresDatabase(stack, "Db", vpc=api.vpc)
        api.connect(db)
    if mode is ApiIngress.CLOUDFRONT:
        api.enable_cloudfront_ingress()
    return Built(app, stack, api, db)


def ingress_rules(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every ingress rule in the template, inline or standalone, with the group's logical id."""
    rules: list[dict[str, Any]] = []
    for logical_id, r in template["Resources"].items():
        if r["Type"] == "AWS::EC2::SecurityGroup":
            for rule in r["Properties"].get("SecurityGroupIngress", []):
                rules.append({**rule, "_group": logical_id})
        elif r["Type"] == "AWS::EC2::SecurityGroupIngress":
            rules.append({**r["Properties"], "_group": json.dumps(r["Properties"]["GroupId"])})
    return rules
