"""How the demo shows an execution and the summary: rich tables built from the harness's Trace."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text
from workflow_local_cloud import Trace
from workflow_local_cloud.trace import StateRun

_STATUS_STYLE = {"succeeded": "green", "failed": "red", "running": "yellow"}


@dataclass(frozen=True)
class Outcome:
    """How one scenario ended, for the summary."""

    workflow: str
    title: str
    expected: str
    actual: str
    seconds: float | None
    retries: int
    simulated_seconds: float
    passed: bool | None
    """None: skipped (the workflow is not deployed)."""
    note: str = ""


def trace_table(trace: Trace) -> Table:
    """One row per state run: state (indented), type, time, retries, skipped wait, result or error."""
    title = f"{trace.execution_name} — {trace.status}"
    if trace.seconds is not None:
        title += f" in {trace.seconds:.2f} s"
    table = Table(title=title, title_justify="left", expand=False, show_lines=False)
    table.add_column("State")
    table.add_column("Type", style="dim")
    table.add_column("Time", justify="right")
    table.add_column("Retries", justify="right")
    table.add_column("Waited", justify="right", style="cyan")
    table.add_column("Output or error", overflow="fold", max_width=70)
    for run in trace.runs:
        table.add_row(
            Text("  " * run.depth + run.name, style=_STATUS_STYLE[run.status]),
            run.type,
            "…" if run.seconds is None else f"{run.seconds:.2f} s",
            str(run.retries) if run.retries else "",
            _human(run.simulated_seconds) if run.simulated_seconds else "",
            _outcome(run),
        )
    if trace.error:
        # Text, not markup: causes hold brackets ("Received: [x]") that rich would read as styles.
        table.caption = Text(f"{trace.error}: {trace.cause or ''}"[:200])
    return table


def summary_table(outcomes: list[Outcome]) -> Table:
    """One row per scenario: what was expected, what happened, how long it took."""
    table = Table(title="Demo summary", title_justify="left")
    for column, justify in (
        ("Workflow", "left"),
        ("Scenario", "left"),
        ("Expected", "left"),
        ("Actual", "left"),
        ("Time", "right"),
        ("Retries", "right"),
        ("Simulated", "right"),
        ("", "center"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for outcome in outcomes:
        mark = {
            True: Text("✔", style="green"),
            False: Text("✘", style="bold red"),
            None: Text("-", style="dim"),
        }
        table.add_row(
            outcome.workflow,
            outcome.title,
            outcome.expected,
            outcome.actual + (f" ({outcome.note})" if outcome.note else ""),
            "" if outcome.seconds is None else f"{outcome.seconds:.2f} s",
            str(outcome.retries) if outcome.retries else "",
            _human(outcome.simulated_seconds) if outcome.simulated_seconds else "",
            mark[outcome.passed],
        )
    return table


def console() -> Console:
    """The demo's console (wide enough for the tables in CI logs)."""
    return Console(width=160, highlight=False)


def _outcome(run: StateRun) -> Text:
    return Text(run.outcome(), style="red" if run.error else "")


def _human(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:.1f} s"
