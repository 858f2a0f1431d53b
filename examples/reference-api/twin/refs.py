"""CloudFormation's intrinsic functions, resolved against the twin's stand-ins instead of AWS.

Each stand-in registers what CloudFormation would return for its resource (``Ref`` and the ``Fn::GetAtt``
attributes); a reference to anything else fails with the resource, its type and the attribute, so a stack
change the twin has no stand-in for is reported, never guessed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from stack import Stack, TwinError

REF = "Ref"


class Resolver:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.pseudo = {
            "AWS::AccountId": stack.account,
            "AWS::Region": stack.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.name,
        }
        self._values: dict[tuple[str, str], str] = {}

    def provide(self, logical_id: str, attribute: str, value: str) -> None:
        """What the stand-in for ``logical_id`` answers to ``Ref`` (attribute ``"Ref"``) or ``Fn::GetAtt``."""
        if logical_id not in self.stack.resources:
            raise TwinError(f"no resource {logical_id} in {self.stack.name}")
        self._values[(logical_id, attribute)] = value

    def on(self, stack: Stack) -> Resolver:
        """The same stand-ins' answers for an altered copy of the stack (for what-if checks)."""
        other = Resolver(stack)
        other._values = {key: value for key, value in self._values.items() if key[0] in stack.resources}
        return other

    def provided(self, logical_id: str, attribute: str = REF) -> bool:
        return (logical_id, attribute) in self._values

    def resolve(self, value: Any, where: str = "") -> Any:
        """A template value with every intrinsic function replaced by the stand-ins' values."""
        if isinstance(value, list):
            return [self.resolve(v, where) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._lookup(arg, REF, where)
            if key == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self._lookup(logical_id, attribute, where)
            if key == "Fn::Join":
                separator, parts = arg
                return str(separator).join(str(self.resolve(p, where)) for p in self.resolve(parts, where))
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else arg
                variables = {k: self.resolve(v, where) for k, v in variables.items()}

                def substitute(match: re.Match[str]) -> str:
                    name = match.group(1)
                    if name in variables:
                        return str(variables[name])
                    if "." in name:
                        logical_id, attribute = name.split(".", 1)
                        return str(self._lookup(logical_id, attribute, where))
                    return str(self._lookup(name, REF, where))

                return re.sub(r"\$\{([^}!]+)\}", substitute, text)
            if key == "Fn::FindInMap":
                name, top, second = (self.resolve(a, where) for a in arg)
                return self.stack.template["Mappings"][name][top][second]
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items, where)[int(self.resolve(index, where))]
            if key.startswith("Fn::"):
                raise TwinError(f"{where}: the twin does not resolve {key} in {json.dumps(value)}")
        return {k: self.resolve(v, where) for k, v in value.items()}

    def _lookup(self, logical_id: str, attribute: str, where: str) -> str:
        if logical_id in self.pseudo and attribute == REF:
            return self.pseudo[logical_id]
        try:
            return self._values[(logical_id, attribute)]
        except KeyError:
            resource = self.stack.resources.get(logical_id)
            kind = resource["Type"] if resource else "no such resource"
            what = "Ref" if attribute == REF else f"Fn::GetAtt {attribute}"
            raise TwinError(
                f"{where}: {what} of {logical_id} ({kind}) has no stand-in in the twin; "
                "add one to standins.py or say in docs/twin.md why the twin cannot stand in for it"
            ) from None
