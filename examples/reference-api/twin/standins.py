"""Stand-ins for the stack's AWS resources, created from the template's own properties.

moto's server (one, on the loopback interface) holds the KMS keys, secrets, the Cognito user pool with
its groups, app client and domain, the documents bucket and the SES identity; PostgreSQL (pgserver's
binaries) stands in for the RDS instance, started with the instance's port, database name, master user
and the password CloudFormation would resolve from the secret, and with the parameter group's settings
that plain PostgreSQL knows. Each stand-in tells the ``Resolver`` what CloudFormation would return for
its ``Ref`` and ``Fn::GetAtt``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refs import REF, Resolver
from stack import Stack, TwinError

Attributes = dict[str, str]
"""What a stand-in answers for its resource: ``Ref`` (:data:`REF`) and ``Fn::GetAtt`` names, with values."""

# Set before moto is imported: moto's server would otherwise answer every request with
# "Access-Control-Allow-Origin: *", kinder than S3, which answers with the bucket's CORS rules only.
os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"
# Cognito checks TOTP codes (moto's AssociateSoftwareToken hands out a fixed secret; codes are real).
os.environ["MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"] = "true"

CREDENTIALS = {"aws_access_key_id": "twin", "aws_secret_access_key": "twin"}


CORRECTIONS = [
    "moto's UpdateSecretVersionStage moves the AWSCURRENT label but GetSecretValue without a stage kept "
    "answering the old version (AWS answers the one labelled AWSCURRENT): corrected in the stand-in, or "
    "every rotation would look like a failed one",
    "moto's S3 answered a browser's POST upload (the presigned form) without the CORS headers of the "
    "bucket's matching rule (S3 sends them, as moto does for its other object requests): corrected in the "
    "stand-in, or every upload from the front end would look blocked by CORS",
]


def correct_moto() -> None:
    """Make moto answer as AWS does where the twin depends on it (each case in ``CORRECTIONS``)."""
    from moto.secretsmanager.models import SecretsManagerBackend

    original = SecretsManagerBackend.update_secret_version_stage
    if getattr(original, "corrected_by_twin", False):
        return

    def update_secret_version_stage(
        self: Any, secret_id: str, version_stage: str, remove_from_version_id: str, move_to_version_id: str
    ) -> tuple[str, str]:
        result: tuple[str, str] = original(
            self, secret_id, version_stage, remove_from_version_id, move_to_version_id
        )
        if version_stage == "AWSCURRENT" and move_to_version_id:
            self.secrets[secret_id].set_default_version_id(move_to_version_id)
        return result

    # A marker attribute on the function, so a second call does not wrap the correction again.
    update_secret_version_stage.corrected_by_twin = True  # type: ignore[attr-defined]  # marker, see above
    # Patching moto's class is the correction itself (mypy refuses assignments to methods).
    SecretsManagerBackend.update_secret_version_stage = update_secret_version_stage  # type: ignore[method-assign]  # the patch

    from moto.s3.responses import S3Response

    original_post = S3Response._bucket_response_post

    def bucket_response_post(self: Any, request: Any, bucket_name: str) -> Any:
        status, headers, body = original_post(self, request, bucket_name)
        return status, {**self._get_cors_headers_other(), **headers}, body

    S3Response._bucket_response_post = bucket_response_post  # type: ignore[method-assign]  # the patch itself


def random_suffix(seed: str, length: int = 12) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


@dataclass
class Database:
    """PostgreSQL standing in for an ``AWS::RDS::DBInstance`` (unix socket only, scram-sha-256 for all)."""

    directory: Path
    port: int
    database: str
    master_user: str
    master_password: str
    settings: dict[str, str]
    unsupported: dict[str, str] = field(default_factory=dict)

    @property
    def socket_dir(self) -> Path:
        return self.directory / "socket"

    @property
    def pgdata(self) -> Path:
        return self.directory / "pgdata"

    def start(self) -> None:
        import pwd

        from pgserver._commands import initdb, pg_ctl  # type: ignore[attr-defined]  # made at import
        from pgserver.utils import ensure_prefix_permissions, ensure_user_exists

        self.system_user = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: pgserver's own user, as its tests do
            self.system_user = "pgserver"
            ensure_user_exists(self.system_user)
        self.pgdata.mkdir(parents=True)
        self.socket_dir.mkdir()
        self.socket_dir.chmod(0o777)  # the API's user reaches the socket; the password guards it
        ensure_prefix_permissions(self.pgdata)
        pwfile = self.directory / "pwfile"
        pwfile.write_text(self.master_password + "\n")
        if self.system_user:
            entry = pwd.getpwnam(self.system_user)
            for path in (self.pgdata, pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        initdb(
            [
                "--auth=scram-sha-256",
                "--encoding=utf8",
                "-U",
                self.master_user,
                f"--pwfile={pwfile}",
            ],
            pgdata=self.pgdata,
            user=self.system_user,
        )
        pwfile.unlink()
        settings = {
            "fsync": "off",  # a throwaway server: durability buys nothing here
            "synchronous_commit": "off",
            **self.settings,
        }
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            for key, value in settings.items():
                conf.write(f"{key} = '{value}'\n")
        self.log = self.directory / "postgres.log"
        self.log.touch()
        if self.system_user:
            entry = pwd.getpwnam(self.system_user)
            os.chown(self.log, entry.pw_uid, entry.pw_gid)
        pg_ctl(
            [
                "-w",
                "-o",
                '-h ""',
                "-o",
                f"-k {self.socket_dir}",
                "-o",
                f"-p {self.port}",
                "-l",
                str(self.log),
                "start",
            ],
            pgdata=self.pgdata,
            user=self.system_user,
            timeout=30,
        )

    def stop(self) -> None:
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # made at import

        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.system_user, timeout=30)


class StandIns:
    """moto's server and PostgreSQL, filled from the stack's template."""

    def __init__(self, stack: Stack, resolver: Resolver, work: Path) -> None:
        self.stack = stack
        self.resolver = resolver
        self.work = work
        self.region = stack.region
        self.created: list[str] = []  # "Type LogicalId" of every stand-in, for the closing summary
        self.not_stood_in: dict[str, str] = {}
        self.database: Database | None = None

    # --- moto ----------------------------------------------------------------------------------------

    def start(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        correct_moto()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.moto_address = (host, port)
        self.endpoint = f"http://{host}:{port}"

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region, **CREDENTIALS)

    def stop(self) -> None:
        if self.database is not None:
            self.database.stop()
        self.moto.stop()

    # --- creation, in dependency order --------------------------------------------------------------

    def create(self, cloudfront_domain: str) -> None:
        account = self.stack.account
        for logical_id in self.stack.of_type("AWS::IAM::Role"):
            # Named only, so that key policies naming a role resolve; IAM is not stood in.
            self.resolver.provide(
                logical_id, "Arn", f"arn:aws:iam::{account}:role/{self.stack.name}-{logical_id}"
            )
        for logical_id in self.stack.of_type("AWS::CloudFront::Distribution"):
            self.resolver.provide(logical_id, "DomainName", cloudfront_domain)
            self.resolver.provide(logical_id, REF, "E" + random_suffix(logical_id, 13).upper())
        stand_ins: tuple[tuple[str, Callable[[str, dict[str, Any], str], Attributes]], ...] = (
            ("AWS::KMS::Key", self._kms_key),
            ("AWS::SecretsManager::Secret", self._secret),
            ("AWS::RDS::DBInstance", self._database),
            ("AWS::SecretsManager::SecretTargetAttachment", self._secret_attachment),
            ("AWS::Cognito::UserPool", self._user_pool),
            ("AWS::Cognito::UserPoolGroup", self._user_pool_group),
            ("AWS::Cognito::UserPoolClient", self._user_pool_client),
            ("AWS::Cognito::UserPoolDomain", self._user_pool_domain),
            ("AWS::SES::EmailIdentity", self._email_identity),
            ("AWS::S3::Bucket", self._bucket),
        )
        for type_, stand_in in stand_ins:
            for logical_id, props in self.stack.of_type(type_).items():
                if type_ == "AWS::S3::Bucket" and not self._referenced_by_tasks(logical_id):
                    continue  # only the buckets the tasks use: the log buckets stay out
                for name, value in stand_in(logical_id, props, f"{logical_id} ({type_})").items():
                    self.resolver.provide(logical_id, name, value)
                self.created.append(f"{type_} {logical_id}")

    def _referenced_by_tasks(self, logical_id: str) -> bool:
        tasks = json.dumps(self.stack.of_type("AWS::ECS::TaskDefinition"))
        return f'"{logical_id}"' in tasks

    def _kms_key(self, logical_id: str, props: dict[str, Any], where: str) -> Attributes:
        kms = self.client("kms")
        key = kms.create_key(
            Description=props.get("Description", ""),
            Policy=json.dumps(self.resolver.resolve(props["KeyPolicy"], where)),
            KeyUsage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
            KeySpec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
        )["KeyMetadata"]
        if props.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=key["KeyId"])
        return {REF: key["KeyId"], "Arn": key["Arn"], "KeyId": key["KeyId"]}

    def generate_password(self, generate: dict[str, Any]) -> str:
        options = {
            k: v
            for k, v in generate.items()
            if k
            in (
                "PasswordLength",
                "ExcludeCharacters",
                "ExcludeNumbers",
                "ExcludePunctuation",
                "ExcludeUppercase",
                "ExcludeLowercase",
                "IncludeSpace",
                "RequireEachIncludedType",
            )
        }
        password: str = self.client("secretsmanager").get_random_password(**options)["RandomPassword"]
        return password

    def _secret(self, logical_id: str, props: dict[str, Any], where: str) -> Attributes:
        generate = props.get("GenerateSecretString")
        if "SecretString" in props:
            value = str(self.resolver.resolve(props["SecretString"], where))
        elif generate is not None:
            password = self.generate_password(generate)
            if "SecretStringTemplate" in generate:
                document = json.loads(generate["SecretStringTemplate"])
                document[generate["GenerateStringKey"]] = password
                value = json.dumps(document)
            else:
                value = password
        else:
            raise TwinError(f"{where}: neither SecretString nor GenerateSecretString")
        arguments: dict[str, Any] = {
            # CloudFormation names a secret without a Name "<LogicalId>-<random>".
            "Name": self.resolver.resolve(props.get("Name"), where)
            or f"{logical_id}-{random_suffix(logical_id)}",
            "Description": str(self.resolver.resolve(props.get("Description", ""), where)),
            "SecretString": value,
        }
        if "KmsKeyId" in props:
            arguments["KmsKeyId"] = self.resolver.resolve(props["KmsKeyId"], where)
        arn: str = self.client("secretsmanager").create_secret(**arguments)["ARN"]
        return {REF: arn}

    def read_secret(self, arn: str, key: str | None = None) -> str:
        value: str = self.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
        if key is None:
            return value
        return str(json.loads(value)[key])

    def dynamic_reference(self, value: str, where: str) -> str:
        """``{{resolve:secretsmanager:ARN:SecretString:KEY::}}``, as CloudFormation resolves it."""
        match = re.fullmatch(r"\{\{resolve:secretsmanager:(.+?):SecretString:([^:]*)::\}\}", value)
        if not match:
            raise TwinError(f"{where}: the twin does not resolve {value}")
        return self.read_secret(match.group(1), match.group(2) or None)

    def _database(self, logical_id: str, props: dict[str, Any], where: str) -> Attributes:
        if self.database is not None:
            raise TwinError(f"{where}: the twin stands in for one database instance")
        password = self.dynamic_reference(
            str(self.resolver.resolve(props["MasterUserPassword"], where)), where
        )
        settings: dict[str, str] = {}
        unsupported: dict[str, str] = {}
        group = props.get("DBParameterGroupName")
        if isinstance(group, dict) and "Ref" in group:
            parameters = self.stack.resources[group["Ref"]]["Properties"].get("Parameters", {})
            for key, value in parameters.items():
                (unsupported if key.startswith("rds.") else settings)[key] = str(value)
        directory = self.work / "rds"
        directory.mkdir(parents=True)
        self.database = Database(
            directory=directory,
            port=int(props.get("Port", 5432)),
            database=str(props.get("DBName", "postgres")),
            master_user=str(props.get("MasterUsername", "postgres")),
            master_password=password,
            settings=settings,
            unsupported=unsupported,
        )
        self.database.start()
        self._create_database(self.database)
        # The instance's address is where its clients reach it: here, the server's socket directory.
        return {
            "Endpoint.Address": str(self.database.socket_dir),
            "Endpoint.Port": str(self.database.port),
            REF: str(props.get("DBInstanceIdentifier", logical_id.lower())),
        }

    @staticmethod
    def _create_database(db: Database) -> None:
        import asyncio

        import asyncpg

        async def create() -> None:
            conn = await asyncpg.connect(
                host=str(db.socket_dir),
                port=db.port,
                user=db.master_user,
                password=db.master_password,
                database="postgres",
            )
            try:
                await conn.execute(f'CREATE DATABASE "{db.database}"')
            finally:
                await conn.close()

        asyncio.run(create())

    def _secret_attachment(self, logical_id: str, props: dict[str, Any], where: str) -> Attributes:
        """What RDS does to an attached secret: the instance's connection details join the credentials."""
        if props.get("TargetType") != "AWS::RDS::DBInstance" or self.database is None:
            raise TwinError(f"{where}: the twin attaches secrets to its one database instance only")
        arn = self.resolver.resolve(props["SecretId"], where)
        target = props["TargetId"]["Ref"]
        value = json.loads(self.read_secret(arn))
        value.update(
            {
                "engine": "postgres",
                "host": self.resolver.resolve({"Fn::GetAtt": [target, "Endpoint.Address"]}, where),
                "port": self.database.port,
                "dbInstanceIdentifier": self.resolver.resolve({"Ref": target}, where),
            }
        )
        self.client("secretsmanager").put_secret_value(SecretId=arn, SecretString=json.dumps(value))
        return {REF: arn}

    # --- Cognito ------------------------------------------------------------------------------------

    def _user_pool(self, logical_id: str, props: dict[str, Any], where: str) -> Attributes:
        arguments = dict(self.resolver.resolve(props, where))
        arguments["PoolName"] = arguments.pop("UserPoolName", logical_id)
        enabled_mfas = arguments.pop("EnabledMfas", [])
        idp = self.client("cognito-idp")
        pool = idp.create_user_pool(**arguments)["UserPool"]
        if "SOFTWARE_TOKEN_MFA" in enabled_mfas:
            idp.set_user_pool_mfa_config(
                UserPoolId=pool["Id"],
                SoftwareTokenMfaConfiguration={"Enabled": True},
                MfaConfiguration=arguments.get("MfaConfiguration", "OFF"),
            )
        self.user_pool_id = pool["Id"]
        provider = f"cognito-idp.{self.region}.amazonaws.com/{pool['Id']}"
        return {
            REF: pool["Id"],
            "Arn": pool["Arn"],
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
            "UserPoolId": pool["Id"],
        }

    def _user_pool_group(self, logical_id: str, props: dict[str, Any], where: str) -> Attributes:
        arguments = self.resolver.resolve(props, where)
        self.client("cognito-idp").create_group(**arguments)
        return {REF: arguments["GroupName"]}

    def _user_pool_client(self, logical_id: str, props: dict[str, Any], where: str) -> Attributes:
        arguments = dict(self.resolver.resolve(props, where))
        arguments.setdefault("ClientName", logical_id)
        client = self.client("cognito-idp").create_user_pool_client(**arguments)["UserPoolClient"]
        return {REF: client["ClientId"], "ClientId": client["ClientId"]}

    def _user_pool_domain(self, logical_id: str, props: dict[str, Any], where: str) -> Attributes:
        arguments = self.resolver.resolve(props, where)
        self.client("cognito-idp").create_user_pool_domain(**arguments)
        self.hosted_ui_domain = f"{arguments['Domain']}.auth.{self.region}.amazoncognito.com"
        return {REF: arguments["Domain"]}

    # --- SES and S3 ---------------------------------------------------------------------------------

    def _email_identity(self, logical_id: str, props: dict[str, Any], where: str) -> Attributes:
        identity = self.resolver.resolve(props["EmailIdentity"], where)
        self.client("sesv2").create_email_identity(EmailIdentity=identity)
        return {REF: identity}

    def _bucket(self, logical_id: str, props: dict[str, Any], where: str) -> Attributes:
        p = self.resolver.resolve({k: v for k, v in props.items() if k != "LoggingConfiguration"}, where)
        # CloudFormation's generated name: stack and logical id in lower case, and a random suffix.
        name = (
            p.get("BucketName") or f"{self.stack.name}-{logical_id}-{random_suffix(logical_id)}".lower()[:63]
        )
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name)
        if "BucketEncryption" in p:
            rules = [
                {
                    "ApplyServerSideEncryptionByDefault" if k == "ServerSideEncryptionByDefault" else k: v
                    for k, v in r.items()
                }
                for r in p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "VersioningConfiguration" in p:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=p["VersioningConfiguration"])
        if "PublicAccessBlockConfiguration" in p:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=p["PublicAccessBlockConfiguration"]
            )
        if "OwnershipControls" in p:
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=p["OwnershipControls"])
        if "CorsConfiguration" in p:
            rename = {"Id": "ID", "MaxAge": "MaxAgeSeconds"}
            rules = [
                {rename.get(k, k): v for k, v in rule.items()} for rule in p["CorsConfiguration"]["CorsRules"]
            ]
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
            self.cors_rules = rules
        if "LoggingConfiguration" in props:
            self.not_stood_in[f"{logical_id} LoggingConfiguration"] = "server access logs are not written"
        self.documents_bucket = name
        self.documents_bucket_id = logical_id
        return {
            REF: name,
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{self.region}.amazonaws.com",
        }

    # --- what the stand-ins recorded ---------------------------------------------------------------

    def sent_emails(self) -> list[dict[str, Any]]:
        """Every message SES accepted: (source, to, subject, body), read from moto's SES backend."""
        from moto.ses.models import ses_backends

        backend = ses_backends[self.stack.account][self.region]
        return [
            {
                "source": m.source,
                "to": list(m.destinations.get("ToAddresses", [])),
                "subject": m.subject,
                "body": m.body,
            }
            for m in backend.sent_messages
        ]
