"""Containers that start and then cannot write where they must."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_nag import NagMessageLevel, NagRuleCompliance

from cdk_casemgmt.deploy_readiness._rule import rule
from cdk_casemgmt.deploy_readiness._template import Resource, as_list, dig

IMAGE_VOLUMES_METADATA = "cdk_casemgmt:imageVolumes"
"""Template metadata key on an ``AWS::ECS::TaskDefinition``: the container paths its image declares with
``VOLUME``, writable by the container's user (the task's container contract). A writable bind mount at
one of these paths starts as a copy of the image's directory, owner and mode included, and is not
flagged. ``SecureFargateApi`` records its ``writable_paths`` here."""

# Volume settings that make a volume something other than a task-local bind mount.
_NOT_BIND_MOUNT = (
    "EFSVolumeConfiguration",
    "DockerVolumeConfiguration",
    "FSxWindowsFileServerVolumeConfiguration",
    "ConfiguredAtLaunch",
    "Host",
)


def _runs_as_root(user: Any) -> bool:
    if user is None:
        return True  # the image's USER, which the template cannot see: not judged here
    name = str(user).split(":", 1)[0]
    return name in ("0", "root")


def _bind_mounts(task: Resource) -> set[str]:
    return {
        str(dig(volume, "Name"))
        for volume in as_list(task.get("Volumes"))
        if isinstance(volume, Mapping) and not any(volume.get(key) is not None for key in _NOT_BIND_MOUNT)
    }


@rule(
    "ECSBindMountWritable",
    types=("AWS::ECS::TaskDefinition",),
    level=NagMessageLevel.WARN,
    info="A container with a read-only root file system runs as a non-root user and writes to a bind "
    "mount, which Fargate creates owned by root with mode 0755 unless the image declares the path, and "
    "the task definition does not state that its image does.",
    explanation="On Fargate a task's bind-mount volume starts empty, owned by root, mode 0755; only a "
    "VOLUME instruction in the image for the same path makes the volume start with the image's "
    "directory (and its owner and mode). With ReadonlyRootFilesystem the mount is the container's only "
    "writable place, and a non-root user cannot write to it: temporary files, uploads and caches fail at "
    "run time. It is a warning because the rule cannot see the image. Fix: in the Dockerfile, make the "
    "directory writable for the container's user and declare it with VOLUME; then state that contract on "
    "the task definition, as template metadata 'cdk_casemgmt:imageVolumes' listing the container paths "
    "(SecureFargateApi does it for its writable_paths), and the rule accepts mounts at those paths.",
    documentation="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html",
)
def ecs_bind_mount_writable(task: Resource) -> NagRuleCompliance:
    """A non-root container whose only writable path is a root-owned bind mount."""
    bind_mounts = _bind_mounts(task)
    declared = {str(path) for path in as_list(task.metadata.get(IMAGE_VOLUMES_METADATA))}
    applicable = undeclared = False
    for container in as_list(task.get("ContainerDefinitions")):
        if dig(container, "ReadonlyRootFilesystem") is not True or _runs_as_root(dig(container, "User")):
            continue
        for mount in as_list(dig(container, "MountPoints")):
            if dig(mount, "SourceVolume") in bind_mounts and dig(mount, "ReadOnly") is not True:
                applicable = True
                undeclared = undeclared or dig(mount, "ContainerPath") not in declared
    if not applicable:
        return NagRuleCompliance.NOT_APPLICABLE
    return NagRuleCompliance.NON_COMPLIANT if undeclared else NagRuleCompliance.COMPLIANT


RULES = (ecs_bind_mount_writable,)
