"""`redrivability`: whether an execution can be redriven, read from its DescribeExecution answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from workflow_cli.errors import ExitCode
from workflow_cli.redrive import MAX_REDRIVES, Redrivability, RedriveRefusedError, redrivability

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _described(**fields):
    return {"name": "billing-x", "status": "FAILED", "stopDate": NOW - timedelta(hours=2), **fields}


def test_a_recent_failure_can_be_redriven_until_14_days_after_its_stop():
    verdict = redrivability(_described(redriveStatus="REDRIVABLE"), now=NOW)
    assert verdict == Redrivability(
        True, "it can be redriven from the state that did not succeed until 2026-12-18 10:00 UTC"
    )


def test_the_redrives_so_far_are_counted():
    verdict = redrivability(_described(redriveCount=2, redriveStatus="REDRIVABLE"), now=NOW)
    assert verdict.redrivable
    assert verdict.reason.endswith(", redriven 2 times so far")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": "SUCCEEDED"}, "it succeeded: there is nothing to redrive"),
        (
            {"status": "RUNNING"},
            "it is RUNNING: only a FAILED, TIMED_OUT or ABORTED execution can be redriven",
        ),
        ({"redriveCount": MAX_REDRIVES}, "redrive limit: it was redriven 1000 times"),
        ({"stopDate": NOW - timedelta(days=15)}, "too old: it stopped 15 days ago (2026-11-19 12:00 UTC)"),
        (
            {
                "redriveStatus": "NOT_REDRIVABLE",
                "redriveStatusReason": "Execution history event limit exceeded.",
            },
            "Step Functions says: Execution history event limit exceeded.",
        ),
    ],
)
def test_what_cannot_be_redriven_says_why(fields, reason):
    verdict = redrivability(_described(**fields), now=NOW)
    assert not verdict.redrivable
    assert verdict.reason.startswith(reason)


def test_the_last_moment_of_the_window_is_still_redrivable():
    assert redrivability(_described(stopDate=NOW - timedelta(days=14)), now=NOW).redrivable


def test_a_refusal_exits_with_its_own_code():
    assert RedriveRefusedError("x").exit_code == ExitCode.REFUSED == 5


class RefusingStepFunctions:
    """Step Functions that reports an execution redrivable, then refuses the redrive itself."""

    ARN = "arn:aws:states:eu-west-1:111111111111:execution:billing:billing-x"

    def __init__(self) -> None:
        self.redrives = 0

    def client(self, service: str) -> RefusingStepFunctions:
        return self

    def describe_execution(self, executionArn: str) -> dict:  # noqa: N803 - boto3's name
        return {
            "executionArn": executionArn,
            "name": "billing-x",
            "status": "FAILED",
            "stopDate": datetime.now(UTC),
            "redriveStatus": "REDRIVABLE",
        }

    def redrive_execution(self, executionArn: str) -> dict:  # noqa: N803 - boto3's name
        self.redrives += 1
        raise ClientError(
            {
                "Error": {
                    "Code": "ExecutionNotRedrivable",
                    "Message": "Execution history event limit exceeded.",
                }
            },
            "RedriveExecution",
        )


def test_a_redrive_step_functions_refuses_exits_5_with_its_message(run):
    # GIVEN an execution Step Functions refuses to redrive when asked (its limits are its own)
    clients = RefusingStepFunctions()

    # WHEN it is redriven
    outcome = run("redrive", RefusingStepFunctions.ARN, obj=clients)

    # THEN the CLI says what Step Functions said, and exits 5
    assert outcome.exit_code == 5
    assert outcome.stderr.strip() == (
        "error: cannot redrive [billing-x]: Step Functions says: Execution history event limit exceeded."
    )
    assert clients.redrives == 1
