"""Hypothesis strategies of malformed requests, derived from a valid one and a profile's field lists.

Every corruption drawn here makes a request invalid on its own, so any combination does too:

- a required field removed (``WorkflowProfile.required``);
- any field of the valid request given a value of another JSON type (never one a lax parser would
  coerce back: no digit strings for numbers, no ``"true"`` for booleans), containers for the
  profile's ``any_scalar`` fields, whose scalars may legitimately be of any type;
- a huge string in a field with a length limit (``bounded_strings``);
- unicode or control characters inside a field restricted to an ASCII pattern or a fixed set
  (``identifiers``), never at its ends, where stripping whitespace could remove them;
- a negative number where an amount must be positive (``amounts``);
- the whole request not being a JSON object.

Huge strings are sized so the request stays under Step Functions' 256 KiB quota: the quota itself is
tested on its own (StartExecution refuses the request; no execution exists).
"""

from __future__ import annotations

import copy
import fnmatch
import re
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

Path = tuple[str | int, ...]

HUGE_STRING_LENGTHS = (2_000, 5_000, 20_000)
"""Characters of a huge string: far beyond any field's limit; three of them, escaped as JSON, stay
under 256 KiB."""
NOT_AN_OBJECT: tuple[Any, ...] = ([], ["request"], "request", 42, None, True)
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(text: str) -> Path:
    """``"lineItems[0].quantity"`` -> ``("lineItems", 0, "quantity")``."""
    return tuple(name if name else int(index) for name, index in _PATH_PART.findall(text))


def render_path(path: Path) -> str:
    """The inverse of :func:`parse_path`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def every_path(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every field and list element of ``value``, depth first (not the root)."""
    children: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    for key, child in children:
        yield (*prefix, key)
        yield from every_path(child, (*prefix, key))


def get(value: Any, path: Path) -> Any:
    for part in path:
        value = value[part]
    return value


def exists(value: Any, path: Path) -> bool:
    try:
        get(value, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def put(value: Any, path: Path, new: Any) -> None:
    get(value, path[:-1])[path[-1]] = new


def remove(value: Any, path: Path) -> None:
    del get(value, path[:-1])[path[-1]]


def _other_types(original: Any, *, any_scalar: bool) -> list[Any]:
    """Values of another JSON type than ``original`` that no lax parser turns back into its type."""
    if isinstance(original, dict):
        return ["text", 7, []]
    if isinstance(original, list):
        return ["text", 7, {}]
    containers: list[Any] = [["x"], {"unexpected": "object"}]
    if any_scalar:
        return containers
    if isinstance(original, bool):
        return [*containers, "maybe"]
    if isinstance(original, (int, float)):
        return [*containers, "twelve"]
    return [*containers, 42, True]


def _matches(path: Path, patterns: tuple[str, ...]) -> bool:
    rendered = render_path(path)
    return any(fnmatch.fnmatchcase(rendered, pattern) for pattern in patterns)


_NON_ASCII = st.characters(min_codepoint=0x80, max_codepoint=0x2FFFF, categories=("L", "N", "S", "Zs", "Cf"))
_CONTROL = st.sampled_from(["\x00", "\x07", "\n", "\x1b", "\u202e", "\u200b"])


@st.composite
def malformed_request(draw: st.DrawFn, valid: dict[str, Any], profile: Any) -> tuple[list[str], Any]:
    """``(what was done, the request)``: ``valid`` with one to three corruptions (module docstring)."""
    if draw(st.integers(0, 11)) == 0:
        replacement = draw(st.sampled_from(NOT_AN_OBJECT))
        return [f"the request is {type(replacement).__name__} {replacement!r}"], replacement
    request = copy.deepcopy(valid)
    done: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        kinds = ["wrong type"] if any(True for _ in every_path(request)) else []
        if any(exists(request, parse_path(p)) for p in profile.required):
            kinds.append("missing")
        if any(exists(request, parse_path(p)) for p in profile.bounded_strings):
            kinds.append("huge string")
        if any(exists(request, parse_path(p)) for p in profile.identifiers):
            kinds.append("unicode")
        if any(exists(request, parse_path(p)) for p in profile.amounts):
            kinds.append("negative amount")
        if not kinds:
            break  # nothing is left to corrupt (every field was removed)
        kind = draw(st.sampled_from(kinds))
        if kind == "missing":
            path = draw(
                st.sampled_from([parse_path(p) for p in profile.required if exists(request, parse_path(p))])
            )
            remove(request, path)
            done.append(f"{render_path(path)} removed")
        elif kind == "wrong type":
            path = draw(st.sampled_from(list(every_path(request))))
            # Another type than the *valid* request's: a second corruption of a field corrupted
            # before must not turn it back into its valid type (42, then 'twelve', is a string).
            original = get(valid, path) if exists(valid, path) else get(request, path)
            new = draw(st.sampled_from(_other_types(original, any_scalar=_matches(path, profile.any_scalar))))
            put(request, path, new)
            done.append(f"{render_path(path)} = {new!r}")
        elif kind == "huge string":
            path = draw(
                st.sampled_from(
                    [parse_path(p) for p in profile.bounded_strings if exists(request, parse_path(p))]
                )
            )
            length = draw(st.sampled_from(HUGE_STRING_LENGTHS))
            put(request, path, draw(st.sampled_from("xé山")) * (length // 3) + "y" * (length - length // 3))
            done.append(f"{render_path(path)} = {length} characters")
        elif kind == "unicode":
            path = draw(
                st.sampled_from(
                    [parse_path(p) for p in profile.identifiers if exists(request, parse_path(p))]
                )
            )
            original = get(request, path)
            text = original if isinstance(original, str) and len(original) >= 2 else "ab"
            at = draw(st.integers(1, len(text) - 1))
            inserted = draw(st.one_of(_NON_ASCII, _CONTROL))
            put(request, path, text[:at] + inserted + text[at:])
            done.append(f"{render_path(path)} = {text[:at] + inserted + text[at:]!r}")
        else:
            path = draw(
                st.sampled_from([parse_path(p) for p in profile.amounts if exists(request, parse_path(p))])
            )
            amount = draw(st.one_of(st.integers(-(10**12), -1), st.floats(-1e9, -0.01)))
            put(request, path, amount)
            done.append(f"{render_path(path)} = {amount}")
    return done, request


def single_corruptions(valid: dict[str, Any], profile: Any) -> list[tuple[list[str], Any]]:
    """One corruption at a time, each field the profile names once: the cases every run must cover.

    Hypothesis then draws combinations (:func:`malformed_request`); these are its explicit examples,
    so a field whose limit is missing is found on every run, not only when the draw reaches it.
    """
    cases: list[tuple[list[str], Any]] = []

    def corrupt(label: str, path: Path, change: Any) -> None:
        request = copy.deepcopy(valid)
        change(request)
        cases.append(([f"{render_path(path)} {label}"], request))

    for text in profile.required:
        path = parse_path(text)
        if exists(valid, path):
            corrupt("removed", path, lambda r, p=path: remove(r, p))
            wrong = _other_types(get(valid, path), any_scalar=_matches(path, profile.any_scalar))[0]
            corrupt(f"= {wrong!r}", path, lambda r, p=path, w=wrong: put(r, p, w))
    for text in profile.bounded_strings:
        path = parse_path(text)
        if exists(valid, path):
            corrupt("= 5000 characters", path, lambda r, p=path: put(r, p, "x" * 5000))
    for text in profile.identifiers:
        path = parse_path(text)
        if exists(valid, path) and isinstance(get(valid, path), str) and len(get(valid, path)) >= 2:
            original = get(valid, path)
            # Inserted: a letter, an Arabic-Indic digit, NUL. In place of the second character: the
            # same digit (``\d`` in a Python pattern matches it) and a letter with an accent.
            changes = [original[:1] + inserted + original[1:] for inserted in ("é", "\u0663", "\x00")]
            changes += [original[:1] + replaced + original[2:] for replaced in ("\u0663", "é")]
            if not profile.strips_whitespace:
                changes.append(original + "\n")  # ``$`` in a pattern matches before it
            for changed in changes:
                corrupt(f"= {changed!r}", path, lambda r, p=path, c=changed: put(r, p, c))
    for text in profile.amounts:
        path = parse_path(text)
        if exists(valid, path):
            corrupt("= -1", path, lambda r, p=path: put(r, p, -1))
    cases.append((["the request is a list"], [valid]))
    return cases
