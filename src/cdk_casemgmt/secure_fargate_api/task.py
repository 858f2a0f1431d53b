"""What runs in the API's Fargate task: the sizes Fargate accepts, the image, the app container and the
optional ``migrate`` container that runs before it."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_casemgmt._defaults import FARGATE_API
from cdk_casemgmt.compliance import acknowledge
from cdk_casemgmt.deploy_readiness.ecs import IMAGE_VOLUMES_METADATA
from cdk_casemgmt.secure_fargate_api.props import ApiProps

# Fargate's valid task sizes: cpu units -> allowed memory (MiB). Source: the ECS developer guide's
# "Task CPU and memory" table (Linux). ARM64 supports the same sizes.
FARGATE_CPU_MEMORY: Mapping[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# Kept out of an image built from a directory (and out of its asset hash).
_ASSET_EXCLUDES = [
    *("cdk.out", "**/cdk.out", "node_modules", "**/node_modules", ".venv", "**/.venv", ".git"),
    *(".hypothesis", "**/.hypothesis", ".pytest_cache", "**/.pytest_cache", ".mypy_cache", "**/.mypy_cache"),
]


def container_image(
    image: ecs.ContainerImage | str | os.PathLike[str], architecture: ecs.CpuArchitecture
) -> ecs.ContainerImage:
    """``image`` itself, or the image built from the directory ``image`` for ``architecture``'s platform
    (an x86 image on an ARM64 task fails with "exec format error")."""
    if isinstance(image, ecs.ContainerImage):
        return image
    platform = (
        ecr_assets.Platform.LINUX_ARM64
        if architecture_name(architecture) == "ARM64"
        else ecr_assets.Platform.LINUX_AMD64
    )
    return ecs.ContainerImage.from_asset(os.fspath(image), platform=platform, exclude=_ASSET_EXCLUDES)


def architecture_name(architecture: ecs.CpuArchitecture) -> str:
    """``ecs.CpuArchitecture`` has no public value and jsii gives each read a new proxy: compare the
    underlying object references of the two constants instead."""

    def ref(obj: object) -> object:
        return getattr(getattr(obj, "__jsii_ref__", None), "ref", obj)

    for name in ("ARM64", "X86_64"):
        if ref(architecture) == ref(getattr(ecs.CpuArchitecture, name)):
            return name
    return "OTHER"


def writable_volumes(paths: Sequence[str]) -> dict[str, str]:
    """Container path -> name of the task volume mounted there (``/tmp`` -> ``tmp``, ``/var/cache/app`` ->
    ``var-cache-app``), in the order given."""
    names: dict[str, str] = {}
    for path in paths:
        name = re.sub(r"[^A-Za-z0-9_-]", "-", path.strip("/")) or "root"
        unique, n = name, 2
        while unique in names.values():
            unique, n = f"{name}-{n}", n + 1
        names[path] = unique
    return names


def add_containers(
    owner: Construct, task_definition: ecs.TaskDefinition, props: ApiProps, *, log_group: logs.ILogGroup
) -> tuple[ecs.ContainerDefinition, ecs.ContainerDefinition | None]:
    """The essential ``app`` container and, with ``migration_command``, a non-essential ``migrate``
    container from the same image that ``app`` waits for (it starts only after migrate succeeded)."""
    image = container_image(props.image, props.cpu_architecture)
    volumes = writable_volumes(props.writable_paths)
    if volumes:
        # The container contract, stated where reviewers and DeployReadinessChecks read it.
        cfn_task = task_definition.node.default_child
        assert isinstance(cfn_task, ecs.CfnTaskDefinition)
        cfn_task.add_metadata(IMAGE_VOLUMES_METADATA, list(volumes))

    def add(id: str, cmd: Sequence[str] | None, *, essential: bool, prefix: str) -> ecs.ContainerDefinition:
        container = task_definition.add_container(
            id,
            container_name=id.lower(),
            image=image,
            command=list(cmd) if cmd is not None else None,
            environment=dict(props.environment),
            secrets=dict(props.secrets or {}),
            user=props.user,
            essential=essential,
            readonly_root_filesystem=True,
            stop_timeout=props.stop_timeout,
            logging=ecs.LogDriver.aws_logs(
                stream_prefix=prefix,
                log_group=log_group,
                # A blocking driver stalls the app while CloudWatch Logs is slow.
                mode=ecs.AwsLogDriverMode.NON_BLOCKING,
                max_buffer_size=FARGATE_API.log_buffer,
            ),
            linux_parameters=ecs.LinuxParameters(owner, f"{id}LinuxParameters", init_process_enabled=True),
        )
        for path, volume in volumes.items():
            container.add_mount_points(
                ecs.MountPoint(source_volume=volume, container_path=path, read_only=False)
            )
        return container

    app = add("App", props.command, essential=True, prefix="app")
    app.add_port_mappings(
        ecs.PortMapping(container_port=props.container_port, protocol=ecs.Protocol.TCP, name="http")
    )
    migrate = None
    if props.migration_command is not None:
        migrate = add("Migrate", props.migration_command, essential=False, prefix="migrate")
        app.add_container_dependencies(
            ecs.ContainerDependency(container=migrate, condition=ecs.ContainerDependencyCondition.SUCCESS)
        )
    if props.environment:
        acknowledge(
            task_definition,
            "AwsSolutions-ECS2",
            "The environment= prop holds plain configuration only: names that look like secrets are "
            "rejected at synth, and secret values go through secrets= (ecs.Secret).",
        )
    return app, migrate
