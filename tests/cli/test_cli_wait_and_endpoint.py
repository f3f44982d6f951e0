"""`start --wait` progress, and `--endpoint-url` against a moto server (as against the local cloud)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import boto3
import pytest
from moto.server import ThreadedMotoServer
from rich.console import Console
from workflow_cli.executions import Progress, wait_until_ended


class ScriptedStepFunctions:
    """Answers DescribeExecution with a script of statuses, and history with the state of each step."""

    def __init__(self, script):
        self.script = list(script)
        self.current = None

    def describe_execution(self, executionArn):  # noqa: N803
        status, self.current = self.script.pop(0)
        return {"executionArn": executionArn, "status": status, "startDate": datetime.now(UTC)}

    def get_execution_history(self, executionArn, reverseOrder, maxResults):  # noqa: N803
        assert reverseOrder is True
        if self.current is None:
            return {"events": []}
        return {
            "events": [
                {"id": 9, "type": "TaskStateEntered", "stateEnteredEventDetails": {"name": self.current}}
            ]
        }


def test_wait_reports_each_check_until_the_execution_ends():
    # GIVEN an execution that runs two checks in one state, one in the next, then succeeds
    sfn = ScriptedStepFunctions(
        [
            ("RUNNING", "Charge the card"),
            ("RUNNING", "Charge the card"),
            ("RUNNING", "Send the receipt"),
            ("SUCCEEDED", None),
        ]
    )
    reports, sleeps = [], []
    # WHEN waited on
    ended = wait_until_ended(
        sfn,
        "arn:x",
        poll_seconds=2.5,
        report=lambda e, state: reports.append((e["status"], state)),
        sleep=sleeps.append,
    )
    # THEN every check while running was reported, with a pause after each
    assert ended["status"] == "SUCCEEDED"
    assert reports == [
        ("RUNNING", "Charge the card"),
        ("RUNNING", "Charge the card"),
        ("RUNNING", "Send the receipt"),
    ]
    assert sleeps == [2.5, 2.5, 2.5]


def test_progress_off_a_terminal_prints_a_line_per_state():
    stream = io.StringIO()
    progress = Progress(Console(file=stream, force_terminal=False))
    execution = {"status": "RUNNING", "startDate": datetime.now(UTC)}
    with progress:
        for state in ("Charge the card", "Charge the card", None, "Send the receipt"):
            progress(execution, state)
    assert stream.getvalue().splitlines() == [
        "RUNNING in Charge the card",
        "RUNNING",
        "RUNNING in Send the receipt",
    ]


@pytest.fixture
def moto_server(aws_environment):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_endpoint_url_sends_every_call_there(run, moto_server, monkeypatch):
    # GIVEN a state machine and an execution on a server at another address (like the local cloud)
    sfn = boto3.client("stepfunctions", endpoint_url=moto_server)
    machine = sfn.create_state_machine(
        name="billing",
        definition=json.dumps({"StartAt": "Issue", "States": {"Issue": {"Type": "Pass", "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/workflow",
    )["stateMachineArn"]
    sfn.start_execution(stateMachineArn=machine, name="billing-r-20260302T091500Z-00000001", input="{}")
    # WHEN the CLI is pointed there by option, or by AWS_ENDPOINT_URL
    by_option = run("--endpoint-url", moto_server, "list")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    by_environment = run("status", "billing-r-20260302T091500Z-00000001")
    # THEN it finds them
    assert by_option.exit_code == 0, by_option.stderr
    assert "billing-r-20260302T091500Z-00000001  billing" in by_option.stdout
    assert by_environment.exit_code == 0, by_environment.stderr
    assert by_environment.stdout.startswith("billing-r-20260302T091500Z-00000001  ")
