"""The benchmark report: a rich table for people, ``bench/results.json`` for tracking over time."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.table import Table

from workflow_tools.bench.stats import Result, Status

SCHEMA_VERSION = 1
_STATUS_STYLE: dict[Status, str] = {
    "met": "green",
    "missed": "bold red",
    "tracked": "cyan",
    "skipped": "yellow",
    "error": "bold magenta",
}


def format_value(value: float | None, unit: str) -> str:
    """A measured value for the table: seconds to the millisecond below 10 s, memory in whole MiB.

    >>> format_value(0.01234, "s"), format_value(63.2, "s"), format_value(512.4, "MiB")
    ('0.012 s', '63.2 s', '512 MiB')
    """
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    return f"{value:g} {unit}".strip()


def format_ratio(ratio: float | None) -> str:
    """A ratio to the baseline: ``1.23x`` means 23% more than the baseline."""
    return "—" if ratio is None else f"{ratio:.2f}x"


def table(results: Sequence[Result], *, title: str = "Benchmarks") -> Table:
    """One row per result: median, number of runs, ratio to its baseline, target and verdict."""
    by_key = {result.key: result for result in results}
    grid = Table(title=title, title_justify="left")
    grid.add_column("Benchmark")
    grid.add_column("Median", justify="right")
    grid.add_column("Runs", justify="right")
    grid.add_column("Baseline", justify="right")
    grid.add_column("Ratio", justify="right")
    grid.add_column("Target")
    grid.add_column("Status")
    grid.add_column("Note", overflow="fold")
    for result in results:
        baseline = by_key.get(result.baseline) if result.baseline else None
        status = result.status
        grid.add_row(
            result.title,
            format_value(result.median, result.unit),
            str(len(result.samples)),
            format_value(baseline.median, baseline.unit) if baseline else "",
            format_ratio(result.ratio) if result.ratio is not None else "",
            result.target.describe(result.unit) if result.target else "",
            f"[{_STATUS_STYLE[status]}]{status}[/]",
            result.error or result.skipped or result.note,
        )
    return grid


def machine() -> dict[str, Any]:
    """Where the numbers were taken: they only compare with numbers from a similar machine."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpus": cpus,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def git_commit(repo: Path) -> str | None:
    """HEAD of ``repo``, or None outside a git checkout."""
    result = subprocess.run(
        ["git", "rev-parse", "HEAD"],  # noqa: S607 (git from PATH, as every developer runs it)
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def report_document(
    results: Sequence[Result], *, settings: Mapping[str, Any], repo: Path, now: datetime | None = None
) -> dict[str, Any]:
    """The JSON document written to ``bench/results.json``."""
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "commit": git_commit(repo),
        "machine": machine(),
        "settings": dict(settings),
        "results": [result.to_json() for result in results],
    }


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    """Write ``document`` as stable, reviewable JSON (sorted keys, two-space indent, newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
