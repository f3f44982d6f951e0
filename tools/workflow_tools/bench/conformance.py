"""The local cloud's conformance pass rate per feature area, from the suite's own markers.

Every case in ``local-cloud/conformance`` carries ``@pytest.mark.conformance("<area>")``; this
module is also a pytest plugin (``-p workflow_tools.bench.conformance``) that records each case's
area and outcome into a JSON file (``--conformance-report PATH``). From those records
``make bench`` reports one row per area, and ``python -m workflow_tools.bench.conformance
--write-readme`` regenerates the README's table between its two markers, so a new area (or a
new case) shows up without anyone editing the table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUITE = "local-cloud/conformance"
README_BEGIN = (
    "<!-- conformance-table:begin (generated: python -m workflow_tools.bench.conformance --write-readme) -->"
)
README_END = "<!-- conformance-table:end -->"
UNMARKED = "(no area)"


class ConformanceReportError(RuntimeError):
    """The conformance suite could not be run or its report read."""


@dataclass(frozen=True)
class AreaRate:
    """How many of one area's cases pass."""

    area: str
    passed: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.passed / self.total if self.total else 0.0


def pass_rates(records: Iterable[dict[str, str]]) -> list[AreaRate]:
    """Per area, sorted by name: cases passed of cases run (a skipped case counts as not passing).

    Example: ``pass_rates([{"area": "errors", "outcome": "passed"}, {"area": "errors", "outcome":
    "failed"}])`` is ``[AreaRate("errors", 1, 2)]``.
    """
    counts: dict[str, list[int]] = {}
    for record in records:
        entry = counts.setdefault(record["area"], [0, 0])
        entry[1] += 1
        entry[0] += record["outcome"] == "passed"
    return [AreaRate(area, passed, total) for area, (passed, total) in sorted(counts.items())]


def markdown_table(rates: Sequence[AreaRate]) -> str:
    """The README's table: one row per area and a total."""
    rows = ["| Area | Cases | Passing | Pass rate |", "|---|---:|---:|---:|"]
    rows += [f"| {rate.area} | {rate.total} | {rate.passed} | {rate.percent:.0f} % |" for rate in rates]
    passed, total = sum(rate.passed for rate in rates), sum(rate.total for rate in rates)
    overall = AreaRate("all", passed, total)
    rows.append(f"| **all** | **{total}** | **{passed}** | **{overall.percent:.0f} %** |")
    return "\n".join(rows)


def with_table(readme: str, table: str) -> str:
    """``readme`` with the text between the two markers replaced by ``table``."""
    if README_BEGIN not in readme or README_END not in readme:
        raise ConformanceReportError(f"the README has no [{README_BEGIN}] ... [{README_END}] section")
    head, rest = readme.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    return f"{head}{README_BEGIN}\n{table}\n{README_END}{tail}"


def read_report(path: Path) -> list[dict[str, str]]:
    """The records a run of the plugin wrote."""
    try:
        records = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ConformanceReportError(f"no readable conformance report at [{path}]: {error}") from error
    if not isinstance(records, list):
        raise ConformanceReportError(f"the conformance report at [{path}] is not a list")
    return [dict(record) for record in records]


def suite_command(python: str, report: Path) -> list[str]:
    """The pytest run that writes ``report``."""
    return [
        python,
        "-m",
        "pytest",
        SUITE,
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "workflow_tools.bench.conformance",
        f"--conformance-report={report}",
    ]


# The pytest plugin ----------------------------------------------------------------------------------

_areas: dict[str, str] = {}
_records: dict[str, dict[str, str]] = {}


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--conformance-report",
        default=None,
        help="write each conformance case's area and outcome to this JSON file",
    )


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        marker = item.get_closest_marker("conformance")
        _areas[item.nodeid] = str(marker.args[0]) if marker is not None and marker.args else UNMARKED


def pytest_runtest_logreport(report: Any) -> None:
    area = _areas.get(report.nodeid, UNMARKED)
    record = _records.setdefault(report.nodeid, {"case": report.nodeid, "area": area, "outcome": "passed"})
    if report.failed:
        record["outcome"] = "failed"
    elif report.skipped and record["outcome"] == "passed":
        record["outcome"] = "skipped"


def pytest_sessionfinish(session: Any) -> None:
    target = session.config.getoption("--conformance-report")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(json.dumps(sorted(_records.values(), key=lambda r: r["case"]), indent=1))


# ``python -m workflow_tools.bench.conformance`` ----------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflow_tools.bench.conformance", description=__doc__)
    parser.add_argument("--write-readme", action="store_true", help="rewrite the README's conformance table")
    parser.add_argument("--report", type=Path, default=Path("bench/.work/conformance.json"))
    arguments = parser.parse_args(argv)
    finished = subprocess.run(suite_command(sys.executable, arguments.report), check=False)  # noqa: S603
    if finished.returncode not in (0, 1):  # 1: some cases fail, which is what is being measured
        print(f"the conformance suite did not run (pytest exit {finished.returncode})", file=sys.stderr)
        return finished.returncode
    table = markdown_table(pass_rates(read_report(arguments.report)))
    print(table)
    if arguments.write_readme:
        readme = Path("README.md")
        readme.write_text(with_table(readme.read_text(), table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
