"""The benchmarks: what is run, against which baseline, with which target.

Every group returns ``Result`` rows; a group that cannot run yet says why (``skipped``), a group
whose command fails reports the error and the others still run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from workflow_tools.bench.conformance import ConformanceReportError, pass_rates, read_report, suite_command
from workflow_tools.bench.importtime import probe_import
from workflow_tools.bench.local import (
    LocalCloudMissingError,
    declared_scenarios,
    happy_paths,
    local_cloud_with_app,
    run_happy_path,
    self_check_scenario,
)
from workflow_tools.bench.runner import DEFAULT_TIMEOUT_SECONDS, BenchError, Run, run_measured
from workflow_tools.bench.stats import Result, Target, compared

CDK_CLI = ("npx", "--no-install", "cdk")
CDK_FLAGS = ("--no-notices", "--no-version-reporting", "--ci")
MIB = 1024 * 1024

SYNTH_RATIO_TARGET = Target(1.3, of="ratio")
"""The full app may cost at most 30% more to synthesize than a one-state-machine app."""
MAKE_TEST_TARGET = Target(90.0)  # seconds, on 2 cores
BEHAVIOUR_SUITE_TARGET = Target(30.0)  # seconds
LOCAL_HAPPY_PATH_TARGET = Target(1.0)  # seconds per workflow, simulated time

GROUPS = ("imports", "app", "synth", "local", "conformance", "tests")
"""In the order they run: quick and noisy first, the long test-suite runs last."""


@dataclass(frozen=True)
class Options:
    """How much to measure. ``runs`` for the quick benchmarks, ``suite_runs`` for whole test suites."""

    repo: Path
    runs: int = 3
    warmup: int = 1
    suite_runs: int = 1
    groups: tuple[str, ...] = GROUPS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @property
    def work(self) -> Path:
        """Scratch space for cloud assemblies and logs (git-ignored)."""
        return self.repo / "bench" / ".work"


def repo_root() -> Path:
    """The checkout the tools run in: the nearest folder at or above this one with app.py and cdk.json."""
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "app.py").is_file() and (folder / "cdk.json").is_file():
            return folder
    raise SystemExit("run from inside the repository (no app.py + cdk.json at or above this folder)")


def environment(repo: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment ``make`` gives commands: the project's Node and venv first on PATH."""
    path = os.pathsep.join([str(repo / "node_modules" / ".bin"), str(repo / ".venv" / "bin")])
    env = {**os.environ, "PATH": f"{path}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"
    env.pop("VIRTUAL_ENV", None)
    return {**env, **(extra or {})}


def python(repo: Path) -> str:
    """The project's interpreter (the one cdk.json runs the app with)."""
    venv_python = repo / ".venv" / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


def interleaved(
    commands: Mapping[str, Callable[[int], Run]], *, runs: int, warmup: int
) -> dict[str, list[Run]]:
    """Run each command once per round, round after round, so that load hits all of them alike.

    The first ``warmup`` rounds (file cache, lazily extracted packages) are run and dropped.
    """
    measured: dict[str, list[Run]] = {name: [] for name in commands}
    for round_number in range(warmup + runs):
        for name, run in commands.items():
            result = run(round_number)
            if round_number >= warmup:
                measured[name].append(result)
    return measured


def _seconds(runs: Sequence[Run]) -> tuple[float, ...]:
    return tuple(run.seconds for run in runs)


def _peak_rss(key: str, what: str, runs: Sequence[Run]) -> Result:
    """Peak memory of ``what``'s process tree, and its largest single process in the details."""
    return Result(
        key=key,
        title=f"{what}: peak RSS (process tree)",
        unit="MiB",
        samples=tuple(run.peak_tree_rss_bytes / MIB for run in runs),
        details={"largest_process_mib": max(run.max_rss_bytes for run in runs) / MIB},
    )


# Groups -----------------------------------------------------------------------------------------


def bench_synth(options: Options) -> list[Result]:
    """``cdk synth`` through the real CLI: the full app against the one-state-machine baseline."""
    repo, work = options.repo, options.work
    env = environment(repo)
    synth = [*CDK_CLI, "synth", "--all", "--quiet", *CDK_FLAGS]
    baseline_app = f"{Path(python(repo)).relative_to(repo)} bench/baseline_app.py"
    commands = {
        "baseline": [*synth, "--app", baseline_app, "--output", str(work / "synth-baseline.out")],
        # Offline, like `make synth`: the placeholder senders are allowed (stacks/senders.py).
        "full": [*synth, "--output", str(work / "synth-full.out"), "-c", "allowPlaceholderSenders=true"],
    }
    measured = _measure_interleaved(
        options, "synth", {name: (command, env) for name, command in commands.items()}
    )
    baseline = Result(
        key="cdk_synth_baseline",
        title="cdk synth: baseline app (1 state machine)",
        unit="s",
        samples=_seconds(measured["baseline"]),
        details={"command": " ".join(commands["baseline"])},
    )
    full = Result(
        key="cdk_synth_full",
        title="cdk synth: full app",
        unit="s",
        samples=_seconds(measured["full"]),
        target=SYNTH_RATIO_TARGET,
        details={"command": " ".join(commands["full"])},
    )
    baseline_rss = _peak_rss("cdk_synth_baseline_rss", "cdk synth: baseline app", measured["baseline"])
    full_rss = _peak_rss("cdk_synth_full_rss", "cdk synth: full app", measured["full"])
    return [baseline, compared(full, baseline), baseline_rss, compared(full_rss, baseline_rss)]


def bench_app(options: Options) -> list[Result]:
    """``python app.py``: synthesis without the CLI (what the test session and CI's import pay)."""
    repo, work = options.repo, options.work
    commands = {
        "baseline": ([python(repo), "bench/baseline_app.py"], work / "app-baseline.out"),
        "full": ([python(repo), "app.py"], work / "app-full.out"),
    }
    measured = _measure_interleaved(
        options,
        "app",
        {
            name: (command, environment(repo, {"CDK_OUTDIR": str(out)}))
            for name, (command, out) in commands.items()
        },
    )
    baseline = Result(
        key="app_synth_baseline",
        title="python bench/baseline_app.py",
        unit="s",
        samples=_seconds(measured["baseline"]),
    )
    full = Result(key="app_synth_full", title="python app.py", unit="s", samples=_seconds(measured["full"]))
    return [
        baseline,
        compared(full, baseline),
        _peak_rss("app_synth_full_rss", "python app.py", measured["full"]),
    ]


IMPORTS = {
    "import_naming": ("import workflow_constructs.naming", "import workflow_constructs.naming"),
    "import_package": ("import workflow_constructs", "import workflow_constructs"),
    "import_aws_cdk": ("import aws_cdk", "import aws_cdk (baseline)"),
    "import_library": (
        "from workflow_constructs import PythonFunction, Workflow, add_checks, tasks",
        "import the whole library",
    ),
}
_LIGHT_IMPORTS = ("import_naming", "import_package")


def bench_imports(options: Options) -> list[Result]:
    """Import times, and which heavy packages each import loads (the light ones must load none)."""
    env = environment(options.repo)
    interpreter = python(options.repo)
    probes: dict[str, list[float]] = {key: [] for key in IMPORTS}
    loaded: dict[str, tuple[str, ...]] = {}
    for round_number in range(options.warmup + options.runs):
        for key, (statement, _) in IMPORTS.items():
            probe = probe_import(statement, python=interpreter, env=env, cwd=str(options.repo))
            loaded[key] = probe.heavy_loaded
            if round_number >= options.warmup:
                probes[key].append(probe.seconds)
    results = {
        key: Result(
            key=key,
            title=title,
            unit="s",
            samples=tuple(probes[key]),
            note=f"loads {', '.join(loaded[key]) or 'no heavy package'}",
            details={"statement": statement, "heavy_loaded": list(loaded[key])},
        )
        for key, (statement, title) in IMPORTS.items()
    }
    for key in _LIGHT_IMPORTS:
        if loaded[key]:
            results[key] = replace(results[key], error=f"loads {', '.join(loaded[key])}; it must not")
    results["import_library"] = compared(results["import_library"], results["import_aws_cdk"])
    return list(results.values())


def bench_tests(options: Options) -> list[Result]:
    """``make test`` (lint + every test) and the behaviour suite alone, ``suite_runs`` times each."""
    repo = options.repo
    suites = {
        "make_test": (
            "make test (lint + all tests)",
            ["make", "--no-print-directory", "test"],
            MAKE_TEST_TARGET,
        ),
        "behaviour_suite": (
            "pytest tests/behaviour",
            [python(repo), "-m", "pytest", "tests/behaviour", "-q", "-p", "no:cacheprovider"],
            BEHAVIOUR_SUITE_TARGET,
        ),
    }
    has_behaviour_tests = any((repo / "tests" / "behaviour").glob("test_*.py"))
    results = []
    for key, (title, command, target) in suites.items():
        if key == "behaviour_suite" and not has_behaviour_tests:
            results.append(
                Result(
                    key=key,
                    title=title,
                    unit="s",
                    target=target,
                    skipped="no behaviour tests yet (tests/behaviour/test_*.py)",
                )
            )
            continue
        runs = [
            run_measured(
                command,
                cwd=repo,
                env=environment(repo),
                log=options.work / "logs" / f"{key}-{index}.log",
                timeout_seconds=options.timeout_seconds,
            )
            for index in range(options.suite_runs)
        ]
        results.append(
            Result(
                key=key,
                title=title,
                unit="s",
                samples=_seconds(runs),
                target=target,
                note=f"on {_cpus()} cores",
            )
        )
    return results


def bench_local(options: Options) -> list[Result]:
    """Each workflow's happy path on the local cloud with simulated time, start to end.

    Every round runs in a fresh local cloud: a happy path run twice is not a happy path any more
    (idempotency keys and conditional writes remember the first run). Workers are warm. The local
    cloud's own self-check (Pass, a simulated one-day Wait, Choice; no Lambda) runs in each round
    too, as the baseline: what any execution costs on this machine at this load.
    """
    env = environment(options.repo)
    interpreter = python(options.repo)
    samples: dict[str, list[float]] = {}
    titles: dict[str, str] = {}
    try:
        declared = declared_scenarios()
        baseline = self_check_scenario(declared)
        for round_number in range(options.warmup + options.runs):
            with local_cloud_with_app(options.repo, options.work, env, interpreter) as harness:
                paths = happy_paths(declared, harness.workflows())
                if not paths:
                    break  # nothing to measure; another round would not change that
                for scenario in [baseline, *paths]:
                    run = run_happy_path(harness, scenario)
                    titles[scenario.workflow] = scenario.title
                    if round_number >= options.warmup:
                        samples.setdefault(scenario.workflow, []).append(run.seconds)
    except LocalCloudMissingError as missing:
        return [_local_skipped(str(missing))]
    if not titles:
        return [_local_skipped("no deployed workflow has a demo scenario that expects SUCCEEDED")]
    check = Result(
        key="local_self_check",
        title=f"{baseline.workflow} (baseline): on the local cloud",
        unit="s",
        samples=tuple(samples.get(baseline.workflow, ())),
        note=f"scenario: {baseline.title}",
    )
    return [
        check,
        *(
            compared(
                Result(
                    key=f"local_{workflow.replace('-', '_')}",
                    title=f"{workflow}: happy path on the local cloud",
                    unit="s",
                    samples=tuple(samples.get(workflow, ())),
                    target=LOCAL_HAPPY_PATH_TARGET,
                    note=f"scenario: {title}",
                ),
                check,
            )
            for workflow, title in sorted(titles.items())
            if workflow != baseline.workflow
        ),
    ]


def bench_conformance(options: Options) -> list[Result]:
    """The local cloud's conformance suite: the pass rate of each feature area (its cases' marker).

    A failing case is what this measures, not an error: the rates are reported whatever pytest's
    exit code, as long as the suite ran and wrote its report.
    """
    repo = options.repo
    report = options.work / "conformance.json"
    report.unlink(missing_ok=True)
    command = suite_command(python(repo), report)
    seconds: tuple[float, ...] = ()
    try:
        seconds = (
            run_measured(
                command,
                cwd=repo,
                env=environment(repo),
                log=options.work / "logs" / "conformance.log",
                timeout_seconds=options.timeout_seconds,
            ).seconds,
        )
    except BenchError:
        if not report.exists():
            raise
    try:
        rates = pass_rates(read_report(report))
    except ConformanceReportError as error:
        raise BenchError(str(error)) from error
    return [
        Result(
            key=f"conformance_{rate.area.replace('-', '_')}",
            title=f"conformance: {rate.area}",
            unit="%",
            samples=(rate.percent,),
            note=f"{rate.passed} of {rate.total} cases pass",
            details={"passed": rate.passed, "total": rate.total, "suite_seconds": list(seconds)},
        )
        for rate in rates
    ]


def _local_skipped(reason: str) -> Result:
    return Result(
        key="local_happy_paths",
        title="happy paths on the local cloud",
        unit="s",
        target=LOCAL_HAPPY_PATH_TARGET,
        skipped=reason,
    )


BENCHMARKS: dict[str, Callable[[Options], list[Result]]] = {
    "imports": bench_imports,
    "app": bench_app,
    "synth": bench_synth,
    "local": bench_local,
    "conformance": bench_conformance,
    "tests": bench_tests,
}


def run_suite(options: Options, *, on_result: Callable[[Result], None] | None = None) -> list[Result]:
    """Run the selected groups in order; a failing group becomes an ``error`` row, the rest still run."""
    results: list[Result] = []
    for group in GROUPS:
        if group not in options.groups:
            continue
        try:
            found = BENCHMARKS[group](options)
        except (BenchError, RuntimeError, OSError) as error:
            found = [Result(key=group, title=f"{group} benchmarks", unit="", error=str(error))]
        for result in found:
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results


# Helpers ----------------------------------------------------------------------------------------


def _measure_interleaved(
    options: Options, group: str, commands: Mapping[str, tuple[Sequence[str], Mapping[str, str]]]
) -> dict[str, list[Run]]:
    """Run each (command, environment) ``options.runs`` times, interleaved, logs in .work/logs/<group>-*."""

    def runner(name: str, command: Sequence[str], env: Mapping[str, str]) -> Callable[[int], Run]:
        def run(round_number: int) -> Run:
            return run_measured(
                command,
                cwd=options.repo,
                env=env,
                log=options.work / "logs" / f"{group}-{name}-{round_number}.log",
                timeout_seconds=options.timeout_seconds,
            )

        return run

    return interleaved(
        {name: runner(name, command, env) for name, (command, env) in commands.items()},
        runs=options.runs,
        warmup=options.warmup,
    )


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
