"""Errors raised at synth time, before anything reaches CloudFormation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: the cost CLI uses this module without starting Node
    from constructs import IConstruct


class ValidationError(ValueError):
    """Invalid construct props.

    Carries the construct path and every problem found, so one synth shows all of them.
    Each problem names the prop, the value that was given and the fix.
    """

    def __init__(self, path: str, problems: Iterable[str]) -> None:
        self.path: str = path
        """Construct path of the construct whose props are invalid."""
        self.problems: tuple[str, ...] = tuple(problems)
        """Every problem found, each naming the prop, the value given, what is wrong and the fix."""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} invalid prop(s):\n{lines}")


class Problems:
    """Collects prop problems so that a construct can raise once with all of them."""

    def __init__(self) -> None:
        self._items: list[str] = []

    def add(self, prop: str, value: object, problem: str, fix: str) -> None:
        """Record that ``prop`` (given ``value``) is wrong, and how to fix it."""
        self._items.append(f"{prop}={_show(value)}: {problem}. Fix: {fix}")

    def add_message(self, message: str) -> None:
        """Record a problem that concerns several props at once (message names them)."""
        self._items.append(message)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def raise_if_any(self, scope: IConstruct | str) -> None:
        """Raise ``ValidationError`` naming ``scope`` when any problem was recorded."""
        if self._items:
            path = scope if isinstance(scope, str) else scope.node.path
            raise ValidationError(path, self._items)


def _show(value: object) -> str:
    to_human = getattr(value, "to_human_string", None)  # Duration, Size
    if callable(to_human):
        try:
            return str(to_human())
        except Exception:  # an unresolved token: fall back to repr
            pass
    return repr(value)
