"""Configuration fails closed: production unless asked otherwise, no start without what production needs,
and the development pieces only on a loopback address."""

from __future__ import annotations

import os
import subprocess

import pytest
from pydantic import ValidationError
from refapi_support import clean_env, run_cli
from reference_api.settings import Settings


def _run(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*argv, env=clean_env(**env))


def test_the_default_environment_is_production(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("API_") or k == "DATABASE_URL"]:
        monkeypatch.delenv(name)
    with pytest.raises(ValidationError, match="API_COGNITO_ISSUER"):
        Settings()
    configured = Settings(
        cognito_issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
        cognito_client_ids=["abc"],
        cognito_user_pool_id="us-east-1_Example",
        database_url="postgresql://app@db/app",
        cursor_secret="k" * 40,
    )
    assert configured.environment == "production"
    assert not configured.allows_dev_tools


@pytest.mark.parametrize("command", [["serve"], ["migrate"], ["devtoken", "--sub", "x", "--role", "admin"]])
def test_no_configuration_at_all_exits_naming_what_is_missing(command: list[str]) -> None:
    done = _run(*command)
    assert done.returncode != 0
    for missing in ("API_COGNITO_ISSUER", "API_COGNITO_CLIENT_IDS", "DATABASE_URL", "API_CURSOR_SECRET"):
        assert missing in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert "API_ENVIRONMENT=development" in done.stderr  # how to ask for development instead
    assert done.stdout == ""  # no token, no server


@pytest.mark.parametrize("environment", ["development", "test"])
@pytest.mark.parametrize(
    ("argv", "env"),
    [(["--host", "0.0.0.0"], {}), ([], {"API_HOST": "0.0.0.0"}), (["--host", "10.0.0.5"], {})],
)
def test_development_refuses_a_non_loopback_address(
    environment: str, argv: list[str], env: dict[str, str]
) -> None:
    done = _run("serve", *argv, "--port", "9", API_ENVIRONMENT=environment, **env)
    assert done.returncode == 2, done.stderr
    assert "loopback" in done.stderr
    assert "Traceback" not in done.stderr
