"""A readable account of one execution, built from its event history.

One row per state entered, in order, indented inside Map and Parallel states: how long it took,
how many attempts its task needed, what it output or why it failed, and how long simulated time
skipped for it. ``Trace.render()`` is plain text for assertion messages; the demo draws the same
rows with rich.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow_local_cloud.clock import Pause

_FAILURE_EVENTS = frozenset(
    {
        "TaskFailed",
        "LambdaFunctionFailed",
        "TaskTimedOut",
        "LambdaFunctionTimedOut",
        "LambdaFunctionStartFailed",
        "LambdaFunctionScheduleFailed",
        "TaskStartFailed",
        "TaskSubmitFailed",
    }
)
_ATTEMPT_EVENTS = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"})
_SUCCESS_EVENTS = frozenset({"TaskSucceeded", "LambdaFunctionSucceeded", "ActivitySucceeded"})
_EXECUTION_END_EVENTS = frozenset({"ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"})
_NESTING_EVENTS = frozenset({"MapIterationStarted", "ParallelStateStarted", "MapRunStarted"})
OUTPUT_PREVIEW_CHARS = 100


@dataclass
class StateRun:
    """One entry into a state."""

    name: str
    type: str
    depth: int
    entered: datetime
    exited: datetime | None = None
    attempts: int = 0
    output: Any = None
    result: Any = None
    """What the task's service or function returned (before ResultPath merged it into the output)."""
    error: str | None = None
    cause: str | None = None
    simulated_seconds: float = 0.0
    """Wait or retry backoff that simulated time skipped in this state."""
    failures: list[tuple[str | None, str | None]] = field(default_factory=list)

    @property
    def retries(self) -> int:
        """Attempts after the first."""
        return max(self.attempts - 1, 0)

    @property
    def status(self) -> str:
        """``succeeded``, ``failed`` (its error went on: caught or fatal) or ``running``."""
        if self.exited is not None and self.error is None:
            return "succeeded"
        return "failed" if self.error is not None else "running"

    @property
    def seconds(self) -> float | None:
        """From entering to leaving the state (None while it runs or after it failed)."""
        return None if self.exited is None else (self.exited - self.entered).total_seconds()

    def outcome(self) -> str:
        """The output (abridged) or the error and cause, as one line."""
        if self.error is not None:
            return f"{self.error}: {_abridge(self.cause or '')}"
        if self.exited is None:
            return "…"
        return _abridge(json.dumps(self.output if self.result is None else self.result, default=str))


@dataclass(frozen=True)
class Trace:
    """An execution's story: its status and one :class:`StateRun` per state entered."""

    execution_name: str
    status: str
    seconds: float | None
    error: str | None
    cause: str | None
    runs: tuple[StateRun, ...]
    simulated_seconds: float

    def render(self) -> str:
        """Plain text, one line per state run."""
        head = f"{self.execution_name}: {self.status}"
        if self.seconds is not None:
            head += f" in {self.seconds:.2f} s"
        if self.simulated_seconds:
            head += f" (+{_human(self.simulated_seconds)} simulated)"
        lines = [head]
        for run in self.runs:
            duration = "   …  " if run.seconds is None else f"{run.seconds:5.2f}s"
            retries = f" retries={run.retries}" if run.retries else ""
            waited = f" waited={_human(run.simulated_seconds)}" if run.simulated_seconds else ""
            lines.append(
                f"  {'  ' * run.depth}{run.name} [{run.type}] {duration} {run.status}{retries}{waited}"
                f" -> {run.outcome()}"
            )
        if self.error:
            lines.append(f"  => {self.error}: {_abridge(self.cause or '', 300)}")
        return "\n".join(lines)


def build_trace(
    execution_name: str,
    description: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    pauses: Sequence[Pause] = (),
) -> Trace:
    """Turn DescribeExecution + GetExecutionHistory (+ recorded pauses) into a :class:`Trace`."""
    events = {int(event["id"]): event for event in history}
    runs: dict[int, StateRun] = {}  # by the id of the StateEntered event
    owner: dict[int, int] = {}  # event id -> id of the StateEntered event it belongs to
    for event in history:
        event_id, kind = int(event["id"]), str(event["type"])
        previous = int(event.get("previousEventId") or 0)
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            runs[event_id] = StateRun(
                name=details["name"],
                type=kind[: -len("StateEntered")],
                depth=_depth(previous, events, owner, runs),
                entered=event["timestamp"],
            )
            owner[event_id] = event_id
            continue
        owner[event_id] = _owner_of(previous, kind, event, events, owner, runs)
        run = runs.get(owner[event_id])
        if run is None:
            continue
        if kind in _ATTEMPT_EVENTS:
            run.attempts += 1
        elif kind in _FAILURE_EVENTS:
            details = _details(event)
            run.failures.append((details.get("error"), details.get("cause")))
            run.error, run.cause = details.get("error"), details.get("cause")
        elif kind in _EXECUTION_END_EVENTS and run.exited is None:
            details = _details(event)
            run.error, run.cause = details.get("error") or kind, details.get("cause")
        elif kind in _SUCCESS_EVENTS:
            run.result = _parse(_details(event).get("output"))
        elif kind.endswith("StateExited"):
            details = event["stateExitedEventDetails"]
            run.exited = event["timestamp"]
            run.output = _parse(details.get("output"))
            if not _ended_in_failure(run, events, event_id):
                run.error = run.cause = None
    _assign_pauses(list(runs.values()), pauses)
    stopped = description.get("stopDate")
    seconds = (stopped - description["startDate"]).total_seconds() if stopped else None
    return Trace(
        execution_name=execution_name,
        status=str(description["status"]),
        seconds=seconds,
        error=description.get("error"),
        cause=description.get("cause"),
        runs=tuple(runs.values()),
        simulated_seconds=sum(pause.seconds for pause in pauses),
    )


def _owner_of(
    previous: int,
    kind: str,
    event: Mapping[str, Any],
    events: Mapping[int, Mapping[str, Any]],
    owner: Mapping[int, int],
    runs: Mapping[int, StateRun],
) -> int:
    """Which state entry an event belongs to: its chain's, except a state's exit, matched by name."""
    if kind.endswith("StateExited"):
        name = event["stateExitedEventDetails"]["name"]
        chained = owner.get(previous)
        open_runs = [entry for entry, run in runs.items() if run.name == name and run.exited is None]
        if chained in open_runs or not open_runs:
            return chained or 0
        return open_runs[-1] if len(open_runs) == 1 else _closest(chained, open_runs)
    return owner.get(previous, 0)


def _closest(chained: int | None, candidates: list[int]) -> int:
    below = [entry for entry in candidates if chained is None or entry <= chained]
    return max(below) if below else candidates[-1]


def _depth(
    previous: int,
    events: Mapping[int, Mapping[str, Any]],
    owner: Mapping[int, int],
    runs: Mapping[int, StateRun],
) -> int:
    """A state follows the one that exited before it, or starts an iteration/branch one level deeper."""
    event = events.get(previous)
    if event is None:
        return 0
    kind = str(event["type"])
    anchor = runs.get(owner.get(previous, 0))
    if anchor is None:
        return 0
    if kind in _NESTING_EVENTS:
        return anchor.depth + 1
    return anchor.depth


def _ended_in_failure(run: StateRun, events: Mapping[int, Mapping[str, Any]], exit_id: int) -> bool:
    """Whether the state's last attempt failed (a Catch took over) rather than succeeded."""
    if not run.failures:
        return False
    event_id = int(events[exit_id].get("previousEventId") or 0)
    while event_id in events:
        kind = str(events[event_id]["type"])
        if kind in _FAILURE_EVENTS:
            return True
        if kind in _ATTEMPT_EVENTS or kind.endswith(("Succeeded", "StateEntered")):
            return False
        event_id = int(events[event_id].get("previousEventId") or 0)
    return False


def _assign_pauses(runs: list[StateRun], pauses: Sequence[Pause]) -> None:
    """Each pause goes to a run of its state: waits to successive entries, retries to the last."""
    by_name: dict[str, list[StateRun]] = {}
    for run in runs:
        by_name.setdefault(run.name, []).append(run)
    next_wait: dict[str, int] = {}
    for pause in pauses:
        candidates = by_name.get(pause.state)
        if not candidates:
            continue
        if pause.kind == "wait":
            index = min(next_wait.get(pause.state, 0), len(candidates) - 1)
            next_wait[pause.state] = index + 1
            candidates[index].simulated_seconds += pause.seconds
        else:
            retried = [run for run in candidates if run.failures] or candidates
            retried[-1].simulated_seconds += pause.seconds


def _details(event: Mapping[str, Any]) -> dict[str, Any]:
    return next((dict(value) for key, value in event.items() if key.endswith("EventDetails")), {})


def _parse(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _abridge(text: str, limit: int = OUTPUT_PREVIEW_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _human(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
