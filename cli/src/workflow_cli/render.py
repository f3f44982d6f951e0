"""How the CLI shows executions, explanations and log lines (rich, readable when piped too)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.markup import escape

from workflow_cli.history import Event, Explanation, History, StepRecord, event_details, summarize_cause
from workflow_cli.logs import LogSearch

STATUS_STYLES = {
    "RUNNING": "yellow",
    "SUCCEEDED": "green",
    "FAILED": "bold red",
    "TIMED_OUT": "bold red",
    "ABORTED": "bold red",
    "PENDING_REDRIVE": "yellow",
}
LABEL_WIDTH = 16
CAUSE_MAX_LENGTH = 2000


def consoles() -> tuple[Console, Console]:
    """(stdout, stderr) consoles, made per command so they write to the current streams."""
    return (
        Console(highlight=False, soft_wrap=True),
        Console(stderr=True, highlight=False, soft_wrap=True),
    )


def when(moment: datetime | None) -> str:
    """A timestamp in UTC, to the second: ``2026-03-02 09:15:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if moment else "-"


def duration(start: datetime | None, stop: datetime | None) -> str:
    """``1h 02m``, ``4m 12s``, ``3.2s``; ``-`` when unknown."""
    if start is None:
        return "-"
    seconds = ((stop or datetime.now(UTC)) - start).total_seconds()
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def status_text(status: str) -> str:
    return f"[{STATUS_STYLES.get(status, 'white')}]{escape(status)}[/]"


def field(console: Console, label: str, value: Any) -> None:
    """One ``label  value`` line; values are escaped (they may contain [brackets])."""
    console.print(f"  {label:<{LABEL_WIDTH}}{escape(str(value))}")


def workflow_of(execution: Mapping[str, Any]) -> str:
    return str(execution["stateMachineArn"]).rsplit(":", 1)[-1]


def correlation_id_of(execution: Mapping[str, Any]) -> str | None:
    """The execution input's ``correlationId``, when the input is readable and has one."""
    try:
        document = json.loads(execution.get("input") or "{}")
    except json.JSONDecodeError:
        return None
    value = document.get("correlationId") if isinstance(document, dict) else None
    return str(value) if value is not None else None


def parent_of(execution: Mapping[str, Any]) -> str | None:
    """The execution that started this one (``tasks.start_workflow`` associates them)."""
    try:
        document = json.loads(execution.get("input") or "{}")
    except json.JSONDecodeError:
        return None
    value = document.get("AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID") if isinstance(document, dict) else None
    return str(value) if value else None


def print_started(console: Console, execution_arn: str, name: str, correlation_id: str) -> None:
    console.print(f"Started [bold]{escape(name)}[/]")
    field(console, "execution ARN", execution_arn)
    field(console, "correlation id", correlation_id)


def print_execution(console: Console, execution: Mapping[str, Any], current_state: str | None) -> None:
    """The facts of one execution (``status``)."""
    console.print(f"[bold]{escape(execution['name'])}[/]  {status_text(execution['status'])}")
    field(console, "workflow", workflow_of(execution))
    field(console, "started", when(execution.get("startDate")))
    if execution.get("stopDate"):
        field(
            console,
            "stopped",
            f"{when(execution['stopDate'])} (after "
            f"{duration(execution.get('startDate'), execution['stopDate'])})",
        )
    else:
        field(console, "running for", duration(execution.get("startDate"), None))
    field(console, "correlation id", correlation_id_of(execution) or "- (not in the input)")
    if current_state:
        field(console, "current state", current_state)
    if parent := parent_of(execution):
        field(console, "started by", parent)
    if execution.get("redriveCount"):
        field(console, "redriven", f"{execution['redriveCount']} time(s)")
    if execution.get("error"):
        field(console, "error", execution["error"])
    summary = summarize_cause(execution.get("cause"))
    if summary:
        field(console, "cause", _clip(summary.message))
    field(console, "ARN", execution["executionArn"])


def print_executions(console: Console, executions: Sequence[Mapping[str, Any]]) -> None:
    """A table of executions, newest first: plain aligned columns, so it greps and pastes well."""
    if not executions:
        console.print("No executions match.")
        return
    rows = [
        (
            str(item["name"]),
            workflow_of(item),
            str(item["status"]),
            when(item.get("startDate")),
            duration(item.get("startDate"), item.get("stopDate")),
        )
        for item in executions
    ]
    header = ("EXECUTION", "WORKFLOW", "STATUS", "STARTED", "DURATION")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    console.print("  ".join(title.ljust(width) for title, width in zip(header, widths, strict=True)).rstrip())
    for row in rows:
        cells = [escape(cell.ljust(width)) for cell, width in zip(row, widths, strict=True)]
        cells[2] = f"[{STATUS_STYLES.get(row[2], 'white')}]{cells[2]}[/]"
        console.print("  ".join(cells).rstrip())


def print_explanation(
    console: Console,
    execution: Mapping[str, Any],
    explanation: Explanation,
    events: Sequence[Event],
    tail: int,
    after_failure: Callable[[Console], None] | None = None,
) -> None:
    """``why``: where and why it failed, what was retried, and the last events.

    ``after_failure`` prints more about an execution that did not succeed, under its error and cause.
    """
    name, status = execution["name"], explanation.status
    console.print(
        f"[bold]{escape(name)}[/]  {status_text(status)}  "
        f"({duration(execution.get('startDate'), execution.get('stopDate'))})"
    )
    field(console, "workflow", workflow_of(execution))
    field(console, "correlation id", correlation_id_of(execution) or "- (not in the input)")
    if status == "SUCCEEDED":
        console.print("  Nothing failed: the execution succeeded.")
    elif status == "RUNNING":
        field(console, "running in", explanation.state or "-")
        console.print("  Nothing has failed the execution (yet).")
    else:
        what = {"FAILED": "failed in", "TIMED_OUT": "timed out in", "ABORTED": "aborted in"}.get(
            status, "ended in"
        )
        field(console, what, explanation.state or "- (before any state)")
        field(console, "error", explanation.error or "-")
        _print_cause(console, "cause", explanation.cause)
        root = explanation.root_failure
        if root is not None and root.state != explanation.state:
            last = root.failures[-1]
            console.print(
                f"  [bold]Root failure[/] in [bold]{escape(root.state)}[/] ({root.outcome}): "
                f"{escape(str(last.error))}"
            )
            _print_cause(console, "cause", last.cause)
        if after_failure is not None:
            after_failure(console)
    if explanation.steps:
        console.print("[bold]Retries and failures[/]")
        for step in explanation.steps:
            console.print(f"  {escape(step_summary(step))}")
    if tail > 0:
        console.print(f"[bold]Last {min(tail, len(events))} of {len(events)} events[/]")
        history = History(events)
        for event in history.events[-tail:]:
            console.print(f"  {escape(event_line(history, event))}")


def _print_cause(console: Console, label: str, cause: str | None) -> None:
    summary = summarize_cause(cause)
    if summary is None:
        return
    field(console, label, _clip(summary.message))
    if summary.location:
        field(console, "raised at", summary.location)
    if summary.child_execution_arn:
        field(console, "explain next", f"workflows why {summary.child_execution_arn}")


def step_summary(step: StepRecord) -> str:
    """``Charge the card: 4 attempts (3 retries), failed: TransientError x4``."""
    errors: dict[str, int] = {}
    for failure in step.failures:
        errors[str(failure.error)] = errors.get(str(failure.error), 0) + 1
    listed = ", ".join(f"{error} x{count}" if count > 1 else error for error, count in errors.items())
    tries = f"{step.attempts} attempt{'s' if step.attempts != 1 else ''}"
    if step.retries:
        tries += f" ({step.retries} retr{'ies' if step.retries != 1 else 'y'})"
    return f"{step.state}: {tries}, {step.outcome}: {listed}"


def event_line(history: History, event: Event) -> str:
    """``#12  09:15:08.540  TaskFailed  Charge the card  TransientError``."""
    stamp = event.get("timestamp")
    clock = stamp.astimezone(UTC).strftime("%H:%M:%S.%f")[:-3] if isinstance(stamp, datetime) else "-"
    details = event_details(event)
    parts = [f"#{event['id']:<4}", clock, f"{event['type']:<28}", history.state_name(event) or ""]
    if details.get("error"):
        parts.append(str(details["error"]))
    return "  ".join(parts).rstrip()


def print_logs(
    console: Console, correlation_id: str | None, search: LogSearch | None, reason: str | None
) -> None:
    """The request's log lines, or why there are none."""
    console.print(f"[bold]Log lines of correlation id {escape(correlation_id or '-')}[/]")
    if search is None:
        console.print(f"  Logs not searched: {escape(reason or 'unavailable')}")
        return
    for problem in search.problems:
        console.print(f"  [yellow]Logs unavailable[/] {escape(problem)}")
    if not search.lines:
        console.print(f"  No lines found in {len(search.log_groups)} log group(s).")
    for line in search.lines:
        level = str(line.fields.get("level", "")).upper()
        service = str(line.fields.get("service", ""))
        extras = " ".join(f"{key}={_compact(value)}" for key, value in line.extras.items())
        text = "  ".join(
            part for part in (when(line.timestamp), f"{level:<7}", service, line.message, extras) if part
        )
        style = "red" if level in ("ERROR", "CRITICAL") else "yellow" if level == "WARNING" else ""
        console.print(f"  [{style}]{escape(text)}[/]" if style else f"  {escape(text)}")


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)


def _clip(text: str) -> str:
    return text if len(text) <= CAUSE_MAX_LENGTH else f"{text[:CAUSE_MAX_LENGTH]}... ({len(text)} characters)"
