"""The benchmark report: the table people read and the JSON that tracks results over time."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from rich.console import Console
from workflow_tools.bench.report import format_ratio, format_value, report_document, table, write_json
from workflow_tools.bench.stats import Result, Target, compared

BASELINE = Result(key="synth_baseline", title="cdk synth: baseline", unit="s", samples=(4.0, 4.2, 4.1))
FULL = compared(
    Result(
        key="synth_full",
        title="cdk synth: full",
        unit="s",
        samples=(6.0, 6.3, 6.1),
        target=Target(1.3, "ratio"),
    ),
    BASELINE,
)
SKIPPED = Result(
    key="local", title="local happy paths", unit="s", target=Target(1.0), skipped="not on main yet"
)


def _render(results) -> str:
    console = Console(record=True, width=200, color_system=None)
    console.print(table(results))
    return console.export_text()


def test_values_are_formatted_for_their_unit():
    assert format_value(0.01234, "s") == "0.012 s"
    assert format_value(63.25, "s") == "63.2 s"
    assert format_value(512.4, "MiB") == "512 MiB"
    assert format_value(None, "s") == "—"
    assert format_ratio(1.234) == "1.23x"


def test_table_shows_median_runs_baseline_ratio_target_and_verdict():
    # WHEN a run with a missed ratio target and a skipped benchmark is rendered
    text = _render([BASELINE, FULL, SKIPPED])
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 2}
    # THEN the full app's row carries both medians, the ratio, the target and the verdict
    full = [cell.strip() for cell in rows["cdk synth: full"].split("│")[1:-1]]
    assert full == ["cdk synth: full", "6.100 s", "3", "4.100 s", "1.49x", "ratio ≤ 1.3", "missed", ""]
    # AND the skipped one says why instead of a number
    skipped = [cell.strip() for cell in rows["local happy paths"].split("│")[1:-1]]
    assert skipped[1] == "—"
    assert skipped[6:] == ["skipped", "not on main yet"]


def test_json_report_records_settings_machine_and_every_result(tmp_path):
    # WHEN a report is written
    document = report_document(
        [BASELINE, FULL, SKIPPED],
        settings={"runs": 3},
        repo=tmp_path,  # not a git checkout: no commit
        now=datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
    )
    path = tmp_path / "bench" / "results.json"
    write_json(path, document)
    # THEN it reads back with the results in order, their verdicts, and where they were taken
    written = json.loads(path.read_text())
    assert written["generated_at"] == "2026-11-27T09:00:00+00:00"
    assert written["commit"] is None
    assert written["settings"] == {"runs": 3}
    assert written["machine"]["cpus"] >= 1
    assert [(r["key"], r["status"]) for r in written["results"]] == [
        ("synth_baseline", "tracked"),
        ("synth_full", "missed"),
        ("local", "skipped"),
    ]
    assert written["results"][1]["ratio"] == FULL.ratio
    # AND it is stable for review: sorted keys, trailing newline
    assert path.read_text() == json.dumps(written, indent=2, sort_keys=True) + "\n"
