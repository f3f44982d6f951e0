"""What one execution used, read from its history (``GetExecutionHistory`` events, as boto3 returns them).

- State transitions, as Standard workflows are billed: one per state entered, plus one per retry.
  A Task state schedules its work once per attempt, so retries = attempts - Task states entered.
- Lambda invocations: ``lambda:invoke`` tasks (``TaskScheduled`` with resource type ``lambda``)
  and legacy direct-ARN tasks (``LambdaFunctionScheduled``), each with the function it called and
  how long it ran here (scheduled-to-finished, for reference: a laptop is not a 256 MB arm64 Lambda).
- Other service calls by integration (``dynamodb:putItem``, ``aws-sdk:sesv2:sendEmail`` ...).
- Nested executions started by ``states:startExecution`` tasks (their own histories are separate).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Event = Mapping[str, Any]

_TASK_ATTEMPT_EVENTS = ("TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled")
_FINISHED = {
    "TaskSucceeded",
    "TaskFailed",
    "TaskTimedOut",
    "LambdaFunctionSucceeded",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
}


@dataclass(frozen=True)
class LambdaCall:
    """One Lambda invocation made by a Task state."""

    function: str
    """The function's name or ARN, as the task passed it."""
    local_ms: float | None = None
    """Scheduled to finished on the machine that ran it, when the history says."""


@dataclass(frozen=True)
class ExecutionUsage:
    """What one execution of a state machine used (nested executions not included)."""

    state_transitions: int
    retries: int
    lambda_calls: tuple[LambdaCall, ...]
    service_calls: Mapping[str, int] = field(default_factory=dict)
    child_executions: tuple[str, ...] = ()
    duration_ms: float | None = None
    status: str | None = None


def _details(event: Event) -> Mapping[str, Any]:
    """The ``...EventDetails`` member of an event (each event type has its own key)."""
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, Mapping):
            return value
    return {}


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _lambda_target(event: Event) -> str | None:
    """The function a scheduling event calls, or None when it is not a Lambda call."""
    details = _details(event)
    if event["type"] == "LambdaFunctionScheduled":
        return str(details.get("resource", "unknown"))
    if event["type"] == "TaskScheduled" and details.get("resourceType") == "lambda":
        parameters = _json(details.get("parameters")) or {}
        return str(parameters.get("FunctionName", "unknown"))
    return None


def _service_call(event: Event) -> str | None:
    details = _details(event)
    if event["type"] != "TaskScheduled" or details.get("resourceType") == "lambda":
        return None
    return f"{details.get('resourceType')}:{details.get('resource')}"


def _milliseconds(start: Any, end: Any) -> float | None:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return (end - start).total_seconds() * 1000
    return None


def child_execution_arns(events: Iterable[Event]) -> list[str]:
    """ARNs of the executions this one started (``states:startExecution`` tasks that succeeded)."""
    arns = []
    for event in events:
        details = _details(event)
        if event["type"] in ("TaskSucceeded", "TaskSubmitted") and details.get("resourceType") == "states":
            output = _json(details.get("output")) or {}
            arn = output.get("ExecutionArn") if isinstance(output, Mapping) else None
            if arn and arn not in arns:
                arns.append(str(arn))
    return arns


def usage_from_history(events: Sequence[Event]) -> ExecutionUsage:
    """Count what the execution whose history is ``events`` used."""
    by_id = {event.get("id"): event for event in events}
    entered = sum(1 for event in events if event["type"].endswith("StateEntered"))
    task_entries = sum(1 for event in events if event["type"] == "TaskStateEntered")
    attempts = sum(1 for event in events if event["type"] in _TASK_ATTEMPT_EVENTS)
    retries = max(0, attempts - task_entries)

    scheduled_at: dict[Any, tuple[str, Any]] = {}
    for event in events:
        target = _lambda_target(event)
        if target is not None:
            scheduled_at[event.get("id")] = (target, event.get("timestamp"))
    # Pair each finished Lambda call with its scheduling event through previousEventId
    # (finished -> started -> scheduled) to read how long it ran here.
    timed: dict[Any, float | None] = {}
    for event in events:
        if event["type"] not in _FINISHED:
            continue
        started = by_id.get(event.get("previousEventId"))
        scheduled_id = started.get("previousEventId") if started else None
        if scheduled_id in scheduled_at:
            timed[scheduled_id] = _milliseconds(scheduled_at[scheduled_id][1], event.get("timestamp"))
    calls = [
        LambdaCall(function=target, local_ms=timed.get(event_id))
        for event_id, (target, _) in scheduled_at.items()
    ]

    services = Counter(call for call in map(_service_call, events) if call is not None)
    first, last = (events[0], events[-1]) if events else ({}, {})
    status = {
        "ExecutionSucceeded": "SUCCEEDED",
        "ExecutionFailed": "FAILED",
        "ExecutionTimedOut": "TIMED_OUT",
        "ExecutionAborted": "ABORTED",
    }.get(str(last.get("type")))
    return ExecutionUsage(
        state_transitions=entered + retries,
        retries=retries,
        lambda_calls=tuple(calls),
        service_calls=dict(sorted(services.items())),
        child_executions=tuple(child_execution_arns(events)),
        duration_ms=_milliseconds(first.get("timestamp"), last.get("timestamp")),
        status=status,
    )
