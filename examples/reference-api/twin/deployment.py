"""The deployment's twin, assembled: synthesized stack, stand-ins, network, edge, and the API's task.

``Deployment.up()`` does what ``cdk deploy`` and ECS would: synthesize the app, create every resource the
task reaches (from the template), start the migrate container and wait for its success, start the app
container, and wait until the image's own HEALTHCHECK passes. Everything the API process is told comes
from the template, the Dockerfile, or the platform (proxy, CA bundle, task credentials); what the twin
changes is listed in ``deviations``.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cognito
from edge import Edge, HostedUi, Site
from netns import TaskNetwork
from network import Proxy, TwinCertificates
from refs import Resolver
from rotation import SingleUserRotation
from stack import ApiTask, Stack, TwinError, synthesize
from standins import CREDENTIALS, StandIns, random_suffix
from task import (
    FRESH_TASK_CLOCK_S,
    ContainerProcess,
    container_environment,
    start,
    task_addresses,
    variables_the_app_reads,
)

# Variables the platform gives every task (ECS, the VPC's routes) that the template does not: the proxy
# standing in for the routes to AWS, the CA standing in for the public ones, the task role's credentials.
PLATFORM_VARIABLES = {
    "HTTPS_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "AWS_CA_BUNDLE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "PYTHONPATH",
}
USER_PASSWORD = "Twin-Passw0rd!-long-enough"


@dataclass
class User:
    email: str
    group: str
    authenticator: dict[str, str] = field(default_factory=dict)
    sub: str = ""


@dataclass
class Deployment:
    work: Path
    deviations: list[str] = field(default_factory=list)
    exercised: list[str] = field(default_factory=list)
    tasks: list[ContainerProcess] = field(default_factory=list)
    migrations: list[ContainerProcess] = field(default_factory=list)
    networks: list[TaskNetwork] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)

    # --- bring-up ----------------------------------------------------------------------------------

    def up(self) -> None:
        started = time.monotonic()
        self.stack = Stack.load(synthesize(self.work / "cdk.out"))
        self.task: ApiTask = self.stack.api_task()
        self.synth_s = time.monotonic() - started
        self.resolver = Resolver(self.stack)
        os.environ["MOTO_ACCOUNT_ID"] = self.stack.account  # ARNs in the stack's account, as AWS would
        self.standins = StandIns(self.stack, self.resolver, self.work)
        self.standins.start()
        distribution = self.stack.one_of_type("AWS::CloudFront::Distribution")[0]
        self.cloudfront_domain = f"d{random_suffix(distribution, 13)}.cloudfront.net"
        self.standins.create(self.cloudfront_domain)
        self.edge = Edge(self.cloudfront_domain, self.standins.hosted_ui_domain)
        self.edge.credentials = {
            "AccessKeyId": CREDENTIALS["aws_access_key_id"],
            "SecretAccessKey": CREDENTIALS["aws_secret_access_key"],
            "Token": "twin-task-role-session",
            "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)),
        }
        self.edge.start()
        region = self.stack.region
        moto = self.standins.moto_address
        edge = ("127.0.0.1", self.edge.port)
        routes = {
            f"cognito-idp.{region}.amazonaws.com": moto,
            f"secretsmanager.{region}.amazonaws.com": moto,
            f"email.{region}.amazonaws.com": moto,
            f"kms.{region}.amazonaws.com": moto,
            f"sts.{region}.amazonaws.com": moto,
            "s3.amazonaws.com": moto,
            "*.s3.amazonaws.com": moto,
            f"s3.{region}.amazonaws.com": moto,
            f"*.s3.{region}.amazonaws.com": moto,
            self.cloudfront_domain: edge,
            self.standins.hosted_ui_domain: edge,
        }
        self.certificates = TwinCertificates(self.work / "tls", list(routes))
        self.proxy = Proxy(self.certificates, routes)
        self.proxy.start()
        self.known_variables = variables_the_app_reads(self.task.image_dir / "src")
        self._site()
        self._users()
        self.start_task(1)

    def platform_environment(self) -> dict[str, str]:
        return {
            "HTTPS_PROXY": self.proxy.url,
            "NO_PROXY": "127.0.0.1",  # the credentials endpoint is link-local on ECS, reached directly
            "SSL_CERT_FILE": str(self.certificates.ca_file),
            "AWS_CA_BUNDLE": str(self.certificates.ca_file),
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": self.edge.credentials_url,
            # The image installs the app built from the asset's src/; the twin runs that same source.
            "PYTHONPATH": str(self.task.image_dir / "src"),
        }

    def environment(self, container: Any) -> dict[str, str]:
        env = container_environment(
            self.task, container, self.resolver, self.standins.read_secret, self.known_variables
        )
        clash = sorted(set(env) & PLATFORM_VARIABLES)
        if clash:
            raise TwinError(f"container {container.name!r} sets {clash}, which the twin's platform provides")
        return {**env, **self.platform_environment()}

    def command(self, container: Any) -> list[str]:
        return container.command or self.task.dockerfile.cmd

    def task_network(self, n: int) -> TaskNetwork:
        """The task's network namespace, with the platform's proxy and credentials endpoint inside."""
        network = TaskNetwork(self.work / f"task-{n}.netns")
        self.networks.append(network)
        network.forward_in(self.proxy.port, ("127.0.0.1", self.proxy.port))
        network.forward_in(self.edge.port, ("127.0.0.1", self.edge.port))
        return network

    def run_migrate(self, n: int, network: TaskNetwork) -> ContainerProcess:
        container = self.task.migrate
        argv, env = self.command(container), self.environment(container)
        process = start(f"migrate (task {n})", container, argv, env, FRESH_TASK_CLOCK_S, network)
        self.migrations.append(process)
        code = process.wait(timeout=120)
        if code != 0:
            raise TwinError(
                f"the migrate container exited {code} (ECS would not start the app):\n{process.output()}"
            )
        self.exercised.append(f"{process.name}: {' '.join(argv)} exited 0")
        return process

    def start_task(self, n: int) -> ContainerProcess:
        """ECS starts a task: migrate to its success, then the app, healthy by its HEALTHCHECK."""
        network = self.task_network(n)
        self.run_migrate(n, network)
        container = self.task.app
        env = self.environment(container)
        port = env.get("API_PORT")
        if container.port is None or port != str(container.port):
            raise TwinError(f"the app listens on API_PORT={port}, the task maps port {container.port}")
        process = start(
            f"app (task {n})", container, self.command(container), env, FRESH_TASK_CLOCK_S, network
        )
        self.tasks.append(process)
        process.healthy_after_s = self.wait_healthy(process)
        address = network.publish(task_addresses(n), container.port)
        process.url = f"http://{address}:{port}"
        assert self.edge.site is not None
        self.edge.site.api_origins.append((address, container.port))
        return process

    def stop_task(self, process: ContainerProcess) -> int:
        """ECS's stop: SIGTERM, SIGKILL after the stop timeout; the target leaves the load balancer first."""
        assert self.edge.site is not None
        origin = tuple(process.url.removeprefix("http://").rsplit(":", 1))
        self.edge.site.api_origins = [o for o in self.edge.site.api_origins if (o[0], str(o[1])) != origin]
        code = process.stop(timeout=self.task.app.stop_timeout_s)
        self.tasks.remove(process)
        return code

    def healthcheck(self, process: ContainerProcess) -> tuple[int, str]:
        """The image's HEALTHCHECK command, run in a container sandbox with the task's environment."""
        import subprocess

        from task import sandboxed

        argv = sandboxed(
            self.task.app, self.task.dockerfile.healthcheck or [], FRESH_TASK_CLOCK_S, process.network
        )
        done = subprocess.run(argv, env=process.env, capture_output=True, text=True, timeout=30)
        return done.returncode, done.stdout + done.stderr

    def wait_healthy(self, process: ContainerProcess) -> float:
        """Run the HEALTHCHECK until it passes, within its start period plus its retries, as Docker would."""
        options = self.task.dockerfile.healthcheck_options
        seconds = {k: float(v.rstrip("s")) for k, v in options.items() if k in ("interval", "start-period")}
        retries = int(options.get("retries", 3))
        deadline = time.monotonic() + seconds.get("start-period", 0) + retries * seconds.get("interval", 30)
        started = time.monotonic()
        while True:
            if process.proc.poll() is not None:
                raise TwinError(f"{process.name} exited {process.proc.returncode}:\n{process.output()}")
            code, output = self.healthcheck(process)
            if code == 0:
                return time.monotonic() - started
            if time.monotonic() > deadline:
                raise TwinError(f"{process.name}: the HEALTHCHECK never passed: {output}\n{process.output()}")
            time.sleep(0.2)

    # --- the front end, as CloudFront serves it ----------------------------------------------------

    def _site(self) -> None:
        logical_id, props = self.stack.one_of_type("AWS::CloudFront::Distribution")
        config = props["DistributionConfig"]
        default = config["DefaultCacheBehavior"]
        origin = next(o for o in config["Origins"] if o["Id"] == default["TargetOriginId"])
        bucket = origin["DomainName"]["Fn::GetAtt"][0]
        files: dict[str, bytes] = {}
        for deployment_id, deployment in self.stack.resources.items():
            p = deployment.get("Properties", {})
            if not deployment["Type"].startswith("Custom::CDKBucketDeployment"):
                continue
            if p.get("DestinationBucketName") != {"Ref": bucket}:
                continue
            markers = p.get("SourceMarkers") or [{} for _ in p["SourceObjectKeys"]]
            for key, marker in zip(p["SourceObjectKeys"], markers, strict=True):
                directory = self.stack.file_asset_dir(key)
                values = {m: str(self.resolver.resolve(v, deployment_id)) for m, v in marker.items()}
                for path in directory.rglob("*"):
                    name = path.relative_to(directory).as_posix()
                    if path.is_dir() or not _included(name, p.get("Include", []), p.get("Exclude", [])):
                        continue
                    data = path.read_bytes()
                    for m, value in values.items():
                        data = data.replace(m.encode(), value.encode())
                    files[name] = data
        if "index.html" not in files:
            raise TwinError(f"{logical_id}: no index.html among the files deployed to {bucket}")
        headers = self._response_headers(default.get("ResponseHeadersPolicyId"))
        api = [b for b in config.get("CacheBehaviors", []) if b["PathPattern"] == "/api/*"]
        if not api:
            raise TwinError(f"{logical_id}: no /api/* behaviour: the front end could not reach the API")
        self.edge.site = Site(files=files, headers=headers, api_origins=[])
        root = config.get("DefaultRootObject")
        if root and root in files:
            files[""] = files[root]

    def _response_headers(self, policy_ref: Any) -> dict[str, str]:
        if not policy_ref:
            return {}
        config = self.stack.resources[policy_ref["Ref"]]["Properties"]["ResponseHeadersPolicyConfig"]
        security = config.get("SecurityHeadersConfig", {})
        headers: dict[str, str] = {}
        if "ContentSecurityPolicy" in security:
            headers["Content-Security-Policy"] = str(
                self.resolver.resolve(security["ContentSecurityPolicy"]["ContentSecurityPolicy"], "CSP")
            )
        if "ContentTypeOptions" in security:
            headers["X-Content-Type-Options"] = "nosniff"
        if "FrameOptions" in security:
            headers["X-Frame-Options"] = security["FrameOptions"]["FrameOption"]
        if "ReferrerPolicy" in security:
            headers["Referrer-Policy"] = security["ReferrerPolicy"]["ReferrerPolicy"]
        if "StrictTransportSecurity" in security:
            hsts = security["StrictTransportSecurity"]
            value = f"max-age={hsts['AccessControlMaxAgeSec']}"
            value += "; includeSubDomains" if hsts.get("IncludeSubdomains") else ""
            value += "; preload" if hsts.get("Preload") else ""
            headers["Strict-Transport-Security"] = value
        return headers

    # --- identity ----------------------------------------------------------------------------------

    def _users(self) -> None:
        """One user per group of the pool, created as an administrator would, each with an authenticator."""
        idp = self.standins.client("cognito-idp")
        pool = self.standins.user_pool_id
        (client_id,) = [
            self.resolver.resolve({"Ref": c}, c) for c in self.stack.of_type("AWS::Cognito::UserPoolClient")
        ]
        self.client_id = str(client_id)
        self.client_registration = idp.describe_user_pool_client(UserPoolId=pool, ClientId=self.client_id)[
            "UserPoolClient"
        ]
        if "ALLOW_USER_SRP_AUTH" not in self.client_registration.get("ExplicitAuthFlows", []):
            raise TwinError("the web client does not allow USER_SRP_AUTH, the flow the twin signs in with")
        for group in [g["GroupName"] for g in idp.list_groups(UserPoolId=pool)["Groups"]]:
            email = f"{group}.twin@example.com"
            created = idp.admin_create_user(
                UserPoolId=pool,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                ],
                MessageAction="SUPPRESS",
            )["User"]
            idp.admin_set_user_password(
                UserPoolId=pool, Username=email, Password=USER_PASSWORD, Permanent=True
            )
            idp.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
            sub = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
            user = User(email, group, sub=sub)
            self.sign_in(user)  # the first sign-in sets up the authenticator (MFA is required)
            self.users[group] = user
        self.edge.hosted_ui = HostedUi(self.client_registration, self._hosted_sign_in)

    def sign_in(self, user: User) -> dict[str, Any]:
        return cognito.sign_in(
            self.standins.client("cognito-idp"),
            self.standins.user_pool_id,
            self.client_id,
            user.email,
            USER_PASSWORD,
            user.authenticator,
        )

    def access_token(self, group: str) -> str:
        return str(self.sign_in(self.users[group])["AccessToken"])

    def _hosted_sign_in(self, username: str, password: str, code: str) -> dict[str, Any]:
        user = next(u for u in self.users.values() if u.email == username)
        return cognito.sign_in(
            self.standins.client("cognito-idp"),
            self.standins.user_pool_id,
            self.client_id,
            username,
            password,
            user.authenticator,
            code=lambda _secret: code,
        )

    def rotation(self) -> SingleUserRotation:
        return SingleUserRotation(
            self.stack, self.resolver, self.standins, self.tasks[0].env["API_DB_SECRET_ARN"]
        )

    # --- teardown ----------------------------------------------------------------------------------

    def down(self) -> None:
        for process in [*self.tasks, *self.migrations]:
            if process.proc.poll() is None:
                process.proc.kill()
        for network in self.networks:
            network.close()
        for part in ("proxy", "edge", "standins"):
            if hasattr(self, part):
                getattr(self, part).stop()


def _included(name: str, include: list[str], exclude: list[str]) -> bool:
    """BucketDeployment's filters: excluded by any Exclude pattern unless an Include pattern matches."""
    if any(fnmatch.fnmatchcase(name, p) for p in include):
        return True
    return not any(fnmatch.fnmatchcase(name, p) for p in exclude)


@contextmanager
def deployed(keep: bool = False) -> Iterator[Deployment]:
    """The twin up, torn down afterwards. Outside /tmp: each container mounts an empty /tmp of its own."""
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="cdk-casemgmt-twin-", dir="/var/tmp"))
    work.chmod(0o755)
    deployment = Deployment(work)
    try:
        deployment.up()
        yield deployment
    finally:
        deployment.down()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
