"""`workflows why` on recorded histories, with the request's log lines read from CloudWatch Logs (moto)."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from workflow_cli.aws import Aws

from tests.cli.recorded import load_history, started_recently

FUNCTION = "arn:aws:lambda:eu-west-1:111111111111:function:billing-ChargeCard"
DEFINITION = {
    "StartAt": "Charge the card",
    "States": {
        "Charge the card": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": FUNCTION, "Payload.$": "$"},
            "End": True,
        }
    },
}


class RecordedStepFunctions:
    """Step Functions answering from one recorded history (pages of 5 events, like a long history)."""

    def __init__(self, recorded: dict, definition: dict) -> None:
        self.recorded = recorded
        self.definition = definition
        arn = recorded["executionArn"]
        self.machine = arn.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]
        events = recorded["events"]
        ended = recorded["status"] != "RUNNING"
        self.description = {
            "executionArn": arn,
            "stateMachineArn": self.machine,
            "name": arn.rsplit(":", 1)[1],
            "status": recorded["status"],
            "startDate": events[0]["timestamp"],
            "input": events[0]["executionStartedEventDetails"]["input"],
            **({"stopDate": events[-1]["timestamp"]} if ended else {}),
        }

    def list_state_machines(self, **_):
        return {"stateMachines": [{"name": self.machine.rsplit(":", 1)[1], "stateMachineArn": self.machine}]}

    def describe_execution(self, executionArn):  # noqa: N803
        if executionArn != self.description["executionArn"]:
            raise ClientError(
                {"Error": {"Code": "ExecutionDoesNotExist", "Message": "nope"}}, "DescribeExecution"
            )
        return self.description

    def get_execution_history(self, executionArn, maxResults=1000, nextToken=None, reverseOrder=False):  # noqa: N803
        start = int(nextToken or 0)
        page = {"events": self.recorded["events"][start : start + 5]}
        if start + 5 < len(self.recorded["events"]):
            page["nextToken"] = str(start + 5)
        return page

    def describe_state_machine_for_execution(self, executionArn):  # noqa: N803
        return {"definition": json.dumps(self.definition)}


class Clients:
    """The recorded Step Functions; every other service from moto."""

    def __init__(self, sfn):
        self.sfn = sfn
        self.aws = Aws()

    def client(self, service):
        return self.sfn if service == "stepfunctions" else self.aws.client(service)


@pytest.fixture
def billing_failure(aws_environment):
    recorded = started_recently(load_history("billing-retries-exhausted"))
    with mock_aws():
        yield recorded, Clients(RecordedStepFunctions(recorded, DEFINITION))


def _put_lines(recorded, group, lines):
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="2026/03/02/[$LATEST]abc")
    start = recorded["events"][0]["timestamp"]
    logs.put_log_events(
        logGroupName=group,
        logStreamName="2026/03/02/[$LATEST]abc",
        logEvents=[
            {
                "timestamp": int((start + timedelta(seconds=offset)).timestamp() * 1000),
                "message": json.dumps(line),
            }
            for offset, line in lines
        ],
    )


def test_why_explains_exhausted_retries_and_shows_the_requests_log_lines(run, billing_failure):
    recorded, clients = billing_failure
    # GIVEN the function's log lines of this request, and of another request
    _put_lines(
        recorded,
        "/aws/lambda/billing-ChargeCard",
        [
            (
                1,
                {
                    "level": "INFO",
                    "message": "Step started",
                    "service": "billing",
                    "correlation_id": "order-7f3e2a",
                    "step": "charge_card",
                },
            ),
            (
                2,
                {
                    "level": "INFO",
                    "message": "Step started",
                    "service": "billing",
                    "correlation_id": "someone-else",
                },
            ),
            (
                3,
                {
                    "level": "WARNING",
                    "message": "Step failed",
                    "service": "billing",
                    "correlation_id": "order-7f3e2a",
                    "step": "charge_card",
                    "error": "TransientError",
                    "duration_ms": 10003.2,
                },
            ),
        ],
    )
    # WHEN asked why, by name
    outcome = run("why", "billing-monthly-invoice-20260302T091500Z-1a2b3c4d", obj=clients)
    # THEN the failing state, its error, the Lambda's message and where it was raised
    assert outcome.exit_code == 0, outcome.stderr
    text = outcome.stdout
    assert "billing-monthly-invoice-20260302T091500Z-1a2b3c4d  FAILED  (" in text
    assert "  correlation id  order-7f3e2a\n" in text
    assert "  failed in       Charge the card\n" in text
    assert "  error           TransientError\n" in text
    assert "  cause           payment provider timed out after 10s\n" in text
    assert '  raised at       File "/var/task/billing/logic.py", line 88, in charge\n' in text
    # AND the retries it took, per step
    assert "Retries and failures\n" in text
    throttled = "DynamoDB.ProvisionedThroughputExceededException"
    assert f"  Record the invoice: 2 attempts (1 retry), succeeded: {throttled}\n" in text
    assert "  Charge the card: 4 attempts (3 retries), failed: TransientError x4\n" in text
    # AND the tail of the history (the recorded one has 28 events, read in pages of 5)
    assert "Last 10 of 28 events\n" in text
    assert text.count("  TaskFailed ") >= 3
    # AND only this request's log lines
    log_part = text.split("Log lines of correlation id order-7f3e2a\n")[1]
    assert [line[len("  2026-03-02 09:15:01Z") :] for line in log_part.splitlines()] == [
        "  INFO     billing  Step started  step=charge_card",
        "  WARNING  billing  Step failed  step=charge_card error=TransientError duration_ms=10003.2",
    ]


def test_why_without_a_log_group_finds_no_lines(run, billing_failure):
    # GIVEN no log group at all for the workflow's function (it never logged)
    _, clients = billing_failure
    outcome = run("why", "billing-monthly-invoice-20260302T091500Z-1a2b3c4d", "--tail", "0", obj=clients)
    # THEN the explanation is given, and the search says it found nothing
    assert outcome.exit_code == 0
    assert "Last " not in outcome.stdout
    assert "Logs unavailable" not in outcome.stdout
    assert outcome.stdout.endswith("  No lines found in 1 log group(s).\n")


class DeniedLogs:
    """A CloudWatch Logs client the caller may not read."""

    def filter_log_events(self, **request):
        raise ClientError(
            {
                "Error": {
                    "Code": "AccessDeniedException",
                    "Message": "not authorized to perform: logs:FilterLogEvents",
                }
            },
            "FilterLogEvents",
        )


def test_why_tolerates_unreadable_logs(run, billing_failure):
    # GIVEN an operator who may not read the function's logs
    _, clients = billing_failure
    denied = Clients(clients.sfn)
    denied.client = lambda service: DeniedLogs() if service == "logs" else clients.client(service)
    outcome = run("why", "billing-monthly-invoice-20260302T091500Z-1a2b3c4d", "--tail", "0", obj=denied)
    # THEN the explanation stands, and one line says why there are no log lines
    assert outcome.exit_code == 0
    assert "  failed in       Charge the card\n" in outcome.stdout
    assert (
        "  Logs unavailable /aws/lambda/billing-ChargeCard: AccessDeniedException: "
        "not authorized to perform: logs:FilterLogEvents\n"
    ) in outcome.stdout


def test_why_without_logs_skips_them(run, billing_failure):
    _, clients = billing_failure
    outcome = run("why", "billing-monthly-invoice-20260302T091500Z-1a2b3c4d", "--no-logs", obj=clients)
    assert "Log lines" not in outcome.stdout


def test_why_on_a_caught_failure_shows_the_root_failure(run, aws_environment):
    recorded = load_history("onboarding-caught-then-failed")
    clients = Clients(
        RecordedStepFunctions(recorded, {"StartAt": "x", "States": {"x": {"Type": "Pass", "End": True}}})
    )
    outcome = run("why", recorded["executionArn"], "--tail", "0", obj=clients)
    lines = outcome.stdout.splitlines()
    assert "  failed in       Onboarding failed" in lines
    assert "  error           OnboardingFailed" in lines
    assert "  Root failure in Create the customer account (caught): AccountAlreadyExists" in lines
    assert "  cause           customer c-9 already has account acc-77" in lines
    assert "  Create the customer account: 1 attempt, caught: AccountAlreadyExists" in lines


def test_why_on_a_nested_failure_says_which_child_to_explain_next(run, aws_environment):
    recorded = load_history("onboarding-nested-billing-failed")
    clients = Clients(RecordedStepFunctions(recorded, DEFINITION))
    outcome = run("why", recorded["executionArn"], "--tail", "0", "--no-logs", obj=clients)
    assert (
        "  explain next    workflows why "
        "arn:aws:states:eu-west-1:111111111111:execution:billing:billing-first-invoice-20260302T091501Z-00c0ffee"
    ) in outcome.stdout.splitlines()


def test_why_on_a_running_execution_says_where_it_is(run, aws_environment):
    recorded = load_history("stack-deployment-waiting-for-approval")
    clients = Clients(RecordedStepFunctions(recorded, DEFINITION))
    outcome = run("why", recorded["executionArn"], "--tail", "0", "--no-logs", obj=clients)
    assert outcome.stdout.splitlines()[3:] == [
        "  running in      Wait for approval",
        "  Nothing has failed the execution (yet).",
    ]
