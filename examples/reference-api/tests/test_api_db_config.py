"""Where the API connects and how it signs in, from the configuration SecureFargateApi.connect passes:
API_DB_HOST/API_DB_PORT (an RDS Proxy's when there is one), API_DB_SECRET_ARN, API_DB_AUTH."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError
from reference_api import db as dbmod
from reference_api.settings import Settings

# An RDS-managed secret names the database itself; a proxy in front of it listens elsewhere.
SECRET = {
    "engine": "postgres",
    "host": "db-instance.abc.us-east-1.rds.amazonaws.com",
    "port": 5433,
    "dbname": "app",
    "username": "postgres",
    "password": "from-the-secret",
}
PROXY_HOST = "db-proxy.proxy-abc.us-east-1.rds.amazonaws.com"


@pytest.mark.anyio
async def test_the_configured_endpoint_wins_over_the_secrets_own(
    settings_factory: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[tuple[str, str]] = []

    def read_secret(arn: str, region: str) -> dict[str, Any]:
        reads.append((arn, region))
        return dict(SECRET)

    monkeypatch.setattr(dbmod, "_read_secret", read_secret)
    settings = settings_factory(
        None,
        db_host=PROXY_HOST,
        db_port=5432,
        db_name="app",
        db_secret_arn="arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf",
        db_auth="password",
    )
    credentials = await dbmod.CredentialSource(settings).get()
    assert credentials == dbmod.Credentials(PROXY_HOST, 5432, "app", "postgres", "from-the-secret")
    assert reads == [("arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf", "us-east-1")]


def test_iam_sign_in_is_refused_at_start(settings_factory: Callable[..., Settings]) -> None:
    with pytest.raises(
        ValidationError, match=r"API_DB_AUTH=iam: this app signs in with the database secret's"
    ):
        settings_factory(None, db_host=PROXY_HOST, db_secret_arn="arn:aws:secretsmanager:x", db_auth="iam")


def test_password_is_the_default_sign_in(settings_factory: Callable[..., Settings]) -> None:
    assert settings_factory("postgresql://u@h/d").db_auth == "password"
