"""A stack's resources as CloudFormation will see them, for rules that look across resources.

cdk-nag hands a rule one ``CfnResource`` at a time. The deploy-readiness rules need its neighbours
too (the topic policy of an alarm's topic, the load balancer a web ACL protects), so each stack is
read once per validation into ``TemplateView``: every resource of the stack with its logical ID,
type, properties resolved to their template form (CloudFormation names, intrinsics such as
``{"Ref": ...}`` left as they are), deletion policy and explicit dependencies. Each
``Resource`` keeps its view as ``template``, so a rule handed one resource reaches the others.

What it cannot see: raw overrides (``add_property_override``, ``add_override``), which aws-cdk-lib
keeps private until synthesis, and resources of other stacks (a cross-stack reference is an
``Fn::ImportValue`` here, so rules treat it as unknown and do not flag it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import CfnMapping, CfnResource, Stack, Token
from constructs import IConstruct

_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


@dataclass(frozen=True)
class Resource:
    """One resource of a template."""

    template: TemplateView = field(repr=False, compare=False)
    """The template the resource belongs to: its neighbours, for rules that look across resources."""
    logical_id: str
    type: str
    properties: Mapping[str, Any]
    """Properties as in the synthesized template (CloudFormation names, intrinsics unresolved)."""
    deletion_policy: str | None
    """``Retain``, ``RetainExceptOnCreate``, ``Snapshot``, ``Delete`` or None (not set)."""
    path: str
    """Construct path, for messages."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """The resource's template ``Metadata`` (CDK's own ``aws:cdk:*`` entries are added only at synthesis)."""

    def get(self, *keys: str | int) -> Any:
        """The property at ``keys`` (names and list indexes), or None when any step is missing."""
        return dig(self.properties, *keys)


def dig(value: Any, *keys: str | int) -> Any:
    """``value[k1][k2]...``, or None when a step is missing or of the wrong kind."""
    for key in keys:
        if isinstance(key, int):
            if not isinstance(value, list) or not -len(value) <= key < len(value):
                return None
        elif not isinstance(value, Mapping):
            return None
        value = value[key] if isinstance(key, int) else value.get(key)
    return value


def as_list(value: Any) -> list[Any]:
    """A policy or template value that may be one item or a list of them, as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def target_id(value: Any) -> str | None:
    """The logical ID a ``Ref`` or ``Fn::GetAtt`` points at (pseudo parameters excluded), else None."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    if "Ref" in value:
        ref = value["Ref"]
        return ref if isinstance(ref, str) and not ref.startswith("AWS::") else None
    att = value.get("Fn::GetAtt")
    if isinstance(att, list) and att and isinstance(att[0], str):
        return att[0]
    if isinstance(att, str):
        return att.split(".", 1)[0]
    return None


def get_att(value: Any) -> tuple[str, str] | None:
    """``(logical ID, attribute)`` of an ``Fn::GetAtt``, else None."""
    att = value.get("Fn::GetAtt") if isinstance(value, Mapping) and len(value) == 1 else None
    if isinstance(att, list) and len(att) == 2 and all(isinstance(a, str) for a in att):
        return att[0], att[1]
    if isinstance(att, str) and "." in att:
        logical_id, attribute = att.split(".", 1)
        return logical_id, attribute
    return None


def referenced_ids(value: Any) -> set[str]:
    """Every logical ID that ``value`` references through ``Ref``, ``Fn::GetAtt`` or ``Fn::Sub``."""
    found: set[str] = set()
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            direct = target_id(item)
            if direct is not None:
                found.add(direct)
                continue
            sub = item.get("Fn::Sub") if len(item) == 1 else None
            if sub is not None:
                text, variables = (sub[0], sub[1]) if isinstance(sub, list) and len(sub) == 2 else (sub, {})
                if isinstance(text, str):
                    names = set(variables) if isinstance(variables, Mapping) else set()
                    found.update(n for n in _SUB_REFERENCE.findall(text) if n not in names)
                stack.append(variables)
                continue
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of an IAM policy document (one statement or a list)."""
    return [s for s in as_list(dig(document, "Statement")) if isinstance(s, Mapping)]


def matches_action(actions: Any, wanted: str) -> bool:
    """Whether a statement's ``Action`` covers ``wanted`` (``service:Name``), wildcards included."""
    wanted = wanted.lower()
    for action in as_list(actions):
        if not isinstance(action, str):
            continue
        pattern = re.escape(action.lower()).replace(r"\*", ".*").replace(r"\?", ".")
        if re.fullmatch(pattern, wanted):
            return True
    return False


def principal_includes_service(principal: Any, service: str) -> bool:
    """Whether a statement's ``Principal`` names ``service`` (or everyone)."""
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if "*" in as_list(principal.get("AWS")):
        return True
    return service in as_list(principal.get("Service"))


class TemplateView:
    """The resources of one stack, read once from its construct tree."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.resources: dict[str, Resource] = {}
        self._constructs: dict[str, CfnResource] = {}
        self._mappings: dict[str, CfnMapping] = {}
        self._by_path: dict[str, str] = {}
        stack_path = stack.node.path
        for construct in stack.node.find_all():
            if Stack.of(construct).node.path != stack_path:
                continue  # a nested stack's resources belong to its own template
            if isinstance(construct, CfnMapping):
                self._mappings[str(stack.resolve(construct.logical_id))] = construct
            elif isinstance(construct, CfnResource):
                resource = _read(self, construct)
                self.resources[resource.logical_id] = resource
                self._constructs[resource.logical_id] = construct
                self._by_path[construct.node.path] = resource.logical_id
        self._dependencies: dict[str, frozenset[str]] = {}

    @property
    def region(self) -> str | None:
        """The stack's region when it is a literal, else None (an environment-agnostic stack)."""
        region = self.stack.region
        return None if Token.is_unresolved(region) else region

    def of(self, node: CfnResource) -> Resource:
        """The resource of ``node``."""
        return self.resources[self._by_path[node.node.path]]

    def of_type(self, *types: str) -> Iterator[Resource]:
        """The resources of the given CloudFormation types, in template order."""
        return (r for r in self.resources.values() if r.type in types)

    def target(self, value: Any, *types: str) -> Resource | None:
        """The resource a ``Ref``/``Fn::GetAtt`` points at, if it is in this template (and of ``types``)."""
        logical_id = target_id(value)
        resource = self.resources.get(logical_id) if logical_id else None
        if resource is None or (types and resource.type not in types):
            return None
        return resource

    def mapping_covers(self, value: Any, top_level_keys: Iterable[str]) -> bool:
        """Whether ``value`` is an ``Fn::FindInMap`` into a mapping of this template that has an entry
        for each of ``top_level_keys`` (with the looked-up attribute).

        Only the keys can be checked: aws-cdk-lib keeps a mapping's values private until synthesis.
        """
        args = dig(value, "Fn::FindInMap")
        if (
            not isinstance(args, list)
            or len(args) != 3
            or not all(isinstance(a, str) for a in (args[0], args[2]))
        ):
            return False
        mapping = self._mappings.get(args[0])
        if mapping is None:
            return False
        for key in top_level_keys:
            try:
                mapping.find_in_map(key, args[2])
            except Exception:  # jsii raises for a key the mapping does not hold
                return False
        return True

    def depends_on(self, logical_id: str, other: str) -> bool:
        """Whether CloudFormation creates ``other`` before ``logical_id`` (a reference or DependsOn chain)."""
        seen: set[str] = set()
        todo = [logical_id]
        while todo:
            current = todo.pop()
            for dependency in self._direct_dependencies(current):
                if dependency == other:
                    return True
                if dependency not in seen:
                    seen.add(dependency)
                    todo.append(dependency)
        return False

    def _direct_dependencies(self, logical_id: str) -> frozenset[str]:
        cached = self._dependencies.get(logical_id)
        if cached is not None:
            return cached
        resource = self.resources.get(logical_id)
        if resource is None:
            return frozenset()
        found = referenced_ids(resource.properties)
        construct = self._constructs[logical_id]
        found.update(
            str(self.stack.resolve(d.logical_id))
            for d in construct.obtain_dependencies()
            if isinstance(d, CfnResource)
        )
        # Construct-level dependencies (node.add_dependency) become DependsOn only at synthesis.
        scope: IConstruct | None = construct
        while scope is not None and scope.node.path != self.stack.node.path:
            for dependency in scope.node.dependencies:
                for child in dependency.node.find_all():
                    if child.node.path in self._by_path:
                        found.add(self._by_path[child.node.path])
            scope = scope.node.scope
        result = frozenset(found & self.resources.keys())
        self._dependencies[logical_id] = result
        return result


def _read(template: TemplateView, construct: CfnResource) -> Resource:
    # The L1 classes keep their properties under aws-cdk-lib's own (camelCase) names; their protected
    # renderer turns the resolved values into the template's names, exactly as synthesis does.
    stack = template.stack
    resolved = stack.resolve(construct._cfn_properties)
    rendered = construct._render_properties(resolved) if resolved else {}
    properties = stack.resolve(rendered) or {}
    policy = construct.cfn_options.deletion_policy
    return Resource(
        template=template,
        logical_id=str(stack.resolve(construct.logical_id)),
        type=construct.cfn_resource_type,
        properties={k: v for k, v in dict(properties).items() if v is not None},
        deletion_policy=None if policy is None else _DELETION_POLICIES[policy.name],
        path=construct.node.path,
        metadata=dict(stack.resolve(construct.cfn_options.metadata) or {}),
    )


_DELETION_POLICIES = {
    "DELETE": "Delete",
    "RETAIN": "Retain",
    "RETAIN_EXCEPT_ON_CREATE": "RetainExceptOnCreate",
    "SNAPSHOT": "Snapshot",
}
