"""The API as the synthesized stack runs it, against stand-ins for AWS, through the real protocols.

A check that fails on a defect the API still has is marked ``xfail(strict=True)`` naming the defect: the
day it is fixed the check passes, strict xfail turns that into a failure, and the mark must go.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from typing import Any

import httpx
from deployment import Deployment
from drive import bounded, client_options, explain, through_cloudfront
from stack import ROOT
from summary import NOT_ENFORCED

# --- start-up ---------------------------------------------------------------------------------------


def test_the_task_starts_as_ecs_starts_it(twin: Deployment) -> None:
    """migrate to its success, then the app, healthy by the image's own HEALTHCHECK command."""
    assert [p.proc.returncode for p in twin.migrations][:1] == [0]
    app = twin.tasks[0]
    assert app.proc.poll() is None
    code, output = twin.healthcheck(app)
    assert code == 0, output
    records = app.records()
    assert not [r for r in records if r["level"] in ("error", "critical", "raw")], app.output()
    # The task's environment is the template's, resolved: production, Cognito, SES, S3, the database secret.
    env = app.env
    assert env["API_ENVIRONMENT"] == "production"
    assert (
        env["API_COGNITO_ISSUER"]
        == f"https://cognito-idp.{twin.stack.region}.amazonaws.com/{twin.standins.user_pool_id}"
    )
    assert json.loads(env["API_COGNITO_CLIENT_IDS"]) == [twin.client_id]
    assert env["API_DOCUMENTS_BUCKET"] == twin.standins.documents_bucket
    # No secret value in the environment: the database password is read from the secret, never passed.
    assert twin.standins.database is not None
    assert twin.standins.database.master_password not in json.dumps(env)
    assert env["API_DB_AUTH"] == "password"  # the sign-in mode, not a password
    assert not [k for k in env if "PASSWORD" in k.upper()]
    twin.exercised.append(
        f"app container: {' '.join(twin.command(twin.task.app))} as user {twin.task.app.user}, "
        f"read-only root with {twin.task.app.writable_paths} writable, in a network namespace of its own; "
        f"the image's HEALTHCHECK passed {app.healthy_after_s:.1f} s after start"
    )


def test_a_fresh_task_accepts_a_cognito_token_at_once(twin: Deployment) -> None:
    """A second task, started as ECS starts one (migrate again, then the app), asked at once."""
    token = twin.access_token("agent")  # signed in before the task starts, as users are during a deploy
    task = twin.start_task(len(twin.tasks) + 1)
    try:
        response = httpx.get(f"{task.url}/api/me", headers={"Authorization": f"Bearer {token}"})
    finally:
        assert twin.stop_task(task) == 0
    assert response.status_code == 200, response.text


# --- identity ---------------------------------------------------------------------------------------


def test_users_of_each_group_sign_in_and_the_api_knows_their_role(accepting: Deployment) -> None:
    twin = accepting
    for group, user in twin.users.items():
        token = twin.access_token(group)
        claims = json.loads(_b64(token.split(".")[1]))
        assert claims["iss"] == twin.tasks[0].env["API_COGNITO_ISSUER"]
        assert claims["token_use"] == "access" and claims["client_id"] == twin.client_id
        with through_cloudfront(twin, token) as api:
            me = api.get("/me")
        assert me.status_code == 200, me.text
        assert (me.json()["sub"], me.json()["role"]) == (user.sub, group)
    # The signing keys came over HTTPS from the issuer's own host, as from Cognito.
    assert twin.proxy.reached[f"cognito-idp.{twin.stack.region}.amazonaws.com"] >= 1
    twin.exercised.append(
        f"{len(twin.users)} users ({', '.join(twin.users)}) signed in with SRP and TOTP MFA through the web "
        "client; the API verified their access tokens with keys fetched from the issuer's JWKS URL"
    )


def test_a_token_issued_to_another_app_client_is_refused(accepting: Deployment) -> None:
    twin = accepting
    idp = twin.standins.client("cognito-idp")
    other = idp.create_user_pool_client(
        UserPoolId=twin.standins.user_pool_id, ClientName="not-the-web-client"
    )
    user = twin.users["admin"]
    result = _sign_in_with(twin, other["UserPoolClient"]["ClientId"], user)
    with through_cloudfront(twin, result["AccessToken"]) as api:
        refused = api.get("/me")
    assert refused.status_code == 401
    assert "unknown client" in refused.json()["detail"]


def _sign_in_with(twin: Deployment, client_id: str, user: Any) -> dict[str, Any]:
    import cognito
    from deployment import USER_PASSWORD

    return cognito.sign_in(
        twin.standins.client("cognito-idp"),
        twin.standins.user_pool_id,
        client_id,
        user.email,
        USER_PASSWORD,
        user.authenticator,
    )


def _b64(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# --- notifications ----------------------------------------------------------------------------------


def test_a_status_change_is_emailed_to_the_requester_through_ses(accepting: Deployment) -> None:
    twin = accepting
    client_user, agent = twin.users["client"], twin.users["agent"]
    with through_cloudfront(twin, twin.access_token("client")) as as_client:
        assert as_client.get("/me").status_code == 200  # the API has met the client
    title = f"Invoice twice {uuid.uuid4().hex[:6]}"
    with through_cloudfront(twin, twin.access_token("agent")) as as_agent:
        created = as_agent.post("/cases", json={"title": title, "requester_id": client_user.sub})
        assert created.status_code == 201, created.text
        opened = as_agent.post(
            f"/cases/{created.json()['id']}/open", headers={"If-Match": created.headers["etag"]}
        )
        assert opened.status_code == 200, opened.text
    sender = twin.tasks[0].env["API_MAIL_FROM"]

    def delivered() -> list[dict[str, Any]]:
        return [m for m in twin.standins.sent_emails() if title in m["subject"]]

    (message,) = bounded(delivered, 15, f"SES accepts the e-mail about {title!r}")
    assert message["to"] == [client_user.email]
    assert message["source"] == sender
    assert message["subject"] == f"Case {title} is now open"
    assert agent.email not in message["to"]  # the one who moved it is not told
    twin.exercised.append(
        f"a status change e-mailed the requester through SES from {sender}, to the address the user pool "
        "has for the requester's sub (ListUsers; access tokens carry no e-mail)"
    )


# --- the database password rotated under load -------------------------------------------------------


def test_the_database_password_is_rotated_while_requests_run_without_a_failed_request(
    accepting: Deployment,
) -> None:
    twin = accepting
    (app,) = twin.tasks
    rotation = twin.rotation()
    token = twin.access_token("manager")
    failures: list[str] = []
    done = 0

    async def load(seconds: float) -> None:
        """A list and a create at a time, through CloudFront, for ``seconds``."""
        nonlocal done
        async with httpx.AsyncClient(**client_options(twin, token)) as api:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                calls = await asyncio.gather(
                    api.get("/cases"), api.post("/cases", json={"title": f"rotation {done}"})
                )
                done += len(calls)
                failures.extend(
                    f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:200]}"
                    for r in calls
                    if r.status_code >= 400
                )

    async def rotate_under_load() -> list[str]:
        worker = asyncio.ensure_future(load(3.0))
        await asyncio.sleep(0.5)  # the pools hold connections
        steps = await asyncio.to_thread(rotation.rotate)
        await worker
        return steps

    steps = asyncio.run(rotate_under_load())
    assert failures == [], explain(failures, app)
    assert rotation.password_changed()
    # What a failover or a restart does: every connection closes, and new ones need the new password,
    # which only the secret knows.
    assert rotation.terminate_app_connections() >= 1
    asyncio.run(load(2.0))
    assert failures == [], explain(failures, app)
    reread = [r for r in app.records() if "re-read" in r.get("message", "")]
    assert reread, "the app never re-read the secret after the rotation"
    twin.exercised.append(
        f"the database password rotated ({', '.join(steps)}) while {done} requests ran, none failed; after "
        "its connections were closed the app re-read the secret and logged in with the new password"
    )


# --- stop ------------------------------------------------------------------------------------------


def test_not_enforced_rules_name_template_tests_that_exist() -> None:
    for _rule, _why, test in NOT_ENFORCED:
        if test is None:
            continue
        path, _, name = test.partition("::")
        source = (ROOT / path).read_text()
        assert re.search(rf"^def {re.escape(name)}\(", source, re.M), test


def test_the_docs_table_names_what_the_stand_ins_do_not_enforce() -> None:
    docs = (ROOT / "docs" / "twin.md").read_text()
    section = docs.split("## What it does not prove", 1)[1].split("\n## ", 1)[0]
    rows = [
        line
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith(("| AWS", "| ---"))
    ]
    assert len(rows) == len(NOT_ENFORCED)
    for (_rule, _why, test), row in zip(NOT_ENFORCED, rows, strict=True):
        assert (f"`{test}`" if test else "no template test yet") in row, row


def test_sigterm_stops_the_task_within_its_stop_timeout(twin: Deployment) -> None:
    (app,) = twin.tasks
    started = time.monotonic()
    code = app.stop(timeout=twin.task.app.stop_timeout_s)
    took = time.monotonic() - started
    assert code == 0, app.output()
    assert "Application shutdown complete." in [r.get("message") for r in app.records()]
    twin.exercised.append(
        f"SIGTERM stopped the app in {took:.1f} s (exit 0), within the task's stop timeout of "
        f"{twin.task.app.stop_timeout_s} s"
    )
