"""The conformance report: pass rates per area from the cases' markers, and the README table."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from workflow_tools.bench.conformance import (
    README_BEGIN,
    README_END,
    AreaRate,
    ConformanceReportError,
    markdown_table,
    pass_rates,
    read_report,
    suite_command,
    with_table,
)


def test_rates_count_passes_per_area_and_a_skip_as_not_passing():
    records = [
        {"area": "errors", "outcome": "passed"},
        {"area": "errors", "outcome": "failed"},
        {"area": "api", "outcome": "passed"},
        {"area": "api", "outcome": "skipped"},
        {"area": "api", "outcome": "passed"},
    ]

    assert pass_rates(records) == [AreaRate("api", 2, 3), AreaRate("errors", 1, 2)]


def test_the_table_has_a_row_per_area_and_a_total():
    table = markdown_table([AreaRate("api", 2, 3), AreaRate("errors", 2, 2)])

    assert table.splitlines()[2:] == [
        "| api | 3 | 2 | 67 % |",
        "| errors | 2 | 2 | 100 % |",
        "| **all** | **5** | **4** | **80 %** |",
    ]


def test_the_readme_section_between_the_markers_is_replaced_and_the_rest_kept():
    readme = f"# Title\n\nbefore\n{README_BEGIN}\nold table\n{README_END}\nafter\n"

    updated = with_table(readme, "| new |")

    assert updated == f"# Title\n\nbefore\n{README_BEGIN}\n| new |\n{README_END}\nafter\n"


def test_a_readme_without_the_markers_is_refused():
    with pytest.raises(ConformanceReportError, match=r"no .*conformance-table:begin"):
        with_table("# no table here\n", "| new |")


def test_an_unreadable_report_is_a_named_error(tmp_path):
    (tmp_path / "report.json").write_text("{not json")

    with pytest.raises(ConformanceReportError, match=r"no readable conformance report at \["):
        read_report(tmp_path / "report.json")
    (tmp_path / "dict.json").write_text("{}")
    with pytest.raises(ConformanceReportError, match="not a list"):
        read_report(tmp_path / "dict.json")


def test_the_plugin_records_each_cases_area_and_outcome(tmp_path):
    # GIVEN a small suite: two areas, one failing case, one unmarked
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_cases.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.conformance('api')\ndef test_ok():\n    pass\n\n"
        "@pytest.mark.conformance('api')\ndef test_bad():\n    assert False\n\n"
        "@pytest.mark.conformance('errors')\ndef test_other():\n    pass\n\n"
        "def test_unmarked():\n    pass\n"
    )
    report = tmp_path / "out" / "report.json"
    command = suite_command(sys.executable, report)
    command[command.index("local-cloud/conformance")] = str(suite)

    # WHEN the suite runs with the plugin
    finished = subprocess.run(
        [*command, "-W", "ignore::pytest.PytestUnknownMarkWarning", f"--rootdir={suite}"],
        cwd=suite,
        capture_output=True,
        text=True,
        check=False,
    )

    # THEN every case's area and outcome is in the report
    assert finished.returncode == 1, finished.stdout + finished.stderr
    assert {(r["area"], r["outcome"]) for r in json.loads(report.read_text())} == {
        ("api", "passed"),
        ("api", "failed"),
        ("errors", "passed"),
        ("(no area)", "passed"),
    }
