"""A griffe extension for the API reference (mkdocs.yml loads it): props' defaults, attributes' types.

- Each prop's docstring ends with ``:default: X``, aws-cdk-lib's convention, because the signature often
  says ``None`` where the construct computes the real default (``Duration`` values cannot be defaults).
  The reference's *Default* column shows X, and the description loses the marker.
- A dataclass documents its fields as ``:param name:`` lines (where ``:default:`` belongs); a field
  with no docstring of its own gets its parameter's description, so the attribute is described too.
- Public instance attributes are listed even when a helper method assigns them (griffe reads only
  ``__init__``), and those without an annotation get one: the class they are built from
  (``self.bucket = s3.Bucket(...)`` gives ``s3.Bucket``), the return annotation of the method of the same
  class that builds them, or the annotation of the parameter they are copied from.
"""

from __future__ import annotations

import ast
import re
import textwrap
from typing import Any

from griffe import (
    Attribute,
    Class,
    Docstring,
    DocstringSectionKind,
    Expr,
    ExprAttribute,
    ExprBoolOp,
    ExprCall,
    ExprJoinedStr,
    ExprName,
    ExprSubscript,
    ExprTuple,
    Extension,
    Function,
)

_DEFAULT = re.compile(r"\s*:default:\s*(?:-\s*)?(?P<default>.*)\Z", re.S)


class ConstructReference(Extension):
    def on_class(self, *, cls: Class, **kwargs: Any) -> None:
        _defaults_from_docstring(cls)
        _describe_fields_from_parameters(cls)
        _add_attributes_set_outside_init(cls)
        for member in list(cls.members.values()):
            if member.is_alias or not member.is_attribute or member.annotation is not None:
                continue
            if "instance-attribute" not in member.labels or member.name.startswith("_"):
                continue
            member.annotation = _infer(member.value, cls)

    def on_function(self, *, func: Function, **kwargs: Any) -> None:
        _defaults_from_docstring(func)


def _defaults_from_docstring(obj: Class | Function) -> None:
    if obj.docstring is None:
        return
    for section in obj.docstring.parsed:
        if section.kind is not DocstringSectionKind.parameters:
            continue
        for parameter in section.value:
            head, marker, default = parameter.description.partition(":default:")
            if not marker:
                continue
            match = _DEFAULT.match(marker + default)
            assert match is not None
            parameter.description = head.rstrip()
            parameter.value = " ".join(match["default"].replace("``", "").split())


def _describe_fields_from_parameters(cls: Class) -> None:
    # Only dataclasses: a construct's attribute is what it built, which its prop may not describe.
    if cls.docstring is None or not any(_is_dataclass(decorator.value) for decorator in cls.decorators):
        return
    for section in cls.docstring.parsed:
        if section.kind is not DocstringSectionKind.parameters:
            continue
        for parameter in section.value:
            field = cls.members.get(parameter.name)
            if not isinstance(field, Attribute) or field.docstring is not None:
                continue
            field.docstring = Docstring(
                parameter.description,
                parent=field,
                parser=cls.docstring.parser,
                parser_options=cls.docstring.parser_options,
            )


def _is_dataclass(decorator: str | Expr) -> bool:
    function = decorator.function if isinstance(decorator, ExprCall) else decorator
    return str(function).rpartition(".")[2] == "dataclass"


def _add_attributes_set_outside_init(cls: Class) -> None:
    try:
        tree = ast.parse(textwrap.dedent(cls.source))
    except (OSError, SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign):
            targets, value, annotation = [node.target], node.value, ast.unparse(node.annotation)
        elif isinstance(node, ast.Assign):
            targets, value, annotation = node.targets, node.value, None
        else:
            continue
        for target in targets:
            for index, element in enumerate(target.elts if isinstance(target, ast.Tuple) else [target]):
                if not (
                    isinstance(element, ast.Attribute)
                    and isinstance(element.value, ast.Name)
                    and element.value.id == "self"
                    and not element.attr.startswith("_")
                    and element.attr not in cls.members
                ):
                    continue
                attribute = Attribute(element.attr, lineno=cls.lineno + node.lineno - 1, parent=cls)
                attribute.labels.add("instance-attribute")
                attribute.annotation = annotation or _infer_from_source(
                    value, cls, index if isinstance(target, ast.Tuple) else None
                )
                cls.set_member(element.attr, attribute)


def _infer_from_source(value: ast.expr | None, cls: Class, index: int | None) -> str | Expr | None:
    """Like ``_infer``, for an assignment griffe did not record (its value as Python's own AST)."""
    if not isinstance(value, ast.Call):
        return None
    function = value.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    if index is None and name[:1].isupper():
        return ast.unparse(function)
    method = cls.members.get(name)
    if not (isinstance(function, ast.Attribute) and isinstance(method, Function)):
        return None
    returns = method.returns
    if index is None:
        return returns
    if isinstance(returns, ExprSubscript) and isinstance(returns.slice, ExprTuple):
        return returns.slice.elements[index]
    return None


def _infer(value: str | Expr | None, cls: Class) -> str | Expr | None:
    if isinstance(value, str):
        if value.lstrip("-").isdigit():
            return "int"
        if value.startswith(("'", '"', "f'", 'f"')):
            return "str"
        return None
    if isinstance(value, ExprJoinedStr):
        return "str"
    if isinstance(value, ExprBoolOp):  # `given or self._build()`: what the last alternative gives
        return _infer(value.values[-1], cls) or _infer(value.values[0], cls)
    if isinstance(value, ExprName):  # copied from a parameter of __init__
        init = cls.members.get("__init__")
        if isinstance(init, Function) and value.name in init.parameters:
            return init.parameters[value.name].annotation
        return None
    if not isinstance(value, ExprCall):
        return None
    function = value.function
    last = function.last if isinstance(function, ExprAttribute) else function
    name = last.name if isinstance(last, ExprName) else str(last)
    if name[:1].isupper():  # a class: what it builds
        return function
    if isinstance(function, ExprAttribute) and str(function.first) == "self":
        method = cls.members.get(name)
        if isinstance(method, Function):
            return method.returns
    return None
