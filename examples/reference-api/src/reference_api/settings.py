"""The API's runtime configuration, read from the environment (pydantic-settings).

Every setting is the environment variable ``API_`` + its name in capitals (``db_pool_size``:
``API_DB_POOL_SIZE``), except the conventional ``DATABASE_URL``; the app reads its configuration
nowhere else. (``python -m reference_api demo`` sets ``DATABASE_URL`` itself when it starts an
embedded PostgreSQL, before it reads the settings.)

The environment is ``production`` unless ``API_ENVIRONMENT`` says otherwise, and in production the
settings are checked at start: a cursor secret that is not a placeholder, a Cognito issuer with its app
clients and user pool, a database, and a bucket when documents go to S3. A misconfigured task, or a process
started with no configuration at all, then exits naming what is missing instead of serving (the command line
prints :func:`configuration_problems`). ``development`` and ``test`` must be asked for explicitly; they
skip those checks and allow the development pieces (``allows_dev_tools``), which are served on a
loopback address only (:func:`check_host`).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_MARKERS = ("change-me", "changeme", "placeholder", "dev-only", "example", "secret")


class Settings(BaseSettings):
    """All runtime configuration of the reference API (see the module docstring)."""

    model_config = SettingsConfigDict(env_prefix="API_", extra="ignore", populate_by_name=True)

    environment: Literal["development", "test", "production"] = "production"
    log_level: str = "INFO"

    # Serving (`python -m reference_api serve`; its --host and --port take precedence). Keep-alive
    # longer than the ALB's 60 s idle timeout; the graceful drain shorter than the ECS stop timeout.
    host: str = "127.0.0.1"
    port: int = 8000
    keep_alive_s: int = 75
    graceful_shutdown_s: int = 25
    forwarded_allow_ips: str = "127.0.0.1"  # whose X-Forwarded-* headers uvicorn trusts

    # Database: either a URL (local development, tests) or host/port/name plus the ARN of a
    # Secrets Manager secret holding {"username", "password"}: no password is in the task's
    # environment. The secret is read at start and again whenever PostgreSQL rejects the password,
    # so rotation needs no redeploy (a password injected at task start would go stale instead).
    database_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "API_DATABASE_URL")
    )
    db_host: str | None = None
    db_port: int = 5432
    db_name: str = "app"
    db_secret_arn: str | None = None
    # How to sign in (set by SecureFargateApi.connect): "password", the secret's. "iam" (a proxy that
    # accepts only IAM tokens) is refused at start: this app signs in with the secret's password.
    db_auth: Literal["password", "iam"] = "password"
    db_pool_size: int = Field(default=5, ge=1, le=100)
    db_max_overflow: int = Field(default=5, ge=0, le=100)
    db_pool_timeout_s: float = Field(default=5.0, gt=0)
    db_statement_timeout_ms: int = Field(default=5000, ge=100)
    db_connect_timeout_s: float = Field(default=5.0, gt=0)
    aws_region: str = "us-east-1"

    # Identity. In production: a Cognito user pool (issuer) and the allowed app client ids.
    cognito_issuer: str | None = None
    cognito_client_ids: list[str] = Field(default_factory=list)
    # The pool whose users' addresses notifications go to (ListUsers by sub), and how long they are cached.
    cognito_user_pool_id: str | None = None
    directory_cache_s: int = Field(default=300, ge=0)
    directory_cache_size: int = Field(default=10_000, ge=0, le=1_000_000)
    jwks_cache_s: int = Field(default=300, ge=10)
    # Verified tokens remembered until their own expiry (0: verify the signature on every request).
    token_cache_size: int = Field(default=10_000, ge=0, le=1_000_000)
    # Development issuer: tokens signed by a local RSA key, checked by the same verifier.
    dev_issuer: str = "http://127.0.0.1:8000/dev-issuer"
    dev_client_id: str = "reference-api-dev"
    dev_key_path: str = ".reference-api/dev-signing-key.pem"
    # The web front end served at / outside production (reference_api.dev.web): None = the example's
    # web/ folder, "" = not served.
    web_dir: str | None = None

    # Documents and e-mail (backends chosen per environment).
    documents_backend: Literal["local", "s3"] = "local"
    documents_dir: str = ".reference-api/documents"
    documents_bucket: str | None = None
    documents_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    mail_from: str = "cases@example.com"
    mail_backend: Literal["local", "ses"] = "local"
    mail_dir: str = ".reference-api/mail"
    ses_configuration_set: str | None = None
    outbox_worker: bool = True
    outbox_batch: int = Field(default=20, ge=1, le=500)
    outbox_max_attempts: int = Field(default=8, ge=1, le=50)
    outbox_poll_s: float = Field(default=2.0, gt=0)
    # A claimed row is the worker's for this long (renewed before each send), then any worker may take it
    # over; each send is cut off after outbox_send_timeout_s, which must be shorter. SES's own client
    # timeouts end a send after about 21 s.
    outbox_lease_s: float = Field(default=120.0, gt=0)
    outbox_send_timeout_s: float = Field(default=30.0, gt=0)

    # Request bodies above this many bytes are refused with 413 before they are read (limits.py).
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)

    # Idempotency keys are kept this long.
    idempotency_ttl_s: int = Field(default=24 * 3600, ge=60)
    # Retention (retention.py): sent e-mail is deleted this long after it was sent; each task purges every
    # retention_interval_s, at most retention_batch rows per transaction.
    outbox_sent_retention_s: int = Field(default=24 * 3600, ge=60)
    retention_worker: bool = True
    retention_interval_s: float = Field(default=600.0, gt=0)
    retention_batch: int = Field(default=1000, ge=1, le=100_000)
    # Signing key for pagination cursors (opaque to clients, tamper-evident).
    cursor_secret: SecretStr = SecretStr("dev-only-cursor-secret-change-me")

    @property
    def allows_dev_tools(self) -> bool:
        """True in ``development`` and ``test``, never in ``production``.

        What it allows is :mod:`reference_api.dev` (the development issuer and sign-in, the web front
        end served by the API, the local storage endpoints, demo data and tokens) and the Swagger UI page.
        """
        return self.environment != "production"

    @model_validator(mode="after")
    def _refuse_iam_sign_in(self) -> Settings:
        if self.db_auth == "iam":
            raise ValueError(
                "API_DB_AUTH=iam: this app signs in with the database secret's password; connect it to a "
                "database, or an RDS Proxy created with proxy_iam_auth=False, that accepts it"
            )
        return self

    @model_validator(mode="after")
    def _check_outbox_lease(self) -> Settings:
        if self.outbox_send_timeout_s >= self.outbox_lease_s:
            raise ValueError(
                "API_OUTBOX_SEND_TIMEOUT_S must be shorter than API_OUTBOX_LEASE_S (a send that outlives its"
                " lease lets another worker send the message again)"
            )
        return self

    @model_validator(mode="after")
    def _check_production(self) -> Settings:
        if self.environment != "production":
            return self
        problems: list[str] = []
        secret = self.cursor_secret.get_secret_value()
        if len(secret) < 32 or any(marker in secret.lower() for marker in PLACEHOLDER_MARKERS):
            problems.append("API_CURSOR_SECRET is a placeholder; set a random value of 32+ characters")
        if not self.cognito_issuer or not self.cognito_client_ids:
            problems.append("API_COGNITO_ISSUER and API_COGNITO_CLIENT_IDS are required in production")
        if not self.cognito_user_pool_id:
            problems.append("API_COGNITO_USER_POOL_ID is required in production (the users' addresses)")
        if self.database_url is None and not (self.db_host and self.db_secret_arn):
            problems.append("set DATABASE_URL, or API_DB_HOST with API_DB_SECRET_ARN")
        if self.database_url is not None:
            url = self.database_url.get_secret_value()
            if any(marker in url.lower() for marker in ("change-me", "changeme", "password@")):
                problems.append("DATABASE_URL carries a placeholder password")
        if self.documents_backend == "s3" and not self.documents_bucket:
            problems.append("API_DOCUMENTS_BUCKET is required with API_DOCUMENTS_BACKEND=s3")
        if problems:
            raise ValueError("; ".join(problems))
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def configuration_problems(error: ValidationError) -> str:
    """What is wrong or missing, in one message for a person starting the process."""
    found = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
    return (
        f"the configuration is incomplete: {found}. API_ENVIRONMENT is production unless set; for local "
        "development set API_ENVIRONMENT=development (or run `python -m reference_api demo`)."
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(settings: Settings, host: str) -> str | None:
    """Why ``host`` may not be served with these settings, or None: outside production the development
    issuer mints any token for anyone who reaches the port, so it listens on loopback only."""
    if settings.allows_dev_tools and not is_loopback(host):
        return (
            f"refusing to serve API_ENVIRONMENT={settings.environment} on {host}: the development pieces "
            "(token issuer, sign-in) listen on a loopback address only (127.0.0.1, ::1, localhost)"
        )
    return None
