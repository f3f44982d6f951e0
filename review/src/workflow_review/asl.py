"""Read Amazon States Language the way a person does: conditions, retries, catches and transitions.

Shared by the diff (which names transitions by what triggers them) and the diagrams (which label
edges the same way), so a Choice branch reads identically in a pull-request comment and in the
workflow's diagram. Definitions come from :mod:`workflow_constructs.definition`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

DEFAULT_MAX_ATTEMPTS = 3  # ASL's default when a retrier omits MaxAttempts
DEFAULT_INTERVAL_SECONDS = 1
DEFAULT_BACKOFF_RATE = 2.0
CONTAINER_KEYS = ("Branches", "ItemProcessor", "Iterator")
"""Where a state holds other states (Parallel branches, Map item processor, legacy Map iterator)."""

_OPERATORS = {
    "Equals": "==",
    "LessThan": "<",
    "GreaterThan": ">",
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
    "Matches": "matches",
}
_TYPE_TESTS = {
    "IsPresent": "present",
    "IsNull": "null",
    "IsString": "a string",
    "IsNumeric": "a number",
    "IsBoolean": "a boolean",
    "IsTimestamp": "a timestamp",
}
_COMPARISON_TYPES = ("String", "Numeric", "Boolean", "Timestamp")

TransitionKind = Literal["start", "next", "choice", "default", "catch"]


def errors_label(errors: Sequence[Any]) -> str:
    """``["A", "B"]`` as ``A, B``: how a Retry or Catch is named for a reader."""
    return ", ".join(str(error) for error in errors) if errors else "(no errors)"


def describe_condition(rule: Mapping[str, Any]) -> str:
    """A Choice rule (JSONPath or JSONata) as one readable expression.

    >>> describe_condition({"Variable": "$.amount", "NumericGreaterThan": 100})
    '$.amount > 100'
    >>> describe_condition({"Not": {"Variable": "$.vip", "IsPresent": True}})
    'not ($.vip is present)'
    """
    if "Condition" in rule:  # JSONata
        condition = str(rule["Condition"]).strip()
        if condition.startswith("{%") and condition.endswith("%}"):
            condition = condition[2:-2].strip()
        return condition
    if "And" in rule or "Or" in rule:
        joiner = " and " if "And" in rule else " or "
        parts = rule.get("And", rule.get("Or", []))
        return joiner.join(_grouped(part) for part in parts)
    if "Not" in rule:
        return f"not ({describe_condition(rule['Not'])})"
    variable = str(rule.get("Variable", "?"))
    for key, value in rule.items():
        if key in _TYPE_TESTS:
            return f"{variable} is {'' if value else 'not '}{_TYPE_TESTS[key]}"
        comparison = _comparison(key)
        if comparison is not None:
            operator, by_path = comparison
            operand = str(value) if by_path else json.dumps(value, ensure_ascii=False)
            return f"{variable} {operator} {operand}"
    return json.dumps({k: v for k, v in rule.items() if k not in ("Next", "Comment")}, sort_keys=True)


def _grouped(rule: Mapping[str, Any]) -> str:
    text = describe_condition(rule)
    return f"({text})" if ("And" in rule or "Or" in rule) else text


def _comparison(key: str) -> tuple[str, bool] | None:
    """(operator, operand is a path) for a comparison key such as ``NumericLessThanEqualsPath``."""
    for kind in _COMPARISON_TYPES:
        if not key.startswith(kind):
            continue
        rest = key[len(kind) :]
        by_path = rest.endswith("Path")
        rest = rest.removesuffix("Path")
        if rest in _OPERATORS:
            return _OPERATORS[rest], by_path
    return None


def max_retries(state: Mapping[str, Any]) -> int:
    """The most retries any of a state's retriers allows (0: the state does not retry)."""
    return max((int(r.get("MaxAttempts", DEFAULT_MAX_ATTEMPTS)) for r in state.get("Retry", [])), default=0)


def describe_retrier(retrier: Mapping[str, Any]) -> str:
    """One Retry rule in a line: how often, on what, how fast.

    >>> describe_retrier({"ErrorEquals": ["TransientError"], "MaxAttempts": 6, "IntervalSeconds": 2,
    ...                   "BackoffRate": 2, "MaxDelaySeconds": 60, "JitterStrategy": "FULL"})
    'up to 6 retries on TransientError (after 2 s, x2, at most 60 s, full jitter)'
    """
    attempts = int(retrier.get("MaxAttempts", DEFAULT_MAX_ATTEMPTS))
    timing = [
        f"after {retrier.get('IntervalSeconds', DEFAULT_INTERVAL_SECONDS)} s",
        f"x{_number(retrier.get('BackoffRate', DEFAULT_BACKOFF_RATE))}",
    ]
    if "MaxDelaySeconds" in retrier:
        timing.append(f"at most {retrier['MaxDelaySeconds']} s")
    if retrier.get("JitterStrategy") == "FULL":
        timing.append("full jitter")
    noun = "retry" if attempts == 1 else "retries"
    return f"up to {attempts} {noun} on {errors_label(retrier.get('ErrorEquals', []))} ({', '.join(timing)})"


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def integration(resource: Any, resource_types: Mapping[str, str] | None = None) -> str | None:
    """The service integration a Task calls, shortened: ``lambda:invoke``, ``aws-sdk:sesv2:sendEmail``.

    A Task that names a function or activity directly has a deploy-time ARN (``${Handler1234.Arn}``);
    ``resource_types`` (logical id to resource type, from the template) says which of the two it is.
    None when there is no resource, or a reference to a resource of unknown type.
    """
    if not isinstance(resource, str) or not resource:
        return None
    marker = ":states:::"
    if marker in resource:
        return resource.split(marker, 1)[1]
    reference = re.fullmatch(r"\$\{([^.}]+)\.Arn\}", resource)
    resource_type = (resource_types or {}).get(reference.group(1), "") if reference else ""
    if ":lambda:" in resource or resource_type == "AWS::Lambda::Function":
        return "lambda"
    if ":activity:" in resource or resource_type == "AWS::StepFunctions::Activity":
        return "activity"
    # A reference to something the template does not show says nothing a reader can use.
    return None if reference else resource


def wait_label(state: Mapping[str, Any]) -> str | None:
    """What a Wait state waits for: ``30 s``, ``until $.when``."""
    if "Seconds" in state:
        return f"{state['Seconds']} s"
    for key in ("SecondsPath", "Timestamp", "TimestampPath"):
        if key in state:
            prefix = "until " if key.startswith("Timestamp") else ""
            suffix = " s" if key == "SecondsPath" else ""
            return f"{prefix}{state[key]}{suffix}"
    return None


def timeout_label(state: Mapping[str, Any]) -> str | None:
    """A Task's timeout and heartbeat, when it has any."""
    parts = []
    for key, word in (("TimeoutSeconds", "timeout"), ("TimeoutSecondsPath", "timeout")):
        if key in state:
            parts.append(f"{word} {state[key]}{' s' if key == 'TimeoutSeconds' else ''}")
    for key in ("HeartbeatSeconds", "HeartbeatSecondsPath"):
        if key in state:
            parts.append(f"heartbeat {state[key]}{' s' if key == 'HeartbeatSeconds' else ''}")
    return ", ".join(parts) or None


@dataclass(frozen=True, order=True)
class Transition:
    """An edge of the state graph, named by what makes it happen.

    ``source`` is a state name; for a ``start`` transition it is the scope that starts there: ``""``
    for the state machine, the Map state's name, or ``"<Parallel> [branch N]"``.
    """

    source: str
    trigger: str
    target: str
    kind: TransitionKind

    @property
    def key(self) -> tuple[str, str]:
        """What identifies a transition across two versions of a definition: where and why, not whither."""
        return (self.source, self.trigger)


def branch_scope(parallel: str, index: int) -> str:
    """How a Parallel branch is named in transitions and diagrams (``index`` counts from 0)."""
    return f"{parallel} [branch {index + 1}]"


def transitions(definition: Mapping[str, Any], scope: str = "") -> Iterator[Transition]:
    """Every transition of a definition, nested Map and Parallel states included."""
    if "StartAt" in definition:
        yield Transition(scope, "start", str(definition["StartAt"]), "start")
    for name, state in definition.get("States", {}).items():
        if "Next" in state:
            yield Transition(name, "next", str(state["Next"]), "next")
        for rule in state.get("Choices", []):
            yield Transition(name, f"when {describe_condition(rule)}", str(rule.get("Next")), "choice")
        if "Default" in state:
            yield Transition(name, "otherwise", str(state["Default"]), "default")
        for catcher in state.get("Catch", []):
            trigger = f"catch {errors_label(catcher.get('ErrorEquals', []))}"
            yield Transition(name, trigger, str(catcher.get("Next")), "catch")
        for index, branch in enumerate(state.get("Branches", [])):
            yield from transitions(branch, branch_scope(name, index))
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from transitions(state[key], name)
