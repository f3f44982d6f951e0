"""The `workflows` CLI against the local cloud: real executions, real handler code, real log lines.

The local cloud runs the stand-in workflows of ``operations_cli_app`` (a child process of its own,
for this module); the CLI reaches it through ``--endpoint-url``, as an operator would.
"""

from __future__ import annotations

import json
import re

import pytest
from workflow_local_cloud import running_local_cloud
from workflow_local_cloud.server import DEFAULT_REGION

from tests.behaviour.operations_cli_app import BILLING, DEPLOYMENT, build_app
from tests.cli.support import invoke_workflows, isolate_aws_environment


@pytest.fixture(scope="module")
def ops_cloud(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("operations-cli.out")
    code = tmp_path_factory.mktemp("operations-cli-code")
    with running_local_cloud(lambda: build_app(outdir, code)) as harness:
        yield harness


@pytest.fixture
def cli(ops_cloud, monkeypatch):
    """``cli("why", name)``: run ``workflows --endpoint-url <local cloud> ...`` with throwaway credentials."""
    isolate_aws_environment(monkeypatch, region=DEFAULT_REGION)

    def invoke(*args, input=None):
        return invoke_workflows(ops_cloud.endpoint_url, *args, input=input)

    yield invoke
    ops_cloud.clear_faults()


WAIT = ("--wait", "--poll-seconds", "0.05")


def _started(result) -> str:
    return re.search(r"^Started (\S+)$", result.stdout, re.MULTILINE).group(1)


def test_start_wait_reports_a_success_and_its_output(cli):
    result = cli(
        "start",
        BILLING,
        "--reason",
        "small charge",
        "--input",
        "-",
        *WAIT,
        input=json.dumps({"amount": 10}),
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"^SUCCEEDED after", result.stdout, re.MULTILINE)
    assert json.loads(result.stdout.splitlines()[-1])["charge"] == {"charged": 10}


def test_start_wait_then_why_explain_a_declined_charge(cli, ops_cloud):
    # GIVEN a card charge that fails twice for a passing reason, then is declined for good
    ops_cloud.inject_transient_fault(BILLING, "Charge the card", times=2, error="TransientError")
    # WHEN started and waited on
    started = cli(
        "start",
        BILLING,
        "--reason",
        "Card over limit",
        "--input",
        "-",
        "--correlation-id",
        "order-5000",
        *WAIT,
        input=json.dumps({"amount": 5000}),
    )
    # THEN it ends in failure (exit 1) and says where and why
    assert started.exit_code == 1, started.output
    name = _started(started)
    assert name.startswith(f"{BILLING}-card-over-limit-")
    assert "  in state Charge the card: PaymentDeclined\n" in started.stdout
    assert f"  Explain: workflows why {name}\n" in started.stdout

    # WHEN asked why
    why = cli("why", name)
    assert why.exit_code == 0, why.output
    lines = why.stdout.splitlines()
    # THEN the failing state, the handler's error and message, and the line that raised it
    assert "  correlation id  order-5000" in lines
    assert "  failed in       Charge the card" in lines
    assert "  error           PaymentDeclined" in lines
    assert "  cause           card ending 4242 was declined: 5000 is over the limit of 1000" in lines
    assert any(
        re.match(r'  raised at       File ".*ops_check\.py", line \d+, in charge_card$', line)
        for line in lines
    )
    # AND the retries it took
    assert "  Charge the card: 3 attempts (2 retries), failed: TransientError x2, PaymentDeclined" in lines
    # AND the request's own log lines, from the real handler code
    logs = why.stdout.split("Log lines of correlation id order-5000\n")[1].splitlines()
    # "  <date> <time>  <LEVEL>  <service>  <message>  <key=value ...>"
    messages = [re.match(r"  \S+ \S+  [A-Z]+ +ops-check  (.+?)(?:  |$)", line).group(1) for line in logs]
    assert messages == [
        "Step started",
        "Step finished",
        "Step started",
        "Charging the card",
        "Step failed",
    ], why.stdout
    assert any("step=charge_card error=PaymentDeclined duration_ms=" in line for line in logs)


def test_status_and_list_find_the_execution(cli):
    name = _started(
        cli(
            "start",
            BILLING,
            "--reason",
            "list me",
            "--input",
            "-",
            *WAIT,
            input=json.dumps({"amount": 7}),
        )
    )
    status = cli("status", name)
    assert status.exit_code == 0
    assert status.stdout.splitlines()[0] == f"{name}  SUCCEEDED"
    listed = cli("list", "--workflow", BILLING, "--status", "SUCCEEDED", "--since", "1h")
    assert name in [line.split()[0] for line in listed.stdout.splitlines()[1:]]


def test_an_unknown_workflow_lists_what_is_deployed(cli):
    result = cli("start", "bill", "--reason", "typo", "--input", "-", input="{}")
    assert result.exit_code == 2
    assert result.stderr == f"error: unknown workflow [bill]; known workflows: {BILLING}, {DEPLOYMENT}\n"


def test_a_deployment_without_its_entry_is_not_started(cli, ops_cloud):
    # GIVEN an app whose stack-deployment has no deployment entry (this stand-in has no
    # StackDeployment stack): nothing could record who asked, nor tell an approver from them
    before = ops_cloud.client("stepfunctions").list_executions(
        stateMachineArn=ops_cloud.state_machine_arn(DEPLOYMENT)
    )["executions"]
    # WHEN an operator starts a deployment
    started = cli("start", DEPLOYMENT, "--reason", "release api", "--input", "-", input='{"stack": "api"}')
    # THEN the CLI says why and starts nothing (approvals on the real app: test_operations_cli_on_the_app.py)
    assert started.exit_code == 4
    assert started.stderr.startswith("error: stack [StackDeployment] could not be read")
    after = ops_cloud.client("stepfunctions").list_executions(
        stateMachineArn=ops_cloud.state_machine_arn(DEPLOYMENT)
    )["executions"]
    assert after == before
