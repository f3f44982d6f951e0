"""``python -m workflow_tools.bench``: run the benchmarks, print the table, write bench/results.json.

Exits non-zero only when a benchmark could not be measured (a command failed); a missed target is
reported, not fatal: targets are tracked here, never asserted in the test suite.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from workflow_tools.bench.report import report_document, table, write_json
from workflow_tools.bench.suite import GROUPS, Options, repo_root, run_suite


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workflow_tools.bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="measured runs per quick benchmark (default 3)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="unmeasured runs first, per quick benchmark (default 1)"
    )
    parser.add_argument(
        "--suite-runs", type=int, default=1, help="runs of `make test` and the behaviour suite (default 1)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=GROUPS,
        help="run only this group (repeatable); default: all of " + ", ".join(GROUPS),
    )
    parser.add_argument("--skip", action="append", choices=GROUPS, default=[], help="skip this group")
    parser.add_argument("--output", type=Path, help="where to write the JSON (default bench/results.json)")
    arguments = parser.parse_args(argv)
    for name in ("runs", "suite_runs"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if arguments.warmup < 0:
        parser.error("--warmup must be 0 or more")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_args(argv)
    repo = repo_root()
    groups = tuple(g for g in GROUPS if g in (arguments.only or GROUPS) and g not in arguments.skip)
    options = Options(
        repo=repo,
        runs=arguments.runs,
        warmup=arguments.warmup,
        suite_runs=arguments.suite_runs,
        groups=groups,
    )
    console = Console(stderr=True)
    console.print(
        f"[bold]Benchmarks[/] {', '.join(groups)}: median of {options.runs} runs "
        f"(+{options.warmup} warm-up), test suites {options.suite_runs}x"
    )
    results = run_suite(options, on_result=lambda r: console.print(f"  {r.title}: {r.status}"))
    out = Console()
    if not out.is_terminal:
        out = Console(width=160)  # logs and CI: no terminal to wrap for
    out.print(table(results))
    output = arguments.output or repo / "bench" / "results.json"
    settings = {
        "runs": options.runs,
        "warmup": options.warmup,
        "suite_runs": options.suite_runs,
        "groups": groups,
    }
    write_json(output, report_document(results, settings=settings, repo=repo))
    console.print(f"written to {output}")
    return 1 if any(result.status == "error" for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
