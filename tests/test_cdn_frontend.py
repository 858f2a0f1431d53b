"""CdnFrontend: one synth per configuration (module fixtures), one test per promise and per error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_route53 as route53
from aws_cdk.assertions import Match, Template

from cdk_casemgmt.cdn_frontend import CdnFrontend
from cdk_casemgmt.compliance import acknowledgements
from cdk_casemgmt.errors import ValidationError
from cdk_casemgmt.secure_fargate_api import ApiIngress, SecureFargateApi
from cdk_casemgmt.testing import (
    cfn_lint,
    logical_ids,
    masked_template,
    new_test_app,
    new_test_stack,
    template_of,
)
from tests.conftest import CFN_LINT_CONFIG
from tests.helpers import all_findings, replicating_app

SITE = Path(__file__).parent / "fixtures" / "site"
APP_DIR = Path(__file__).parent / "fixtures" / "app"  # SecureFargateApi's test image
ACCOUNT = "111111111111"
CERT_ARN = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/11111111-2222-3333-4444-555555555555"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def zone(scope: Stack) -> route53.IHostedZone:
    return route53.HostedZone.from_hosted_zone_attributes(
        scope, "Zone", hosted_zone_id="Z0123456789EXAMPLE", zone_name="example.com"
    )


def resources(template: dict[str, Any], type_: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def only(template: dict[str, Any], type_: str) -> dict[str, Any]:
    found = list(resources(template, type_).values())
    assert len(found) == 1, f"{len(found)} {type_}"
    props: dict[str, Any] = found[0]["Properties"]
    return props


# --- configurations, synthesized once each -------------------------------------------------------
class Built:
    def __init__(self, app: App, stack: Stack, cdn: CdnFrontend) -> None:
        self.app, self.stack, self.cdn = app, stack, cdn
        self.template = template_of(stack)
        self.distribution = only(self.template, "AWS::CloudFront::Distribution")["DistributionConfig"]


@pytest.fixture(scope="module")
def plain() -> Built:
    """us-east-1, default props: everything in one stack, *.cloudfront.net name."""
    app = new_test_app()
    stack = new_test_stack(app, "Web")
    return Built(app, stack, CdnFrontend(stack, "Cdn", site_dir=SITE))


@pytest.fixture(scope="module")
def europe() -> Built:
    """eu-west-1 with a custom domain: web ACL + certificate and alarms go to us-east-1 siblings."""
    app = new_test_app()
    stack = Stack(
        app, "Web", env=Environment(account=ACCOUNT, region="eu-west-1"), cross_region_references=True
    )
    cdn = CdnFrontend(
        stack,
        "Cdn",
        site_dir=SITE,
        domain_name="app.example.com",
        hosted_zone=zone(stack),
        identity_provider_origins=["https://auth.example.com"],
        auth_settings={"clientId": "abc123", "issuer": "https://auth.example.com"},
    )
    return Built(app, stack, cdn)


@pytest.fixture(scope="module")
def with_api() -> Built:
    """us-east-1 with a SecureFargateApi at default props (private ingress, no certificate)."""
    app = new_test_app()
    stack = new_test_stack(app, "Web")
    api = SecureFargateApi(stack, "Api", image=str(APP_DIR))
    cdn = CdnFrontend(stack, "Cdn", site_dir=SITE, api=api)
    built = Built(app, stack, cdn)
    built.api = api
    return built


@pytest.fixture(scope="module")
def replicated() -> Built:
    """us-east-1, site bucket replicated to a KMS-encrypted bucket in a us-west-2 stack."""
    app, stack, destination = replicating_app("Web")
    built = Built(app, stack, CdnFrontend(stack, "Cdn", site_dir=SITE, replication_destination=destination))
    built.destination = destination
    return built


# --- compliance, validation, lint ----------------------------------------------------------------
@pytest.mark.parametrize("configuration", ["plain", "europe", "with_api"])
def test_no_unacknowledged_findings(configuration: str, request: pytest.FixtureRequest) -> None:
    """Alone, in another region (with its us-east-1 siblings), and with an API."""
    built: Built = request.getfixturevalue(configuration)
    assert all_findings(built.app) == []


def test_cfn_lint_clean(plain: Built, europe: Built) -> None:
    stacks = [plain.stack, europe.stack]
    stacks += [s for s in (europe.cdn.edge_stack, europe.cdn.monitoring_stack) if s is not None]
    for stack in stacks:
        assert cfn_lint(stack, config_file=CFN_LINT_CONFIG) == [], stack.node.path


def test_cfn_lint_clean_with_api(with_api: Built) -> None:
    assert cfn_lint(with_api.stack, config_file=CFN_LINT_CONFIG) == []


# --- regions ---------------------------------------------------------------------------------------
def test_us_east_1_keeps_everything_in_one_stack(plain: Built) -> None:
    assert plain.cdn.edge_stack is None and plain.cdn.monitoring_stack is None
    assert [c for c in plain.app.node.children if isinstance(c, Stack)] == [plain.stack]
    assert len(resources(plain.template, "AWS::WAFv2::WebACL")) == 1
    assert len(resources(plain.template, "AWS::CloudWatch::Alarm")) == 2


def test_other_region_puts_acl_certificate_and_alarms_in_us_east_1(europe: Built) -> None:
    edge, alarms = europe.cdn.edge_stack, europe.cdn.monitoring_stack
    assert edge is not None and alarms is not None
    assert (edge.region, alarms.region) == ("us-east-1", "us-east-1")
    edge_t, alarms_t = template_of(edge), template_of(alarms)
    assert only(edge_t, "AWS::WAFv2::WebACL")["Scope"] == "CLOUDFRONT"
    assert only(edge_t, "AWS::CertificateManager::Certificate")["DomainName"] == "app.example.com"
    assert len(resources(alarms_t, "AWS::CloudWatch::Alarm")) == 2
    for type_ in ("AWS::WAFv2::WebACL", "AWS::CertificateManager::Certificate", "AWS::CloudWatch::Alarm"):
        assert resources(europe.template, type_) == {}, type_
    # Deploy order: edge -> Web -> alarms, wired by cross-region references (no manual plumbing).
    assert edge in europe.stack.dependencies and europe.stack in alarms.dependencies
    assert europe.distribution["WebACLId"]["Fn::GetStackOutput"]["Region"] == "us-east-1"
    cert_arn = europe.distribution["ViewerCertificate"]["AcmCertificateArn"]
    assert cert_arn["Fn::GetStackOutput"]["StackName"] == edge.stack_name


def test_cross_region_references_are_weak_even_when_the_app_default_is_strong() -> None:
    app = new_test_app(context={"@aws-cdk/core:defaultCrossStackReferences": "strong"})
    stack = Stack(app, "Web", env=Environment(account=ACCOUNT, region="eu-west-1"))
    cdn = CdnFrontend(stack, "Cdn", site_dir=SITE, domain_name="app.example.com", hosted_zone=zone(stack))
    assert cdn.monitoring_stack is not None
    for s in (stack, cdn.monitoring_stack):
        template = json.dumps(Template.from_stack(s).to_json())
        assert "Fn::GetStackOutput" in template
        assert "Custom::CrossRegionExport" not in template  # no export-writer/reader Lambdas


# --- bucket ---------------------------------------------------------------------------------------
def test_site_bucket_is_private_and_hardened(plain: Built) -> None:
    bucket_id = plain.stack.get_logical_id(plain.cdn.bucket.node.default_child)
    bucket = plain.template["Resources"][bucket_id]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert {"NoncurrentVersionExpiration": {"NoncurrentDays": 90}}.items() <= bucket[
        "LifecycleConfiguration"
    ]["Rules"][0].items()
    assert bucket["LoggingConfiguration"]["DestinationBucketName"] == {
        "Ref": plain.stack.get_logical_id(plain.cdn.log_bucket.node.default_child)
    }
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "WebsiteConfiguration" not in bucket


def test_site_bucket_denies_plain_http(plain: Built) -> None:
    Template.from_json(plain.template).has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": plain.stack.get_logical_id(plain.cdn.bucket.node.default_child)},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            },
        },
    )


def test_only_this_distribution_reads_the_bucket_through_oac(plain: Built) -> None:
    oac = only(plain.template, "AWS::CloudFront::OriginAccessControl")["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"]) == ("s3", "always")
    origin = plain.distribution["Origins"][0]
    assert "OriginAccessControlId" in origin and origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    Template.from_json(plain.template).has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "s3:GetObject",
                                "Principal": {"Service": "cloudfront.amazonaws.com"},
                                "Condition": {"StringEquals": {"AWS:SourceArn": Match.any_value()}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_log_bucket_has_the_ownership_cloudfront_logging_needs(plain: Built) -> None:
    log_id = plain.stack.get_logical_id(plain.cdn.log_bucket.node.default_child)
    log_bucket = plain.template["Resources"][log_id]["Properties"]
    assert log_bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "ObjectWriter"}]
    assert log_bucket["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    assert plain.distribution["Logging"] == {
        "Bucket": {"Fn::GetAtt": [log_id, "RegionalDomainName"]},
        "Prefix": "cloudfront/",
    }


def test_replication_is_off_by_default_and_acknowledged_naming_the_prop(plain: Built) -> None:
    bucket_id = plain.stack.get_logical_id(plain.cdn.bucket.node.default_child)
    assert "ReplicationConfiguration" not in plain.template["Resources"][bucket_id]["Properties"]
    acks = [a for a in acknowledgements(plain.cdn) if a.rule_id.endswith("-S3BucketReplicationEnabled")]
    on_site = [a for a in acks if a.path == "Web/Cdn/Bucket"]
    assert sorted(a.rule_id.split("-")[0] for a in on_site) == [
        "HIPAA.Security",
        "NIST.800.53.R5",
        "PCI.DSS.321",
    ]
    assert all("replication_destination" in a.reason for a in on_site)
    assert {a.path for a in acks} == {"Web/Cdn/Bucket", "Web/Cdn/LogBucket"}  # the log bucket: structural


def test_replication_destination_replicates_kms_encrypted_site_files(replicated: Built) -> None:
    stack, cdn = replicated.stack, replicated.cdn
    bucket = replicated.template["Resources"][stack.get_logical_id(_cfn(cdn.bucket))]["Properties"]
    assert cdn.replication_role is not None and cdn.replication_policy is not None
    config = bucket["ReplicationConfiguration"]
    assert config["Role"] == {"Fn::GetAtt": [stack.get_logical_id(_cfn(cdn.replication_role)), "Arn"]}
    (rule,) = config["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
    destination = rule["Destination"]
    # The generated physical name of the us-west-2 bucket (a cross-region ARN needs one).
    assert destination["Bucket"].startswith("arn:aws:s3:::replicareplica")
    assert (
        destination["EncryptionConfiguration"]["ReplicaKmsKeyID"]["Fn::GetStackOutput"]["Region"]
        == "us-west-2"
    )
    # The destination stack deploys first (the weak reference to its key adds the dependency).
    assert replicated.destination.stack in stack.dependencies


def test_replication_brings_no_finding(replicated: Built) -> None:
    assert all_findings(replicated.app, compliance_under=replicated.stack) == []
    acks = acknowledgements(replicated.cdn)
    assert [a for a in acks if a.path == "Web/Cdn/Bucket" and "Replication" in a.rule_id] == []


def test_replication_role_has_one_managed_policy_with_exact_actions(replicated: Built) -> None:
    stack, cdn = replicated.stack, replicated.cdn
    assert cdn.replication_policy is not None and cdn.replication_role is not None
    role = replicated.template["Resources"][stack.get_logical_id(_cfn(cdn.replication_role))]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert "Policies" not in role and resources(replicated.template, "AWS::IAM::Policy") == {}
    policy = replicated.template["Resources"][stack.get_logical_id(_cfn(cdn.replication_policy))][
        "Properties"
    ]
    assert policy["Roles"] == [{"Ref": stack.get_logical_id(_cfn(cdn.replication_role))}]
    actions = sorted(
        a
        for s in policy["PolicyDocument"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )
    assert actions == sorted(
        [
            "s3:GetReplicationConfiguration",
            "s3:ListBucket",
            "s3:GetObjectVersionForReplication",
            "s3:GetObjectVersionAcl",
            "s3:GetObjectVersionTagging",
            "s3:ReplicateObject",
            "s3:ReplicateDelete",
            "s3:ReplicateTags",
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:GenerateDataKey",
        ]
    )
    # Only the two object-level wildcards replication needs are acknowledged, on this policy.
    iam5 = sorted(a.rule_id for a in acknowledgements(cdn) if a.path == "Web/Cdn/ReplicationPolicy")
    assert len(iam5) == 2 and all(
        r.startswith("AwsSolutions-IAM5[Resource::") and r.endswith("/*]") for r in iam5
    )


def test_replication_kms_use_is_limited_to_s3_and_each_bucket(replicated: Built) -> None:
    """AWS's SSE-KMS replication policy: each key only through S3 of its region, only for its bucket
    (the bucket ARN is the encryption context with S3 Bucket Keys, the object ARN without)."""
    stack, cdn = replicated.stack, replicated.cdn
    assert cdn.replication_policy is not None
    statements = replicated.template["Resources"][stack.get_logical_id(_cfn(cdn.replication_policy))][
        "Properties"
    ]["PolicyDocument"]["Statement"]
    kms_statements = {json.dumps(s["Action"]): s for s in statements if "kms:" in json.dumps(s["Action"])}
    site, replica = cdn.bucket, replicated.destination

    def context(bucket: Any) -> list[Any]:
        return [stack.resolve(bucket.bucket_arn), stack.resolve(bucket.arn_for_objects("*"))]

    decrypt = kms_statements['"kms:Decrypt"']
    assert decrypt["Resource"] == stack.resolve(cdn.bucket.encryption_key.key_arn)
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": context(site)},
    }
    encrypt = kms_statements['["kms:Encrypt", "kms:GenerateDataKey"]']
    assert encrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": context(replica)},
    }
    assert context(replica)[0].startswith("arn:aws:s3:::replicareplica")  # the generated name, literal
    assert len(kms_statements) == 2


def test_cfn_lint_clean_with_replication(replicated: Built) -> None:
    assert cfn_lint(replicated.stack, config_file=CFN_LINT_CONFIG) == []


# --- content --------------------------------------------------------------------------------------
def _deployments(built: Built) -> list[dict[str, Any]]:
    found = resources(built.template, "Custom::CDKBucketDeployment")
    return [found[k]["Properties"] for k in sorted(found)]


def test_hashed_assets_immutable_and_entry_files_no_cache(plain: Built) -> None:
    assets, site = _deployments(plain)  # DeployAssets sorts before DeploySite
    assert assets["SystemMetadata"] == {"cache-control": "public, max-age=31536000, immutable"}
    assert (assets["Exclude"], assets["Include"], assets["Prune"]) == (["*"], ["assets/*"], False)
    assert site["SystemMetadata"] == {"cache-control": "no-cache"}
    assert (site["Exclude"], site.get("Prune", True)) == (["assets/*"], True)


def test_deploy_invalidates_the_distribution(plain: Built) -> None:
    _, site = _deployments(plain)
    assert site["DistributionPaths"] == ["/*"]
    assert site["DistributionId"] == {
        "Ref": plain.stack.get_logical_id(plain.cdn.distribution.node.default_child)
    }


def test_runtime_config_is_deployed(europe: Built) -> None:
    assert europe.cdn.runtime_config == {
        "auth": {"clientId": "abc123", "issuer": "https://auth.example.com"},
    }
    outdir = Path(europe.app.outdir)
    files = list(outdir.glob("asset.*/runtime-config.json"))
    assert [json.loads(p.read_text()) for p in files] == [dict(europe.cdn.runtime_config)]


def test_tokens_in_runtime_config_resolve_at_deploy_and_other_deployments_coexist() -> None:
    from aws_cdk import aws_cognito as cognito
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_s3_deployment as s3deploy

    app = new_test_app()
    stack = new_test_stack(app, "Web")
    pool = cognito.UserPool(stack, "Users")
    CdnFrontend(stack, "Cdn", site_dir=SITE, auth_settings={"userPoolId": pool.user_pool_id})
    # A deployment of the user's own with the default memory has its own handler and role.
    s3deploy.BucketDeployment(
        stack,
        "Other",
        sources=[s3deploy.Source.asset(str(SITE))],
        destination_bucket=s3.Bucket(stack, "OtherBucket"),
    )
    deployments = Template.from_stack(stack).find_resources("Custom::CDKBucketDeployment")  # synth passes
    markers = [
        d["Properties"]["SourceMarkers"] for d in deployments.values() if "SourceMarkers" in d["Properties"]
    ]
    pool_id = stack.get_logical_id(pool.node.default_child)
    # DeploySite: the site (no markers) and runtime-config.json, whose marker is the pool's ID.
    assert len(markers) == 1 and markers[0][0] == {}
    assert json.dumps({"Ref": pool_id}) in json.dumps(markers[0][1])


def test_deployment_role_has_no_wildcard_actions(plain: Built) -> None:
    policy = only(plain.template, "AWS::IAM::ManagedPolicy")["PolicyDocument"]
    actions = [
        a
        for s in policy["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert actions and not [a for a in actions if "*" in a]
    assert resources(plain.template, "AWS::IAM::Policy") == {}  # no inline policies


def test_another_bucket_deployment_may_not_share_our_handler() -> None:
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_s3_deployment as s3deploy

    app = new_test_app()
    stack = new_test_stack(app, "Web")
    CdnFrontend(stack, "Cdn", site_dir=SITE)
    s3deploy.BucketDeployment(
        stack,
        "Other",
        sources=[s3deploy.Source.asset(str(SITE))],
        destination_bucket=s3.Bucket(stack, "OtherBucket"),
        memory_limit=576,
    )
    with pytest.raises(Exception, match="shares CdnFrontend's BucketDeployment handler"):
        app.synth()


# --- behaviors --------------------------------------------------------------------------------------
def test_spa_rewrite_runs_on_the_s3_behavior_only(with_api: Built) -> None:
    default = with_api.distribution["DefaultCacheBehavior"]
    function_id = with_api.stack.get_logical_id(with_api.cdn.spa_rewrite_function.node.default_child)
    assert default["FunctionAssociations"] == [
        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [function_id, "FunctionARN"]}}
    ]
    assert [b.get("FunctionAssociations") for b in with_api.distribution["CacheBehaviors"]] == [None]
    function = only(with_api.template, "AWS::CloudFront::Function")
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert "request.uri = '/index.html'" in function["FunctionCode"]


def test_no_distribution_wide_error_responses(with_api: Built) -> None:
    assert "CustomErrorResponses" not in with_api.distribution


def test_api_behavior(with_api: Built) -> None:
    (api,) = with_api.distribution["CacheBehaviors"]
    assert api["PathPattern"] == "/api/*"
    assert api["CachePolicyId"] == CACHING_DISABLED
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert api["AllowedMethods"] == ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
    assert api["ViewerProtocolPolicy"] == "https-only"
    origin = next(o for o in with_api.distribution["Origins"] if o["Id"] == api["TargetOriginId"])
    assert "VpcOriginConfig" in origin


def test_api_reached_through_a_vpc_origin_over_http_without_certificate(with_api: Built) -> None:
    vpc_origin = only(with_api.template, "AWS::CloudFront::VpcOrigin")["VpcOriginEndpointConfig"]
    assert vpc_origin["OriginProtocolPolicy"] == "http-only"
    alb = with_api.api.load_balancer.node.default_child
    assert vpc_origin["Arn"] == {"Ref": with_api.stack.get_logical_id(alb)}


def test_api_is_switched_to_cloudfront_ingress(with_api: Built) -> None:
    assert with_api.api.ingress is ApiIngress.CLOUDFRONT
    sg = with_api.stack.get_logical_id(with_api.api.load_balancer_security_group.node.default_child)
    rules = [
        r["Properties"]
        for r in resources(with_api.template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [sg, "GroupId"]}
    ]
    rules += with_api.template["Resources"][sg]["Properties"].get("SecurityGroupIngress", [])
    assert len(rules) == 1 and "SourcePrefixListId" in rules[0] and "CidrIp" not in rules[0]


def test_api_with_certificate_is_reached_over_https() -> None:
    app = new_test_app()
    stack = new_test_stack(app, "Web")
    cert = acm.Certificate.from_certificate_arn(stack, "ApiCert", CERT_ARN)
    api = SecureFargateApi(
        stack,
        "Api",
        image=str(APP_DIR),
        certificate=cert,
        domain_name="api.example.com",
        hosted_zone=zone(stack),
    )
    CdnFrontend(stack, "Cdn", site_dir=SITE, api=api)
    vpc_origin = Template.from_stack(stack).find_resources("AWS::CloudFront::VpcOrigin")
    (config,) = [v["Properties"]["VpcOriginEndpointConfig"] for v in vpc_origin.values()]
    assert config["OriginProtocolPolicy"] == "https-only"
    assert config["OriginSSLProtocols"] == ["TLSv1.2"]
    origin = only(Template.from_stack(stack).to_json(), "AWS::CloudFront::Distribution")
    (vpc,) = [o for o in origin["DistributionConfig"]["Origins"] if "VpcOriginConfig" in o]
    assert vpc["DomainName"] == "api.example.com" == api.domain_name  # what the certificate covers


def test_api_certificate_without_domain_name_is_rejected() -> None:
    app = new_test_app()
    stack = new_test_stack(app, "Web")
    cert = acm.Certificate.from_certificate_arn(stack, "ApiCert", CERT_ARN)
    message = _error(stack=stack, api=SecureFargateApi(stack, "Api", image=str(APP_DIR), certificate=cert))
    assert "has a certificate but no domain name" in message and "give the API domain_name=" in message


def test_runtime_config_points_at_the_api(with_api: Built) -> None:
    assert with_api.cdn.runtime_config["apiBaseUrl"] == "/api"


# --- headers ---------------------------------------------------------------------------------------
def _headers(built: Built) -> dict[str, Any]:
    config = only(built.template, "AWS::CloudFront::ResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]
    headers: dict[str, Any] = config["SecurityHeadersConfig"]
    return headers


def test_security_headers(plain: Built) -> None:
    h = _headers(plain)
    assert h["StrictTransportSecurity"] == {
        "AccessControlMaxAgeSec": 63072000,
        "IncludeSubdomains": True,
        "Preload": True,
        "Override": True,
    }
    assert h["ContentTypeOptions"] == {"Override": True}
    assert h["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert h["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"


def test_headers_apply_to_spa_and_api(with_api: Built) -> None:
    policy_id = with_api.distribution["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]
    assert [b["ResponseHeadersPolicyId"] for b in with_api.distribution["CacheBehaviors"]] == [policy_id]


def test_csp_allows_own_origin_and_identity_provider(europe: Built) -> None:
    csp = _headers(europe)["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert "connect-src 'self' https://auth.example.com" in csp
    assert "form-action 'self' https://auth.example.com" in csp
    assert "frame-ancestors 'none'" in csp
    assert "font-src 'self'" in csp


def test_absolute_api_base_url_is_allowed_in_connect_src() -> None:
    app = new_test_app()
    stack = new_test_stack(app, "Web")
    cdn = CdnFrontend(stack, "Cdn", site_dir=SITE, api_base_url="https://api.example.com/v1")
    assert cdn.content_security_policy.directives["connect-src"] == ("'self'", "https://api.example.com")
    assert cdn.runtime_config["apiBaseUrl"] == "https://api.example.com/v1"


def test_custom_csp_is_used() -> None:
    from cdk_casemgmt.csp import ContentSecurityPolicy

    app = new_test_app()
    stack = new_test_stack(app, "Web")
    csp = ContentSecurityPolicy.for_single_page_app().allow("img-src", "https://images.example.com")
    cdn = CdnFrontend(stack, "Cdn", site_dir=SITE, content_security_policy=csp)
    assert cdn.content_security_policy is csp
    Template.from_stack(stack).has_resource_properties(
        "AWS::CloudFront::ResponseHeadersPolicy",
        {
            "ResponseHeadersPolicyConfig": {
                "SecurityHeadersConfig": {
                    "ContentSecurityPolicy": {"ContentSecurityPolicy": csp.render(), "Override": True}
                }
            }
        },
    )


# --- distribution ------------------------------------------------------------------------------------
def test_https_http3_ipv6_compression_price_class(plain: Built) -> None:
    d = plain.distribution
    assert d["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert d["DefaultCacheBehavior"]["Compress"] is True
    assert d["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_OPTIMIZED
    assert (d["HttpVersion"], d["IPV6Enabled"], d["PriceClass"]) == ("http2and3", True, "PriceClass_100")
    assert d["DefaultRootObject"] == "index.html"


def test_custom_domain_uses_tls_1_2_2021_and_alias_records(europe: Built) -> None:
    d = europe.distribution
    assert d["Aliases"] == ["app.example.com"]
    assert d["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert d["ViewerCertificate"]["SslSupportMethod"] == "sni-only"
    records = resources(europe.template, "AWS::Route53::RecordSet")
    assert sorted(r["Properties"]["Type"] for r in records.values()) == ["A", "AAAA"]
    assert europe.cdn.url == "https://app.example.com"


def test_imported_certificate_is_used_as_is() -> None:
    app = new_test_app()
    stack = new_test_stack(app, "Web")
    cert = acm.Certificate.from_certificate_arn(stack, "Cert", CERT_ARN)
    CdnFrontend(stack, "Cdn", site_dir=SITE, domain_name="app.example.com", certificate=cert)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::CertificateManager::Certificate", 0)
    template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {"DistributionConfig": {"ViewerCertificate": Match.object_like({"AcmCertificateArn": CERT_ARN})}},
    )


def test_geo_restriction_option() -> None:
    app = new_test_app()
    stack = new_test_stack(app, "Web")
    CdnFrontend(stack, "Cdn", site_dir=SITE, geo_restriction=cloudfront.GeoRestriction.allowlist("DE", "FR"))
    Template.from_stack(stack).has_resource_properties(
        "AWS::CloudFront::Distribution",
        {
            "DistributionConfig": Match.object_like(
                {
                    "Restrictions": {
                        "GeoRestriction": {"Locations": ["DE", "FR"], "RestrictionType": "whitelist"}
                    }
                }
            )
        },
    )


def test_attributes(plain: Built) -> None:
    cdn = plain.cdn
    assert cdn.url == f"https://{cdn.domain_name}"
    assert cdn.domain_name == cdn.distribution.distribution_domain_name
    assert cdn.web_acl.scope == "CLOUDFRONT"
    assert cdn.bucket.node.path == "Web/Cdn/Bucket"


# --- WAF ---------------------------------------------------------------------------------------------
def test_web_acl_rules(plain: Built) -> None:
    acl = only(plain.template, "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "CLOUDFRONT"
    assert [r["Name"] for r in acl["Rules"]] == [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
        "RateLimitPerIp",
    ]
    rate = acl["Rules"][3]
    assert rate["Statement"]["RateBasedStatement"] == {"AggregateKeyType": "IP", "Limit": 2000}
    assert rate["Action"] == {"Block": {}}
    acl_id = plain.stack.get_logical_id(plain.cdn.web_acl)
    assert plain.distribution["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}


def test_web_acl_logs_to_an_encrypted_waf_log_group(plain: Built) -> None:
    logging = only(plain.template, "AWS::WAFv2::LoggingConfiguration")
    assert logging["RedactedFields"] == [
        {"SingleHeader": {"Name": "authorization"}},
        {"SingleHeader": {"Name": "cookie"}},
    ]
    groups = resources(plain.template, "AWS::Logs::LogGroup")
    waf = [
        g["Properties"]
        for g in groups.values()
        if g["Properties"].get("LogGroupName", "").startswith("aws-waf-logs-")
    ]
    assert len(waf) == 1 and "KmsKeyId" in waf[0] and waf[0]["RetentionInDays"] == 365


# --- alarms -----------------------------------------------------------------------------------------
def test_alarms_notify_an_encrypted_topic(plain: Built) -> None:
    alarms = resources(plain.template, "AWS::CloudWatch::Alarm")
    metrics = sorted(a["Properties"]["MetricName"] for a in alarms.values())
    assert metrics == ["5xxErrorRate", "OriginLatency"]
    topic_id = plain.stack.get_logical_id(plain.cdn.alarm_topic.node.default_child)
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    assert "KmsMasterKeyId" in plain.template["Resources"][topic_id]["Properties"]
    assert plain.distribution["DefaultCacheBehavior"] is not None
    assert only(plain.template, "AWS::CloudFront::MonitoringSubscription")  # OriginLatency needs it


# --- bad props ----------------------------------------------------------------------------------------
def _error(tmp_path: Path | None = None, **props: Any) -> str:
    app = new_test_app()
    stack = props.pop("stack", None) or new_test_stack(app, "Web")
    props.setdefault("site_dir", SITE)
    with pytest.raises(ValidationError) as err:
        CdnFrontend(stack, "Cdn", **props)
    return str(err.value)


def test_site_dir_missing(tmp_path: Path) -> None:
    message = _error(site_dir=tmp_path / "dist")
    assert "site_dir=" in message and "is not a directory" in message


def test_site_dir_without_index_html(tmp_path: Path) -> None:
    (tmp_path / "app.js").write_text("")
    message = _error(site_dir=tmp_path)
    assert "has no index.html" in message and "Fix: pass the build output directory" in message


def test_domain_without_certificate_or_zone() -> None:
    message = _error(domain_name="app.example.com")
    assert "domain_name='app.example.com': needs a certificate" in message
    assert "pass hosted_zone" in message


def test_certificate_outside_us_east_1() -> None:
    app = new_test_app()
    stack = new_test_stack(app, "Web")
    cert = acm.Certificate.from_certificate_arn(stack, "Cert", CERT_ARN.replace("us-east-1", "eu-west-1"))
    message = _error(stack=stack, domain_name="app.example.com", certificate=cert)
    assert "is in eu-west-1; CloudFront only uses ACM certificates from us-east-1" in message


def test_domain_outside_the_zone() -> None:
    app = new_test_app()
    stack = new_test_stack(app, "Web")
    message = _error(stack=stack, domain_name="app.example.org", hosted_zone=zone(stack))
    assert "is not inside hosted_zone 'example.com'" in message


def test_invalid_identity_provider_origin() -> None:
    message = _error(identity_provider_origins=["https://auth.example.com; script-src *"])
    assert "identity_provider_origins[0]=" in message and "Fix: pass an origin" in message


def test_invalid_csp_source_in_builder() -> None:
    from cdk_casemgmt.csp import ContentSecurityPolicy

    with pytest.raises(ValidationError, match='connect-src source "\'self"'):
        ContentSecurityPolicy.for_single_page_app(connect_origins=["'self"])


def test_public_api_is_rejected_with_the_fix() -> None:
    app = new_test_app()
    stack = new_test_stack(app, "Web")
    api = SecureFargateApi(
        stack,
        "Api",
        image=str(APP_DIR),
        ingress=ApiIngress.PUBLIC,
        domain_name="api.example.com",
        hosted_zone=zone(stack),
    )
    message = _error(stack=stack, api=api)
    assert "(ingress=public)" in message
    assert "create the API with its default private ingress" in message


def test_environment_agnostic_stack() -> None:
    app = new_test_app()
    message = _error(stack=Stack(app, "Web"))
    assert "stack.env=" in message and "give the stack an explicit env" in message


def test_certificate_without_domain_name() -> None:
    app = new_test_app()
    stack = new_test_stack(app, "Web")
    cert = acm.Certificate.from_certificate_arn(stack, "Cert", CERT_ARN)
    message = _error(stack=stack, certificate=cert)
    assert "given without domain_name" in message and "Fix: pass domain_name=" in message


def test_alarm_topic_outside_us_east_1() -> None:
    from aws_cdk import aws_sns as sns

    app = new_test_app()
    stack = new_test_stack(app, "Web")
    topic = sns.Topic.from_topic_arn(stack, "Topic", f"arn:aws:sns:eu-west-1:{ACCOUNT}:alarms")
    message = _error(stack=stack, alarm_topic=topic)
    assert "alarm_topic=" in message and "is in eu-west-1" in message


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    message = _error(site_dir=tmp_path / "nope", domain_name="app.example.com", waf_rate_limit=5)
    assert "3 invalid prop(s)" in message


# --- snapshots and frozen IDs ---------------------------------------------------------------------------
def test_snapshot(plain: Built, cdk_snapshot: Any) -> None:
    assert masked_template(plain.template) == cdk_snapshot


def test_snapshot_edge_stack(europe: Built, cdk_snapshot: Any) -> None:
    assert europe.cdn.edge_stack is not None
    assert masked_template(europe.cdn.edge_stack) == cdk_snapshot


def test_logical_ids_are_frozen(plain: Built) -> None:
    assert logical_ids(plain.template) == {
        "CdnAlarmTopicA5B3D8BC": "AWS::SNS::Topic",
        "CdnBucket0DC12795": "AWS::S3::Bucket",
        "CdnDeploymentLogs20D22DF0": "AWS::Logs::LogGroup",
        "CdnDistribution149FA6C8": "AWS::CloudFront::Distribution",
        "CdnKey61957693": "AWS::KMS::Key",
        "CdnLogBucket75337C09": "AWS::S3::Bucket",
        "CdnWafLogs41DD910D": "AWS::Logs::LogGroup",
    }


def _cfn(construct: Any) -> Any:
    return construct.node.default_child
