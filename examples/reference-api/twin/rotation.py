"""The database secret's rotation, as the rotation the template schedules performs it.

The template attaches ``SecretsManagerRDSPostgreSQLRotationSingleUser`` (from the Serverless Application
Repository) to the secret the task reads: one user whose password changes in place, in four steps that
Secrets Manager calls in turn: createSecret (a new AWSPENDING version with a new password), setSecret (log
in with the current password and change it in the database), testSecret (log in with the pending one) and
finishSecret (the pending version becomes AWSCURRENT). The twin runs the same steps against its stand-ins.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
from refs import Resolver
from stack import Stack, TwinError
from standins import StandIns

SINGLE_USER = "SecretsManagerRDSPostgreSQLRotationSingleUser"


class SingleUserRotation:
    def __init__(self, stack: Stack, resolver: Resolver, standins: StandIns, secret_arn: str) -> None:
        self.standins = standins
        self.arn = secret_arn
        schedules = [
            props
            for props in stack.of_type("AWS::SecretsManager::RotationSchedule").values()
            if resolver.resolve(props["SecretId"], "RotationSchedule") == secret_arn
        ]
        if len(schedules) != 1:
            raise TwinError(
                f"the task's database secret has {len(schedules)} rotation schedules; the twin expects one"
            )
        (schedule,) = schedules
        function = schedule.get("RotationLambdaARN", {}).get("Fn::GetAtt", [None])[0]
        application = stack.resources.get(function or "", {})
        location = application.get("Properties", {}).get("Location", {})
        application_id = str(resolver.resolve(location.get("ApplicationId", ""), "rotation application"))
        if not application_id.endswith(f"/{SINGLE_USER}"):
            raise TwinError(
                f"the secret rotates with {application_id or schedule}; the twin performs {SINGLE_USER} only"
            )
        self.application_id = application_id
        self.old_password: str | None = None
        self.new_password: str | None = None

    def _secret(self, stage: str = "AWSCURRENT") -> dict[str, Any]:
        client = self.standins.client("secretsmanager")
        value: dict[str, Any] = json.loads(
            client.get_secret_value(SecretId=self.arn, VersionStage=stage)["SecretString"]
        )
        return value

    async def _connect(self, secret: dict[str, Any]) -> asyncpg.Connection:
        return await asyncpg.connect(
            host=secret["host"],
            port=int(secret["port"]),
            user=secret["username"],
            password=secret["password"],
            database="postgres",
            server_settings={"application_name": "twin-rotation"},
        )

    def rotate(self) -> list[str]:
        client = self.standins.client("secretsmanager")
        current = self._secret()
        token = str(uuid.uuid4())
        # createSecret
        pending = {**current, "password": self.standins.generate_password({"ExcludeCharacters": "/@\"'\\"})}
        client.put_secret_value(
            SecretId=self.arn,
            ClientRequestToken=token,
            SecretString=json.dumps(pending),
            VersionStages=["AWSPENDING"],
        )

        async def set_and_test() -> None:
            # setSecret: as the user itself, with the current password
            conn = await self._connect(current)
            try:
                statement = await conn.fetchval(
                    "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)",
                    pending["username"],
                    pending["password"],
                )
                await conn.execute(statement)
            finally:
                await conn.close()
            # testSecret
            conn = await self._connect(self._secret("AWSPENDING"))
            await conn.close()

        asyncio.run(set_and_test())
        # finishSecret
        versions = client.describe_secret(SecretId=self.arn)["VersionIdsToStages"]
        (current_version,) = [v for v, stages in versions.items() if "AWSCURRENT" in stages]
        client.update_secret_version_stage(
            SecretId=self.arn,
            VersionStage="AWSCURRENT",
            MoveToVersionId=token,
            RemoveFromVersionId=current_version,
        )
        self.old_password, self.new_password = current["password"], pending["password"]
        return ["createSecret", "setSecret", "testSecret", "finishSecret"]

    def terminate_app_connections(self) -> int:
        async def terminate() -> int:
            conn = await self._connect(self._secret())
            try:
                killed: int = await conn.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = 'reference-api'"
                )
                return killed
            finally:
                await conn.close()

        return asyncio.run(terminate())

    def password_changed(self) -> bool:
        async def check() -> bool:
            current = self._secret()
            if current["password"] != self.new_password:
                return False
            (await self._connect(current)).terminate()
            try:
                (await self._connect({**current, "password": self.old_password})).terminate()
            except asyncpg.InvalidPasswordError:
                return True
            return False

        return asyncio.run(check())
