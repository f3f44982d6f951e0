"""Timeouts end executions as AWS does, in simulated time too.

https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html: a definition's
``TimeoutSeconds`` is "the maximum number of seconds an execution of the state machine can run.
If it runs longer than the specified time, the execution fails with a States.Timeout error"; its
status is ``TIMED_OUT`` and the history ends with ``ExecutionTimedOut``. Where AWS puts
``States.Timeout`` for an execution timeout (event details, DescribeExecution) is not documented;
the local cloud records none (pinned). A Task's ``TimeoutSeconds`` / ``HeartbeatSeconds`` fail
the task with ``States.Timeout`` in a ``TaskTimedOut`` event without a cause
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html); those run in
real time (the task is real work or a real callback), so their cases use 1 s.
"""

from __future__ import annotations

import pytest

FAILING_CALL = {
    "Type": "Task",
    "Resource": "arn:aws:states:::sqs:sendMessage",
    "Parameters": {"QueueUrl": "http://localhost/123456789012/no-such-queue", "MessageBody": "x"},
}


@pytest.fixture(scope="module")
def queue(conformance_cloud):
    return conformance_cloud.client("sqs").create_queue(QueueName="conformance-timeouts")["QueueUrl"]


def _callback(queue: str, **fields) -> dict:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
        **fields,
    }


@pytest.mark.conformance("timeouts")
def test_a_wait_longer_than_the_execution_timeout_times_the_execution_out(cases):
    run = cases.run(
        {
            "TimeoutSeconds": 10,
            "StartAt": "Wait",
            "States": {
                "Wait": {"Type": "Wait", "Seconds": 30, "Next": "After"},
                "After": {"Type": "Succeed"},
            },
        }
    )

    assert run.status == "TIMED_OUT"
    assert [event["type"] for event in run.history][-2:] == ["WaitStateEntered", "ExecutionTimedOut"]
    assert not run.events("SucceedStateEntered")
    # Not documented by AWS: where the execution timeout's States.Timeout is shown; locally nowhere.
    assert (run.error, run.cause) == (None, None)


@pytest.mark.conformance("timeouts")
def test_waits_within_the_execution_timeout_succeed(cases):
    run = cases.run(
        {
            "TimeoutSeconds": 100,
            "StartAt": "First",
            "States": {
                "First": {"Type": "Wait", "Seconds": 40, "Next": "Second"},
                "Second": {"Type": "Wait", "Seconds": 40, "End": True},
            },
        }
    )

    assert run.status == "SUCCEEDED"


@pytest.mark.conformance("timeouts")
def test_waits_that_add_up_past_the_execution_timeout_time_it_out(cases):
    run = cases.run(
        {
            "TimeoutSeconds": 100,
            "StartAt": "First",
            "States": {
                "First": {"Type": "Wait", "Seconds": 60, "Next": "Second"},
                "Second": {"Type": "Wait", "Seconds": 60, "End": True},
            },
        }
    )

    assert run.status == "TIMED_OUT"
    assert run.events("WaitStateExited")[0]["stateExitedEventDetails"]["name"] == "First"
    assert len(run.events("WaitStateExited")) == 1
    assert sum(pause.seconds for pause in cases.cloud.pauses(run.execution_arn)) == pytest.approx(100, abs=1)


@pytest.mark.conformance("timeouts")
def test_retry_backoff_counts_against_the_execution_timeout(cases):
    state = {
        **FAILING_CALL,
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 30, "MaxAttempts": 5}],
        "End": True,
    }

    run = cases.run({"TimeoutSeconds": 45, "StartAt": "Call", "States": {"Call": state}})

    assert run.status == "TIMED_OUT"
    assert len(run.events("TaskScheduled")) == 2


@pytest.mark.conformance("timeouts")
def test_a_wait_inside_a_map_iteration_times_the_execution_out(cases):
    definition = {
        "TimeoutSeconds": 5,
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "StartAt": "Wait",
                    "States": {"Wait": {"Type": "Wait", "Seconds": 60, "End": True}},
                },
                "End": True,
            }
        },
    }

    run = cases.run(definition, {"items": [1, 2]})

    assert run.status == "TIMED_OUT"
    assert run.events("ExecutionTimedOut")


@pytest.mark.conformance("timeouts")
def test_a_task_timeout_fails_the_task_with_states_timeout_and_no_cause(cases, queue):
    run = cases.run({"StartAt": "Ask", "States": {"Ask": _callback(queue, TimeoutSeconds=1, End=True)}})

    assert (run.status, run.error, run.cause) == ("FAILED", "States.Timeout", None)
    (timed_out,) = run.events("TaskTimedOut")
    assert timed_out["taskTimedOutEventDetails"]["error"] == "States.Timeout"
    assert "cause" not in timed_out["taskTimedOutEventDetails"]


@pytest.mark.conformance("timeouts")
def test_a_missed_heartbeat_fails_the_task_with_states_timeout(cases, queue):
    run = cases.run({"StartAt": "Ask", "States": {"Ask": _callback(queue, HeartbeatSeconds=1, End=True)}})

    assert (run.status, run.error, run.cause) == ("FAILED", "States.Timeout", None)


@pytest.mark.conformance("timeouts")
def test_a_task_timeout_is_caught_by_states_timeout_not_by_states_task_failed(cases, queue):
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": _callback(
                queue,
                TimeoutSeconds=1,
                Catch=[
                    {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.failed", "Next": "Done"},
                    {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timedOut", "Next": "Done"},
                ],
                End=True,
            ),
            "Done": {"Type": "Succeed"},
        },
    }

    run = cases.run(definition, {"order": 1})

    assert run.status == "SUCCEEDED"
    assert run.output["order"] == 1
    assert "failed" not in run.output
    assert run.output["timedOut"]["Error"] == "States.Timeout"
