"""Each workflow's happy path on the local cloud: for the benchmark (how fast) and the cost report.

The happy path of a workflow is its first demo scenario (``tools/workflow_tools/demo/<workflow>.py``)
that expects ``SUCCEEDED``: the same input, seeding (``before``) and callback answers (``during``) that
``make demo`` shows. The app is synthesized with ``python app.py`` and loaded into a local cloud in
a child process, with simulated time and every function's worker warm before the first run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflow_tools.bench.runner import BenchError, run_measured

if TYPE_CHECKING:
    from workflow_local_cloud import Execution, ExecutionResult, LocalCloudHarness

    from workflow_tools.demo import Scenario


LOCAL_CLOUD_CONTEXT = {"allowPlaceholderSenders": True}
PREWARM_TIMEOUT_SECONDS = 120.0  # every function's worker started, on a busy 2-core machine


class LocalCloudMissingError(RuntimeError):
    """The local cloud or the demo scenarios are not part of this checkout yet."""


@dataclass(frozen=True)
class HappyPathRun:
    """One happy-path execution and how long it took, start to end, as the caller saw it."""

    scenario: Scenario
    execution: Execution
    result: ExecutionResult
    seconds: float


def declared_scenarios() -> list[Scenario]:
    """Every demo scenario of the checkout; raises LocalCloudMissingError when there is no demo package."""
    try:
        from workflow_tools.demo import scenarios
    except ImportError as error:
        raise LocalCloudMissingError(f"no local cloud demo scenarios in this checkout ({error})") from error
    return list(scenarios())


def self_check_scenario(declared: Sequence[Scenario]) -> Scenario:
    """The local cloud's own check (a tiny state machine its ``before`` creates): the local baseline."""
    from workflow_tools.demo.local_cloud_check import WORKFLOW

    for scenario in declared:
        if scenario.workflow == WORKFLOW and scenario.expect_status == "SUCCEEDED":
            return scenario
    raise LocalCloudMissingError(f"the demo declares no succeeding [{WORKFLOW}] scenario")


def happy_paths(declared: Sequence[Scenario], deployed: Collection[str]) -> list[Scenario]:
    """The first scenario expecting SUCCEEDED of each deployed workflow, in workflow order."""
    chosen: dict[str, Scenario] = {}
    for scenario in declared:
        if scenario.expect_status == "SUCCEEDED" and scenario.workflow in deployed:
            chosen.setdefault(scenario.workflow, scenario)
    return [chosen[workflow] for workflow in sorted(chosen)]


def run_happy_path(harness: LocalCloudHarness, scenario: Scenario) -> HappyPathRun:
    """Run ``scenario`` once, timing start to end (callbacks included, seeding not).

    Raises BenchError unless the execution succeeds.
    """
    if scenario.before is not None:
        scenario.before(harness)
    started = time.perf_counter()
    execution = harness.start(scenario.workflow, scenario.input(), reason=scenario.reason)
    if scenario.during is not None:
        scenario.during(harness, execution)
    result = harness.wait(execution, timeout=scenario.timeout_seconds)
    seconds = time.perf_counter() - started
    if result.status != "SUCCEEDED":
        raise BenchError(
            f"happy path [{scenario.title}] of [{scenario.workflow}] ended {result.status} "
            f"({result.error}: {result.cause})\n{harness.trace(execution).render()}"
        )
    return HappyPathRun(scenario=scenario, execution=execution, result=result, seconds=seconds)


@contextmanager
def local_cloud_with_app(repo: Path, work: Path, env: dict[str, str], python: str) -> Iterator[Any]:
    """Synthesize the app (``python app.py``) and yield a harness of a local cloud it is loaded into."""
    try:
        from workflow_local_cloud import running_local_cloud
    except ImportError as error:
        raise LocalCloudMissingError(f"no local cloud in this checkout ({error})") from error
    outdir = work / "local-cloud.out"
    run_measured(
        [python, "app.py"],
        cwd=repo,
        # The local cloud verifies no SES identity: the placeholder senders are fine there
        # (stacks/senders.py), as in `make demo`.
        env={**env, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(LOCAL_CLOUD_CONTEXT)},
        log=work / "logs" / "local-cloud-synth.log",
    )
    with running_local_cloud(outdir, workdir=work / "local-cloud") as harness:
        harness.prewarm()
        # Measure warm runs, as in a behaviour-test session: wait until every worker has started
        # (imported its handler, boto3 and Powertools), so no run pays a cold start.
        deadline = time.monotonic() + PREWARM_TIMEOUT_SECONDS
        while harness.health().get("prewarming") and time.monotonic() < deadline:
            time.sleep(0.05)
        yield harness
