"""What the local cloud holds, counted by kind, and what changed between two counts. Pure Python.

A test takes an :class:`Inventory` before and after doing something (``harness.inventory()``) and
asks what changed, so "no side effect" is a measurement, not a belief::

    before = harness.inventory()
    harness.run("orders", bad_request)
    assert harness.inventory().changes_since(before) == []
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

COUNTED_KINDS = frozenset(
    {
        "dynamodb:items",
        "sns:messages",
        "sqs:messages",
        "ses:emails",
        "stepfunctions:executions",
    }
)
"""Kinds whose values are counts: there, a change is a number going up or down."""


@dataclass(frozen=True)
class Change:
    """One identifier of one kind whose value differs (``None``: absent on that side)."""

    kind: str
    key: str
    before: Any
    after: Any

    @property
    def added(self) -> int:
        """How many things appeared: the growth of a count, or 1 for an identifier that is new."""
        if self.kind in COUNTED_KINDS:
            return max(int(self.after or 0) - int(self.before or 0), 0)
        return 1 if self.before is None and self.after is not None else 0

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.kind} {self.key}: added ({self.after})"
        if self.after is None:
            return f"{self.kind} {self.key}: removed (was {self.before})"
        return f"{self.kind} {self.key}: {self.before} -> {self.after}"


@dataclass(frozen=True)
class Inventory:
    """A count of what the emulated services hold, by kind (see ``patches.inventory`` for the kinds)."""

    kinds: Mapping[str, Mapping[str, Any]]

    @classmethod
    def from_json(cls, document: Mapping[str, Mapping[str, Any]]) -> Inventory:
        """An inventory from the control API's answer."""
        return cls({kind: dict(values) for kind, values in document.items()})

    def changes_since(self, before: Inventory, *, ignore: Iterable[str] = ()) -> list[Change]:
        """Every identifier whose value differs from ``before``, sorted.

        ``ignore`` skips a whole ``kind`` or one ``kind key`` (bookkeeping a test expects). A count
        that is zero on one side and absent on the other (a queue that appeared empty) is no change.
        """
        ignored = set(ignore)
        changes = []
        for kind in sorted(set(self.kinds) | set(before.kinds)):
            if kind in ignored:
                continue
            old, new = before.kinds.get(kind, {}), self.kinds.get(kind, {})
            for key in sorted(set(old) | set(new)):
                if f"{kind} {key}" in ignored:
                    continue
                was, now = old.get(key), new.get(key)
                if kind in COUNTED_KINDS and not was and not now:
                    continue
                if was != now:
                    changes.append(Change(kind, key, was, now))
        return changes

    def count(self, kind: str, key: str | None = None) -> int:
        """How many of ``kind`` there are: the sum of its counts, or its number of identifiers.

        ``key`` narrows to one identifier (a table, a topic, a recipient).
        """
        values = self.kinds.get(kind, {})
        if key is not None:
            values = {key: values[key]} if key in values else {}
        if kind in COUNTED_KINDS:
            return sum(int(value) for value in values.values())
        return len(values)
