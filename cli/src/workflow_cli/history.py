"""Reading an execution's history: where it failed and why, what it retried, what it waits for.

Pure functions over the events of ``GetExecutionHistory`` (as boto3 returns them), so recorded
histories test them. Step Functions links every event to the one before it in the same branch
(``previousEventId``): a task's failure points back to its start, its schedule, and, for a retry,
to the failure of the attempt before, until the ``...StateEntered`` event of its state. That
chain, not the order of the list, says which state an event belongs to, even inside Parallel
branches and Map iterations.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Event = Mapping[str, Any]

SCHEDULED_TYPES = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"})
SUCCEEDED_TYPES = frozenset({"TaskSucceeded", "LambdaFunctionSucceeded", "ActivitySucceeded"})
FAILED_TYPES = frozenset(
    {
        "TaskFailed",
        "TaskTimedOut",
        "TaskStartFailed",
        "TaskSubmitFailed",
        "LambdaFunctionFailed",
        "LambdaFunctionTimedOut",
        "LambdaFunctionStartFailed",
        "LambdaFunctionScheduleFailed",
        "ActivityFailed",
        "ActivityTimedOut",
        "ActivityScheduleFailed",
    }
)
_TASK_ENDED_TYPES = SUCCEEDED_TYPES | FAILED_TYPES | {"TaskStateAborted"}
_TASK_TOKEN_KEY = "tasktoken"  # noqa: S105 (a key name, matched case-insensitively: taskToken, TaskToken)


def event_details(event: Event) -> Mapping[str, Any]:
    """The ``...EventDetails`` of an event (each event has at most one), or ``{}``."""
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, Mapping):
            return value
    return {}


@dataclass(frozen=True)
class FailedAttempt:
    """One try of a step that failed."""

    attempt: int
    error: str | None
    cause: str | None
    event_id: int


@dataclass(frozen=True)
class StepRecord:
    """One entry into a task state that failed at least once, and how that ended.

    ``outcome``: ``succeeded`` (a retry worked), ``caught`` (a Catch took over), ``failed``
    (the failure ended the execution) or ``unfinished`` (still retrying, or the execution stopped).
    """

    state: str
    entered_event_id: int
    attempts: int
    failures: tuple[FailedAttempt, ...]
    outcome: str

    @property
    def retries(self) -> int:
        """How many times the step was tried again after its first attempt."""
        return max(self.attempts - 1, 0)


@dataclass(frozen=True)
class Explanation:
    """Why an execution is where it is."""

    status: str
    state: str | None
    """The state the execution failed, timed out or was aborted in; for RUNNING, where it is now."""
    error: str | None
    cause: str | None
    steps: tuple[StepRecord, ...]
    """Every entry into a task state that failed at least once, in the order they were entered."""

    @property
    def root_failure(self) -> StepRecord | None:
        """The last step failure before the end: the one a Catch or the execution's end came from."""
        ended = [step for step in self.steps if step.outcome in ("failed", "caught", "unfinished")]
        return ended[-1] if ended else None


@dataclass(frozen=True)
class PendingTask:
    """A callback step waiting for SendTaskSuccess/SendTaskFailure with ``token``."""

    state: str | None
    token: str
    scheduled_event_id: int
    resource: str | None


@dataclass(frozen=True)
class CauseSummary:
    """A failure cause made readable: the message, where it was raised, the child execution."""

    message: str
    location: str | None = None
    child_execution_arn: str | None = None


class History:
    """The events of one execution, indexed to follow ``previousEventId`` chains."""

    def __init__(self, events: Iterable[Event]) -> None:
        self.events: list[Event] = sorted(events, key=lambda event: int(event["id"]))
        self._by_id = {int(event["id"]): event for event in self.events}
        self._entered: dict[int, Event | None] = {}

    def _walk(self, event: Event) -> Iterable[Event]:
        """``event`` then each event before it in its branch, back to the start."""
        seen: set[int] = set()
        current: Event | None = event
        while current is not None and int(current["id"]) not in seen:
            seen.add(int(current["id"]))
            yield current
            current = self._by_id.get(int(current.get("previousEventId") or 0))

    def entered(self, event: Event) -> Event | None:
        """The ``...StateEntered`` event of the state ``event`` belongs to (itself if it is one)."""
        event_id = int(event["id"])
        if event_id not in self._entered:
            self._entered[event_id] = next(
                (earlier for earlier in self._walk(event) if "stateEnteredEventDetails" in earlier), None
            )
        return self._entered[event_id]

    def state_name(self, event: Event) -> str | None:
        """The name of the state ``event`` belongs to."""
        entered = self.entered(event)
        return str(entered["stateEnteredEventDetails"]["name"]) if entered else None

    def scheduled(self, event: Event) -> Event | None:
        """The ``TaskScheduled`` event of the attempt ``event`` belongs to."""
        for earlier in self._walk(event):
            if earlier["type"] == "TaskScheduled":
                return earlier
            if "stateEnteredEventDetails" in earlier:
                return None
        return None

    def open_states(self) -> list[Event]:
        """``...StateEntered`` events without their ``...StateExited``, oldest first."""
        exited = {
            int(entered["id"])
            for event in self.events
            if "stateExitedEventDetails" in event and (entered := self.entered(event)) is not None
        }
        return [e for e in self.events if "stateEnteredEventDetails" in e and int(e["id"]) not in exited]

    def last(self, event_types: Iterable[str]) -> Event | None:
        """The newest event of one of ``event_types``."""
        wanted = set(event_types)
        return next((event for event in reversed(self.events) if event["type"] in wanted), None)


def explain(status: str, events: Iterable[Event]) -> Explanation:
    """Why an execution with ``status`` and these history ``events`` is where it is."""
    history = History(events)
    error = cause = None
    state = None
    end = history.last(("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"))
    if end is not None:
        details = event_details(end)
        error, cause = details.get("error"), details.get("cause")
        if end["type"] == "ExecutionTimedOut" and error is None:
            error = "States.Timeout"
    if end is not None and end["type"] == "ExecutionFailed":
        state = history.state_name(end)
    elif status != "SUCCEEDED":
        still_open = history.open_states()
        state = str(still_open[-1]["stateEnteredEventDetails"]["name"]) if still_open else None
    failed_by = history.entered(end) if end is not None and end["type"] == "ExecutionFailed" else None
    return Explanation(
        status=status,
        state=state,
        error=error,
        cause=cause,
        steps=tuple(_step_records(history, failed_by)),
    )


def _step_records(history: History, failed_by: Event | None) -> Iterable[StepRecord]:
    by_entry: dict[int, list[Event]] = {}
    for event in history.events:
        entered = history.entered(event)
        if entered is not None:
            by_entry.setdefault(int(entered["id"]), []).append(event)
    for entered_id, group in by_entry.items():
        failures = [event for event in group if event["type"] in FAILED_TYPES]
        if not failures:
            continue
        types = {event["type"] for event in group}
        if types & SUCCEEDED_TYPES:
            outcome = "succeeded"
        elif any("stateExitedEventDetails" in event for event in group):
            outcome = "caught"
        elif failed_by is not None and int(failed_by["id"]) == entered_id:
            outcome = "failed"
        else:
            outcome = "unfinished"
        # An attempt that failed before it was scheduled (a start/schedule failure) still counts.
        attempts = max(sum(1 for event in group if event["type"] in SCHEDULED_TYPES), len(failures))
        yield StepRecord(
            state=str(group[0]["stateEnteredEventDetails"]["name"]),  # the group opens with its entry
            entered_event_id=entered_id,
            attempts=attempts,
            failures=tuple(
                FailedAttempt(
                    attempt=number,
                    error=event_details(event).get("error"),
                    cause=event_details(event).get("cause"),
                    event_id=int(event["id"]),
                )
                for number, event in enumerate(failures, start=1)
            ),
            outcome=outcome,
        )


def pending_task(events: Iterable[Event]) -> PendingTask | None:
    """The newest ``TaskScheduled`` whose parameters carry a task token and that has not ended."""
    history = History(events)
    ended = {
        int(scheduled["id"])
        for event in history.events
        if event["type"] in _TASK_ENDED_TYPES and (scheduled := history.scheduled(event)) is not None
    }
    for event in reversed(history.events):
        if event["type"] != "TaskScheduled" or int(event["id"]) in ended:
            continue
        details = event_details(event)
        token = find_task_token(details.get("parameters"))
        if token:
            return PendingTask(
                state=history.state_name(event),
                token=token,
                scheduled_event_id=int(event["id"]),
                resource=details.get("resource"),
            )
    return None


def find_task_token(value: Any) -> str | None:
    """The task token anywhere in a task's parameters: nested objects, lists, or JSON strings
    (an SNS ``Message`` built with ``States.JsonToString`` carries it as text)."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "["):
            try:
                return find_task_token(json.loads(text))
            except json.JSONDecodeError:
                return None
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).lower() == _TASK_TOKEN_KEY and isinstance(item, str) and item:
                return item
        return next((token for item in value.values() if (token := find_task_token(item))), None)
    if isinstance(value, list):
        return next((token for item in value if (token := find_task_token(item))), None)
    return None


def current_state(events: Sequence[Event]) -> str | None:
    """The state entered most recently (events in any order, e.g. a newest-first page)."""
    entered = [event for event in events if "stateEnteredEventDetails" in event]
    if not entered:
        return None
    newest = max(entered, key=lambda event: int(event["id"]))
    return str(newest["stateEnteredEventDetails"]["name"])


def summarize_cause(cause: str | None) -> CauseSummary | None:
    """Make a failure cause readable.

    - a Lambda error (``{"errorMessage", "errorType", "stackTrace"}``): the message, and the
      innermost stack frame as the location;
    - a nested execution's failure (``.sync``: ``{"ExecutionArn", "Error", "Cause"}``): its error
      and cause, and the child's ARN to explain next;
    - anything else: the text as it is.
    """
    if not cause:
        return None
    try:
        document = json.loads(cause)
    except json.JSONDecodeError:
        return CauseSummary(message=cause)
    if not isinstance(document, dict):
        return CauseSummary(message=cause)
    if "errorMessage" in document:
        frames = [str(frame).strip() for frame in document.get("stackTrace") or []]
        location = frames[-1].splitlines()[0] if frames else None
        return CauseSummary(message=str(document["errorMessage"]), location=location)
    if "ExecutionArn" in document:
        child_error = document.get("Error")
        child_cause = document.get("Cause")
        text = ": ".join(str(part) for part in (child_error, child_cause) if part) or str(
            document.get("Status", "")
        )
        return CauseSummary(
            message=f"nested execution failed: {text}", child_execution_arn=str(document["ExecutionArn"])
        )
    return CauseSummary(message=cause)
