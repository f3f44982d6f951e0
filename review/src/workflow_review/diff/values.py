"""Field-level differences between two JSON values, with paths a reviewer can read.

``Retry[TransientError].MaxAttempts: 3 -> 6`` rather than "the definition string changed". Lists of
objects are matched element by element (by a key where one exists, such as a retrier's
``ErrorEquals``), so one changed retrier is one change, not a rewritten list. Lists of plain
values (``ErrorEquals``, IAM ``Action``) are compared whole: ``["A"] -> ["A", "B"]`` reads best.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from workflow_review.assembly import text_value

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_:-]+$")


class _Missing:
    """The value on the side where a field does not exist."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()
"""Stands for "no such field" on one side of a :class:`FieldChange`."""

ChangeKind = Literal["added", "removed", "changed"]
KeyFunction = Callable[[Any], tuple[str, ...]]
"""Names a list element so that it is matched with the element of the same name on the other side
(a retrier by its errors). Paths show the name short: ``Retry[Lambda.ServiceException +5]``."""


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: where, and its value before and after (``MISSING`` when absent)."""

    path: str
    old: Any = MISSING
    new: Any = MISSING

    @property
    def kind(self) -> ChangeKind:
        if self.old is MISSING:
            return "added"
        if self.new is MISSING:
            return "removed"
        return "changed"

    @property
    def top(self) -> str:
        """The outermost field of the path (``KeySchema`` for ``KeySchema[0].AttributeName``)."""
        return re.split(r"[.\[]", self.path, maxsplit=1)[0]


def show(value: Any) -> str:
    """A value as compact JSON on one line (``MISSING`` shows as ``(absent)``)."""
    if value is MISSING:
        return "(absent)"
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def child_path(path: str, key: str) -> str:
    """``path.key``, quoting keys that would not read as one segment (``Parameters["Payload.$"]``)."""
    if _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def diff_values(
    old: Any, new: Any, *, path: str = "", keys: Mapping[str, KeyFunction] | None = None
) -> list[FieldChange]:
    """Every field that differs between ``old`` and ``new``.

    ``keys`` names the elements of lists held under a given field name, e.g.
    ``{"Retry": lambda r: tuple(r["ErrorEquals"])}``; other lists of objects are matched by
    equality first, then in order.
    """
    keys = keys or {}
    if old == new:
        return []
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changes: list[FieldChange] = []
        for key in [*old, *(k for k in new if k not in old)]:
            sub = child_path(path, str(key))
            if key in keys and (key not in old or key not in new):
                # A whole Retry or Catch list appeared or went: name its elements all the same.
                changes.extend(diff_values(old.get(key, []), new.get(key, []), path=sub, keys=keys))
            elif key not in new:
                changes.append(FieldChange(sub, old[key], MISSING))
            elif key not in old:
                changes.append(FieldChange(sub, MISSING, new[key]))
            else:
                changes.extend(diff_values(old[key], new[key], path=sub, keys=keys))
        return changes
    if _is_list(old) and _is_list(new) and (_has_containers(old) or _has_containers(new)):
        field = re.split(r"[.\[]", path)[-1] if path else ""
        return _diff_lists(old, new, path, keys, keys.get(field))
    return [FieldChange(path, old, new)]


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _has_containers(items: Sequence[Any]) -> bool:
    return any(isinstance(item, Mapping) or _is_list(item) for item in items)


def _diff_lists(
    old: Sequence[Any],
    new: Sequence[Any],
    path: str,
    keys: Mapping[str, KeyFunction],
    key_function: KeyFunction | None,
) -> list[FieldChange]:
    def label(items: Sequence[Any], index: int) -> str:
        if key_function is None:
            return f"{path}[{index}]"
        name = key_function(items[index])
        short = ", ".join(name) if len(name) <= 2 else f"{name[0]} +{len(name) - 1}"
        return f"{path}[{short}]"

    unmatched_old = list(range(len(old)))
    pairs: list[tuple[int, int]] = []
    unmatched_new: list[int] = []
    for new_index, item in enumerate(new):
        match = next(
            (
                i
                for i in unmatched_old
                if (key_function(old[i]) == key_function(item) if key_function else old[i] == item)
            ),
            None,
        )
        if match is None:
            unmatched_new.append(new_index)
        else:
            unmatched_old.remove(match)
            pairs.append((match, new_index))
    # What is left was edited in place: pair each leftover old element with the leftover new one it
    # shares most fields with (a retrier with its errors changed, a statement that gained a condition);
    # elements that share nothing were removed and added.
    for old_index in list(unmatched_old):
        scores = [(_shared_fields(old[old_index], new[i]), -i, i) for i in unmatched_new]
        best = max(scores, default=(0, 0, -1))
        if best[0] > 0:
            unmatched_old.remove(old_index)
            unmatched_new.remove(best[2])
            pairs.append((old_index, best[2]))
    changes: list[FieldChange] = []
    for old_index, new_index in sorted(pairs, key=lambda pair: pair[1]):
        where = label(old, old_index) if key_function is not None else label(new, new_index)
        changes.extend(diff_values(old[old_index], new[new_index], path=where, keys=keys))
    changes.extend(FieldChange(label(new, i), MISSING, new[i]) for i in unmatched_new)
    changes.extend(FieldChange(label(old, i), old[i], MISSING) for i in unmatched_old)
    return changes


def _shared_fields(old: Any, new: Any) -> int:
    """How many fields (at any depth) two values have in common, with the same value."""
    return len(_leaves(old) & _leaves(new))


def _leaves(value: Any, path: str = "") -> set[tuple[str, str]]:
    if isinstance(value, Mapping):
        return {leaf for key, item in value.items() for leaf in _leaves(item, f"{path}.{key}")}
    if _is_list(value) and _has_containers(value):
        return {leaf for index, item in enumerate(value) for leaf in _leaves(item, f"{path}[{index}]")}
    return {(path, json.dumps(value, sort_keys=True))}


def as_document(value: Any) -> Any:
    """The JSON document inside a string property (``DashboardBody``, ``DefinitionString``), if any.

    CloudFormation templates carry some documents as escaped strings, often joined with
    references (``Fn::Join``); comparing those as text gives one unreadable change. Returns the
    parsed document (references as ``${...}`` placeholders), or ``value`` unchanged when it is not one.
    """
    text = text_value(value)
    if text is None or not text.lstrip().startswith(("{", "[")):
        return value
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return value
