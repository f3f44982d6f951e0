"""`redrivability`: whether an execution can be redriven, read from its DescribeExecution answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from workflow_tools.cli.errors import ExitCode
from workflow_tools.cli.redrive import MAX_REDRIVES, Redrivability, RedriveRefusedError, redrivability

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
