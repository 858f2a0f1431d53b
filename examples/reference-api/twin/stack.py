"""The reference deployment as synthesized: its template, the API's task definition, the image's Dockerfile.

Nothing here knows the API's configuration: the containers are found by their structure (the essential one
with a port mapping is the app; the one it waits for with ``SUCCESS`` is the migration), and the image is
the Docker asset the app's ``Image`` names, read from the cloud assembly like ``cdk deploy`` would build it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent
INFRA = EXAMPLE / "infra"
ROOT = EXAMPLE.parents[1]


class TwinError(AssertionError):
    """The stack and the twin disagree: a reference the twin cannot stand in for, an unknown variable..."""


def synthesize(outdir: Path) -> Path:
    """Run the CDK app as ``make synth`` does (``python app.py``, cdk.json's context) into ``outdir``."""
    env = {**os.environ, "CDK_OUTDIR": str(outdir)}
    env.pop("CDK_CONTEXT_JSON", None)
    done = subprocess.run(
        [sys.executable, str(INFRA / "app.py")], cwd=INFRA, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise TwinError(f"the reference deployment did not synthesize:\n{done.stdout}\n{done.stderr}")
    return outdir


@dataclass(frozen=True)
class Dockerfile:
    """The final stage of a Dockerfile: what a container started from the image inherits."""

    env: dict[str, str]
    cmd: list[str]
    user: str | None
    healthcheck: list[str] | None
    healthcheck_options: dict[str, str]
    stopsignal: str | None

    @classmethod
    def parse(cls, text: str) -> Dockerfile:
        lines = re.sub(r"\\\n", " ", text).splitlines()
        instructions = []
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                word, _, rest = line.partition(" ")
                instructions.append((word.upper(), rest.strip()))
        last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
        env: dict[str, str] = {}
        cmd: list[str] = []
        user = healthcheck = stopsignal = None
        options: dict[str, str] = {}
        for word, args in instructions[last_from:]:
            if word == "ENV":
                for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', args):
                    env[key] = value.strip('"')
            elif word == "CMD":
                cmd = _exec_form(args, "CMD")
            elif word == "USER":
                user = args
            elif word == "STOPSIGNAL":
                stopsignal = args
            elif word == "HEALTHCHECK":
                flags, _, command = args.partition("CMD ")
                options = dict(re.findall(r"--([\w-]+)=(\S+)", flags))
                healthcheck = _exec_form(command, "HEALTHCHECK CMD")
        return cls(env, cmd, user, healthcheck, options, stopsignal)


def _exec_form(args: str, what: str) -> list[str]:
    try:
        argv = json.loads(args)
    except json.JSONDecodeError:
        raise TwinError(f"the Dockerfile's {what} is not in exec form: {args}") from None
    if not (isinstance(argv, list) and all(isinstance(a, str) for a in argv)):
        raise TwinError(f"the Dockerfile's {what} is not a list of strings: {args}")
    return argv


@dataclass(frozen=True)
class Container:
    """One container definition of the task, its values still CloudFormation expressions."""

    definition: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.definition["Name"])

    @property
    def command(self) -> list[str] | None:
        command = self.definition.get("Command")
        return list(command) if command is not None else None

    @property
    def environment(self) -> dict[str, Any]:
        return {e["Name"]: e["Value"] for e in self.definition.get("Environment", [])}

    @property
    def secrets(self) -> dict[str, Any]:
        return {s["Name"]: s["ValueFrom"] for s in self.definition.get("Secrets", [])}

    @property
    def port(self) -> int | None:
        mappings = self.definition.get("PortMappings", [])
        return int(mappings[0]["ContainerPort"]) if mappings else None

    @property
    def user(self) -> str | None:
        user = self.definition.get("User")
        return str(user) if user is not None else None

    @property
    def read_only_root(self) -> bool:
        return bool(self.definition.get("ReadonlyRootFilesystem", False))

    @property
    def stop_timeout_s(self) -> int:
        return int(self.definition.get("StopTimeout", 30))  # ECS's default

    @property
    def writable_paths(self) -> list[str]:
        return [m["ContainerPath"] for m in self.definition.get("MountPoints", []) if not m.get("ReadOnly")]


@dataclass(frozen=True)
class ApiTask:
    """The API's task definition: the app container, the migration it waits for, and their image."""

    logical_id: str
    app: Container
    migrate: Container
    dockerfile: Dockerfile
    image_dir: Path


@dataclass
class Stack:
    """One synthesized stack: its template, its assets, and the account and region it is for."""

    name: str
    template: dict[str, Any]
    assembly_dir: Path
    account: str
    region: str
    assets: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, assembly_dir: Path) -> Stack:
        manifest = json.loads((assembly_dir / "manifest.json").read_text())
        stacks = {
            name: artifact
            for name, artifact in manifest["artifacts"].items()
            if artifact["type"] == "aws:cloudformation:stack"
        }
        if len(stacks) != 1:
            raise TwinError(f"the twin stands in for one stack; the assembly has {sorted(stacks)}")
        ((name, artifact),) = stacks.items()
        environment = artifact["environment"]  # aws://ACCOUNT/REGION
        account, region = environment.removeprefix("aws://").split("/")
        template = json.loads((assembly_dir / artifact["properties"]["templateFile"]).read_text())
        assets = json.loads((assembly_dir / f"{name}.assets.json").read_text())
        return cls(name, template, assembly_dir, account, region, assets)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template["Resources"]
        return resources

    def of_type(self, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v["Properties"] for k, v in self.resources.items() if v["Type"] == type_}

    def one_of_type(self, type_: str) -> tuple[str, dict[str, Any]]:
        found = self.of_type(type_)
        if len(found) != 1:
            raise TwinError(f"expected one {type_} in {self.name}, found {sorted(found)}")
        ((logical_id, properties),) = found.items()
        return logical_id, properties

    def api_task(self) -> ApiTask:
        logical_id, properties = self.one_of_type("AWS::ECS::TaskDefinition")
        containers = [Container(c) for c in properties["ContainerDefinitions"]]
        apps = [c for c in containers if c.definition.get("Essential", True) and c.port is not None]
        if len(apps) != 1:
            raise TwinError(f"{logical_id}: expected one essential container with a port, found {apps}")
        (app,) = apps
        waits_for = [
            d["ContainerName"] for d in app.definition.get("DependsOn", []) if d["Condition"] == "SUCCESS"
        ]
        migrations = [c for c in containers if c.name in waits_for]
        if len(migrations) != 1:
            raise TwinError(f"{logical_id}: the app waits for {waits_for}; the twin expects one migration")
        (migrate,) = migrations
        image_dir = self.image_dir(app.definition["Image"])
        if migrate.definition["Image"] != app.definition["Image"]:
            raise TwinError(f"{logical_id}: the migration runs another image than the app")
        dockerfile = Dockerfile.parse((image_dir / "Dockerfile").read_text())
        return ApiTask(logical_id, app, migrate, dockerfile, image_dir)

    def image_dir(self, image: Any) -> Path:
        """The build context of the Docker asset an ``Image`` expression names (its tag is the asset hash)."""
        text = json.dumps(image)
        for asset_hash, asset in self.assets.get("dockerImages", {}).items():
            if asset_hash in text:
                return self.assembly_dir / str(asset["source"]["directory"])
        raise TwinError(f"the image {text} is none of the assembly's Docker assets: the twin cannot run it")

    def file_asset_dir(self, object_key: str) -> Path:
        """The directory of a file asset, named by its S3 object key (``<hash>.zip``)."""
        for asset_hash, asset in self.assets.get("files", {}).items():
            if object_key.startswith(asset_hash):
                path = self.assembly_dir / str(asset["source"]["path"])
                if path.is_dir():
                    return path
                raise TwinError(f"file asset {asset_hash} is not a directory: {path}")
        raise TwinError(f"no file asset for the object key {object_key}")
