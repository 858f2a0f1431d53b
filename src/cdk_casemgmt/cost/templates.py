"""Reading templates: CloudFormation files (JSON or YAML), cloud assemblies, nested stacks' templates."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cdk_casemgmt.cost.context import NestedLoader


def load_template(path: str | Path) -> dict[str, Any]:
    """A CloudFormation template from a JSON or YAML file (YAML short-form tags included)."""
    text = Path(path).read_text("utf-8")
    stripped = text.lstrip()
    if stripped.startswith("{"):
        data: dict[str, Any] = json.loads(text)
        return data
    try:
        import yaml
    except ImportError as err:  # pragma: no cover - PyYAML ships with cfn-lint (testing extra)
        raise ValueError(f"{path}: YAML templates need PyYAML (pip install pyyaml)") from err

    class _Loader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no stubs here: its classes are Any
        pass

    def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "GetAtt" and isinstance(value, str):
            return {"Fn::GetAtt": value.split(".", 1)}
        return {f"Fn::{suffix}": value}

    _Loader.add_multi_constructor("!", _tag)
    loaded = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: not a CloudFormation template")
    return loaded


def _region_of(environment: str | None) -> str | None:
    # "aws://111111111111/us-east-1"; "unknown-region" for environment-agnostic stacks.
    if not environment or not environment.startswith("aws://"):
        return None
    region = environment.rsplit("/", 1)[-1]
    return None if region.startswith("unknown") else region


def assembly_stacks(directory: str | Path) -> list[tuple[str, str | None, Path]]:
    """``(display name, region or None, template path)`` of every stack in a cloud assembly."""
    root = Path(directory)
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    found: list[tuple[str, str | None, Path]] = []
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        kind = artifact.get("type")
        props = artifact.get("properties") or {}
        if kind == "aws:cloudformation:stack":
            name = artifact.get("displayName") or artifact_id
            found.append((name, _region_of(artifact.get("environment")), root / props["templateFile"]))
        elif kind == "cdk:cloud-assembly" and props.get("directoryName"):
            found += assembly_stacks(root / props["directoryName"])
    return found


def nested_loader(folder: Path) -> NestedLoader:
    """Loads nested stacks' templates from ``folder`` (where a stack's template and its assets are)."""

    def load(asset_path: str) -> Mapping[str, Any] | None:
        candidate = folder / asset_path
        if candidate.is_file():
            loaded: Mapping[str, Any] = json.loads(candidate.read_text("utf-8"))
            return loaded
        return None

    return load
