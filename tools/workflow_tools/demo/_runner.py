"""The demo driver: local cloud up, real CDK CLI bootstrap and deploy, scenarios, traces, summary.

Phases, each timed on screen: synthesize the app with ``cdk synth`` (while the local cloud starts
in a child process), ``cdk bootstrap`` and ``cdk deploy --all`` against it, then every scenario of
:func:`workflow_tools.demo.scenarios`, then the summary. The local cloud is stopped at the end,
whatever happened.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from workflow_local_cloud import LocalCloudHarness, launch
from workflow_local_cloud.harness import FAKE_ACCESS_KEY
from workflow_local_cloud.server import DEFAULT_ACCOUNT, DEFAULT_REGION

from workflow_tools.demo import Scenario, scenarios
from workflow_tools.demo._render import Outcome, summary_table, trace_table

REPO_ROOT = Path(__file__).resolve().parents[3]
WORK_DIR = REPO_ROOT / ".local-cloud" / "demo"
CDK_FLAGS = ("--no-notices", "--no-version-reporting", "--ci")
# The local cloud verifies no SES identity: the placeholder senders are fine there (stacks/senders.py).
# The sample customers are billed on a schedule there (stacks/billing.py), never in a real deploy.
LOCAL_CLOUD_CONTEXT = (
    "--context",
    "allowPlaceholderSenders=true",
    "--context",
    "billing:scheduledCustomers=samples/billing/scheduled-customers.json",
)
CLI_TIMEOUT_SECONDS = 600  # the CLI retries for ~50 s on some errors; a cold npx can be slow too


class DemoError(RuntimeError):
    """A phase of the demo failed before any scenario could run."""


def run_demo(console: Console, *, port: int = 0) -> int:
    """Run the whole demo; returns the process exit code (0: every scenario ended as expected)."""
    started = time.monotonic()
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    WORK_DIR.mkdir(parents=True)
    cloud = launch(port, workdir=WORK_DIR / "server")
    try:
        assembly = WORK_DIR / "cdk.out"
        with _phase(console, "Synthesizing the app (cdk synth) while the local cloud starts"):
            _cdk(
                console,
                ["synth", "--quiet", "--output", str(assembly), *LOCAL_CLOUD_CONTEXT],
                os.environ.copy(),
            )
        with _phase(console, "Starting the local cloud"):
            cloud.wait_ready()
            console.print(f"  local cloud at {cloud.endpoint_url}, simulated time on")
        environment = cli_environment(cloud.endpoint_url)
        with _phase(console, "cdk bootstrap"):
            _cdk(
                console,
                ["bootstrap", f"aws://{DEFAULT_ACCOUNT}/{DEFAULT_REGION}", "--app", str(assembly)],
                environment,
            )
        with _phase(console, "cdk deploy --all"):
            _cdk(
                console,
                [
                    "deploy",
                    "--all",
                    "--app",
                    str(assembly),
                    "--method=direct",
                    "--no-previous-parameters",
                    "--require-approval",
                    "never",
                ],
                environment,
            )
        harness = LocalCloudHarness(cloud.endpoint_url)
        harness.prewarm()
        outcomes = run_scenarios(console, harness, scenarios())
    except DemoError as error:
        console.print(f"[bold red]Demo failed:[/] {error}")
        console.print(f"[dim]local cloud log: {cloud.log_path}[/]")
        return 1
    finally:
        cloud.stop()
    console.print(summary_table(outcomes))
    failed = [outcome for outcome in outcomes if outcome.passed is False]
    ran = [outcome for outcome in outcomes if outcome.passed is not None]
    console.print(
        f"{len(ran)} scenario(s) run, {len(failed)} failed, {len(outcomes) - len(ran)} skipped; "
        f"demo took {time.monotonic() - started:.1f} s"
    )
    return 1 if failed else 0


def run_scenarios(
    console: Console, harness: LocalCloudHarness, declared: Sequence[Scenario]
) -> list[Outcome]:
    """Run each scenario whose workflow is deployed, print its trace, and say how each ended."""
    deployed = set(harness.workflows())
    covered = {scenario.workflow for scenario in declared}
    for workflow in sorted(deployed - covered):
        console.print(
            f"[yellow]Workflow [{workflow}] is deployed but has no demo scenario: add "
            f"tools/workflow_tools/demo/{workflow.replace('-', '_')}.py[/]"
        )
    outcomes = []
    for scenario in declared:
        console.rule(f"{scenario.workflow}: {scenario.title}")
        outcomes.append(_run_one(console, harness, scenario))
    if not [outcome for outcome in outcomes if outcome.passed is not None]:
        console.print("[yellow]No scenario ran: the app deploys no workflow with a scenario yet.[/]")
    return outcomes


def cli_environment(endpoint_url: str) -> dict[str, str]:
    """What the CDK CLI needs to deploy to the local cloud (and nothing of a real AWS profile)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update(
        {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_ACCESS_KEY,
            "AWS_REGION": DEFAULT_REGION,
            "AWS_DEFAULT_REGION": DEFAULT_REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(WORK_DIR / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(WORK_DIR / "no-aws-credentials"),
            "CDK_DISABLE_CLI_TELEMETRY": "true",
        }
    )
    return environment


def _run_one(console: Console, harness: LocalCloudHarness, scenario: Scenario) -> Outcome:
    expected = scenario.expect_status + (f" ({scenario.expect_error})" if scenario.expect_error else "")

    def outcome(actual: str, passed: bool | None, note: str = "", **timing: float) -> Outcome:
        return Outcome(
            workflow=scenario.workflow,
            title=scenario.title,
            expected=expected,
            actual=actual,
            passed=passed,
            note=note,
            seconds=timing.get("seconds"),
            retries=int(timing.get("retries", 0)),
            simulated_seconds=timing.get("simulated", 0.0),
        )

    if scenario.workflow not in harness.workflows() and scenario.before is None:
        console.print(f"  [dim]skipped: the app does not deploy [{scenario.workflow}][/]")
        return outcome("not deployed", None, "skipped")
    try:
        if scenario.before is not None:
            scenario.before(harness)
        if scenario.start is not None:
            execution = scenario.start(harness)
        else:
            execution = harness.start(scenario.workflow, scenario.input(), reason=scenario.reason)
        if scenario.during is not None:
            scenario.during(harness, execution)
        result = harness.wait(execution, timeout=scenario.timeout_seconds)
    except Exception as error:  # a broken scenario must not hide the others
        console.print(f"  [red]{type(error).__name__}: {error}[/]")
        return outcome("error", False, type(error).__name__)
    trace = harness.trace(execution)
    console.print(trace_table(trace))
    actual = result.status + (f" ({result.error})" if result.error else "")
    passed = result.status == scenario.expect_status and (
        scenario.expect_error is None or result.error == scenario.expect_error
    )
    return outcome(
        actual,
        passed,
        seconds=result.seconds,
        retries=sum(run.retries for run in trace.runs),
        simulated=trace.simulated_seconds,
    )


@contextmanager
def _phase(console: Console, title: str) -> Iterator[None]:
    console.print(f"[bold]▶ {title}[/]")
    started = time.monotonic()
    yield
    console.print(f"  [green]done in {time.monotonic() - started:.1f} s[/]")


def _cdk(console: Console, arguments: list[str], environment: dict[str, str]) -> None:
    """Run the pinned CDK CLI (node_modules/.bin first on PATH), showing its output as it comes."""
    node_bin = str(REPO_ROOT / "node_modules" / ".bin")
    environment = {**environment, "PATH": f"{node_bin}{os.pathsep}{environment.get('PATH', '')}"}
    cdk = shutil.which("cdk", path=environment["PATH"])
    if cdk is None:
        raise DemoError("the CDK CLI is not installed: run `make setup`")
    command = [cdk, *arguments, *CDK_FLAGS]
    process = subprocess.Popen(  # noqa: S603 - the pinned CLI with our own arguments
        command,
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip():
            console.print(f"  [dim]│ {line.rstrip()}[/]", markup=True, highlight=False)
    if process.wait(timeout=CLI_TIMEOUT_SECONDS) != 0:
        raise DemoError(f"`cdk {' '.join(arguments)}` exited with status {process.returncode}")
