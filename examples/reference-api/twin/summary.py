"""What the twin proves and what it does not: the closing summary of `make twin` (docs/twin.md has the table).

``NOT_ENFORCED`` lists what AWS enforces and the stand-ins do not, each with the template test that checks
that rule instead (a test name under ``tests/``, checked to exist by test_twin.py), or None where no
template test checks it yet.
"""

from __future__ import annotations

from typing import Any

from standins import CORRECTIONS

REFERENCE = "tests/test_reference_deployment.py"
FARGATE = "tests/test_secure_fargate_api.py"
DATABASE = "tests/test_postgres_database.py"
BUCKET = "tests/test_private_bucket.py"
CDN = "tests/test_cdn_frontend.py"

NOT_ENFORCED: list[tuple[str, str, str | None]] = [
    (
        "IAM: the task role may read only the database secret",
        "moto accepts any credentials for any action",
        f"{REFERENCE}::test_task_role_reads_only_the_database_secret",
    ),
    (
        "IAM: the task role reaches cases/* of its bucket and sends mail from its identity only",
        "moto accepts any credentials for any action",
        f"{REFERENCE}::test_task_role_reaches_document_objects_of_its_bucket_and_sends_mail_from_its_identity",
    ),
    (
        "IAM: the task role looks users up (ListUsers) in its own user pool only",
        "moto accepts any credentials for any action",
        f"{REFERENCE}::test_task_role_looks_up_users_of_its_own_pool_only",
    ),
    (
        "KMS: the task role uses the data key through S3, for its bucket's objects only",
        "moto records the keys but neither encrypts with them nor checks who may use them",
        f"{REFERENCE}::test_task_role_reaches_document_objects_of_its_bucket_and_sends_mail_from_its_identity",
    ),
    (
        "KMS: the data key's policy lets the execution role read the cursor secret through Secrets Manager",
        "moto neither encrypts secrets with their keys nor checks key policies",
        None,
    ),
    (
        "VPC routing and security groups (the database reachable from the service only)",
        "the twin's tasks reach PostgreSQL over a unix socket and AWS through its proxy",
        f"{FARGATE}::test_database_port_is_open_only_from_the_service_group",
    ),
    (
        "the load balancer admits only CloudFront",
        "no load balancer: CloudFront's stand-in forwards /api/* to the tasks",
        f"{REFERENCE}::test_the_load_balancer_admits_only_cloudfront",
    ),
    (
        "CloudFront behaviours: cache and origin request policies, the SPA rewrite function, the WAF",
        "the stand-in serves the deployed files under the response headers policy, /api/* unchanged",
        f"{CDN}::test_api_behavior",
    ),
    (
        "RDS parameter rds.force_ssl (TLS to the database)",
        "PostgreSQL listens on a unix socket, where TLS does not apply",
        f"{DATABASE}::test_tls_is_forced_and_slow_queries_are_logged",
    ),
    (
        "Cognito hosted UI (authorize, token, logout)",
        "moto has none: the twin's stand-in checks the client's registration and PKCE, then signs in through "
        "Cognito's API",
        f"{REFERENCE}::test_web_client_is_public_with_code_flow_to_the_distribution",
    ),
    (
        "Cognito SRP password proof and threat protection (Plus tier)",
        "moto does not verify the SRP signature and has no threat protection; it does check TOTP codes",
        f"{REFERENCE}::test_user_pool_is_as_strict_as_the_packs_ask",
    ),
    (
        "SES sandbox: recipients must be verified until production access",
        "moto sends to any recipient once the sender's identity exists",
        f"{FARGATE}::test_ses_permission_is_scoped_to_the_identity",
    ),
    (
        "S3 bucket policy: TLS only (aws:SecureTransport)",
        "moto does not evaluate bucket policies; the twin reaches S3 over TLS all the same",
        f"{BUCKET}::test_bucket_denies_plain_http",
    ),
    (
        "ECS: CPU and memory limits, the init process, ARM64, the image build itself",
        "the containers run the asset's source on the development interpreter, on this machine's CPU",
        f"{FARGATE}::test_task_is_arm64_with_the_requested_size",
    ),
]


def closing_summary(deployment: Any) -> str:
    lines = ["What the twin exercised:"]
    lines += [f"  - {item}" for item in deployment.exercised]
    lines.append("Stand-ins created from the template:")
    lines += [f"  - {item}" for item in deployment.standins.created]
    proxy = deployment.proxy
    lines.append("Hosts the task and the browser reached through the twin's network:")
    lines += [f"  - {host}: {count} connection(s)" for host, count in sorted(proxy.reached.items())]
    if proxy.refused:
        lines.append("Refused (no stand-in; nothing leaves the machine):")
        lines += [f"  - {target}: {count}" for target, count in sorted(proxy.refused.items())]
    if deployment.deviations:
        lines.append("Where the twin departs from the task definition:")
        lines += [f"  - {item}" for item in deployment.deviations]
    lines.append("Where a stand-in answered unlike AWS, corrected in the twin:")
    lines += [f"  - {item}" for item in CORRECTIONS]
    lines.append("Not enforced by the stand-ins (checked on the template instead):")
    lines += [f"  - {rule}: {why} -> {test or 'NO TEMPLATE TEST YET'}" for rule, why, test in NOT_ENFORCED]
    database = deployment.standins.database
    if database is not None and database.unsupported:
        lines.append(
            f"  - RDS parameters PostgreSQL does not know, not applied: {sorted(database.unsupported)}"
        )
    return "\n".join(lines)
