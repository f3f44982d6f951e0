"""``start``, ``status`` and ``list``: run executions and find them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from workflow_cli.aws import ClientFactory
from workflow_cli.errors import ExitCode, UsageError
from workflow_cli.history import current_state, explain
from workflow_cli.inputs import parse_since, read_input, with_correlation_id
from workflow_cli.naming import execution_name, physical_name
from workflow_cli.plugins import starter_for
from workflow_cli.render import (
    consoles,
    duration,
    print_execution,
    print_executions,
    print_started,
    status_text,
    step_summary,
)
from workflow_cli.resolve import (
    describe_execution,
    execution_history,
    pick_state_machine,
    recent_events,
    state_machine_arn,
    state_machines,
)

DEFAULT_POLL_SECONDS = 2.0
DEFAULT_LIST_LIMIT = 50
ENDED = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


class Status(StrEnum):
    """Execution statuses ``list --status`` filters on."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"
    PENDING_REDRIVE = "PENDING_REDRIVE"


STAGE_META = "workflows.stage"
"""Where the app's callback keeps ``--stage`` (``ctx.meta`` is shared by every command's context)."""


def aws(ctx: typer.Context) -> ClientFactory:
    """The AWS clients of this invocation (set by the app's callback, or by a test)."""
    return ctx.find_root().obj  # type: ignore[no-any-return]


def stage(ctx: typer.Context) -> str | None:
    """The ``--stage`` (or ``WORKFLOWS_STAGE``) of this invocation; None: the unstaged deployment."""
    value = ctx.meta.get(STAGE_META)
    return str(value) if value is not None else None


def start(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="The state machine's name (without the stage).")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why this run; becomes part of the execution name.")
    ],
    input_file: Annotated[
        str,
        typer.Option(
            "--input", metavar="FILE|-", help="Execution input: a JSON object file, or - for stdin."
        ),
    ],
    correlation_id: Annotated[
        str | None,
        typer.Option(
            "--correlation-id", help="The business request's id; default: the input's, else a new UUID."
        ),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Show progress until the execution ends.")] = False,
    poll_seconds: Annotated[
        float, typer.Option("--poll-seconds", min=0.0, help="With --wait: seconds between checks.")
    ] = DEFAULT_POLL_SECONDS,
) -> None:
    """Start an execution named <workflow>-<reason>-<UTC time>-<id>; print its name, ARN and correlation id.

    With --wait, exit 0 if it succeeds and 1 if it fails, times out or is aborted.
    """
    if not reason.strip():
        raise UsageError("--reason must say why the execution runs (it becomes part of its name)")
    payload, correlation = with_correlation_id(
        read_input(input_file, typer.get_text_stream("stdin")), correlation_id
    )
    sfn = aws(ctx).client("stepfunctions")
    machine = state_machine_arn(sfn, workflow, stage(ctx))
    # The physical name leads, as describe_execution expects (it asks that machine first).
    name = execution_name(physical_name(workflow, stage(ctx)), reason)
    starter = starter_for(workflow)
    if starter is not None:
        started = {"executionArn": starter(aws(ctx), name, payload, stage(ctx))}
    else:
        started = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(payload))
    out, err = consoles()
    print_started(out, started["executionArn"], name, correlation)
    if not wait:
        return
    try:
        with Progress(err) as progress:
            execution = wait_until_ended(
                sfn, started["executionArn"], poll_seconds=poll_seconds, report=progress
            )
    except KeyboardInterrupt:
        err.print(f"Stopped waiting; the execution keeps running: workflows status {escape(name)}")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    took = duration(execution.get("startDate"), execution.get("stopDate"))
    out.print(f"{status_text(execution['status'])} after {took}")
    if execution["status"] == "SUCCEEDED":
        if execution.get("output") is not None:
            out.print(escape(execution["output"]))
        return
    explanation = explain(execution["status"], execution_history(sfn, started["executionArn"]))
    out.print(f"  in state {escape(explanation.state or '-')}: {escape(explanation.error or '-')}")
    if explanation.root_failure is not None:
        out.print(f"  {escape(step_summary(explanation.root_failure))}")
    out.print(f"  Explain: workflows why {escape(name)}")
    raise typer.Exit(ExitCode.EXECUTION_UNSUCCESSFUL)


def wait_until_ended(
    sfn: Any,
    execution_arn: str,
    *,
    poll_seconds: float,
    report: Callable[[dict[str, Any], str | None], None],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll until the execution ends; ``report`` (status, current state) after each check."""
    while True:
        execution = dict(sfn.describe_execution(executionArn=execution_arn))
        if execution["status"] in ENDED:
            return execution
        report(execution, current_state(recent_events(sfn, execution_arn)))
        sleep(poll_seconds)


class Progress:
    """The live progress line of ``start --wait``: a spinner on a terminal, a line per change otherwise."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._last: str | None = None
        self._status = console.status("") if console.is_terminal else None

    def __enter__(self) -> Progress:
        if self._status is not None:
            self._status.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._status is not None:
            self._status.stop()

    def __call__(self, execution: dict[str, Any], state: str | None) -> None:
        where = f" in {state}" if state else ""
        if self._status is not None:
            running_for = duration(execution.get("startDate"), None)
            self._status.update(escape(f"{execution['status']} for {running_for}{where}"))
        elif where != self._last:
            self._last = where
            self.console.print(escape(f"{execution['status']}{where}"))


def status(
    ctx: typer.Context,
    execution: Annotated[str, typer.Argument(help="Execution name or ARN.")],
) -> None:
    """Show an execution: status, times, correlation id, where it is or how it ended."""
    sfn = aws(ctx).client("stepfunctions")
    description = describe_execution(sfn, execution, stage(ctx))
    state = None
    if description["status"] == "RUNNING":
        state = current_state(recent_events(sfn, description["executionArn"]))
    out, _ = consoles()
    print_execution(out, description, state)


def list_executions(
    ctx: typer.Context,
    workflow: Annotated[str | None, typer.Option("--workflow", "-w", help="Only this state machine.")] = None,
    status_filter: Annotated[
        Status | None,
        typer.Option("--status", "-s", case_sensitive=False, help="Only executions in this status."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only executions started this recently: 30m, 1h, 2d, 1w.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=1000, help="At most this many, newest first.")
    ] = (DEFAULT_LIST_LIMIT),
) -> None:
    """List executions, newest first, across every workflow (or one)."""
    cutoff = datetime.now(UTC) - parse_since(since) if since else None
    sfn = aws(ctx).client("stepfunctions")
    machines = state_machines(sfn, stage(ctx))
    if workflow is not None:
        machines = {workflow: pick_state_machine(machines, workflow)}
    found: list[dict[str, Any]] = []
    for machine in machines.values():
        found.extend(_recent_executions(sfn, machine, status_filter, cutoff, limit))
    found.sort(key=lambda item: item["startDate"], reverse=True)
    out, _ = consoles()
    print_executions(out, found[:limit])


def _recent_executions(
    sfn: Any, machine: str, status_filter: Status | None, cutoff: datetime | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` executions of one state machine started after ``cutoff``.

    ListExecutions answers newest first, so the first one older than ``cutoff`` ends the search.
    """
    request: dict[str, Any] = {"stateMachineArn": machine, "maxResults": min(limit, 1000)}
    if status_filter is not None:
        request["statusFilter"] = status_filter.value
    found: list[dict[str, Any]] = []
    while True:
        page = sfn.list_executions(**request)
        for item in page.get("executions", []):
            if cutoff is not None and item["startDate"] < cutoff:
                return found
            found.append(item)
            if len(found) >= limit:
                return found
        if not page.get("nextToken"):
            return found
        request["nextToken"] = page["nextToken"]
