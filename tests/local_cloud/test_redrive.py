"""RedriveExecution on the local cloud (patch "sfn-redrive").

AWS: https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html and the
RedriveExecution API reference. A FAILED, TIMED_OUT or ABORTED Standard execution continues under
the same ARN from the state that did not succeed, with that state's input; the states that
succeeded are not run again. Anything else is refused with ExecutionNotRedrivable and the reason
DescribeExecution gives as ``redriveStatusReason``. moto 5.2.5 has no RedriveExecution at all.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
from workflow_local_cloud import running_local_cloud
from workflow_local_cloud.redrive import (
    LIMIT_REASON,
    MAX_REDRIVES,
    PERIOD_REASON,
    RUNNING_REASON,
    SUCCEEDED_REASON,
    RestartPoint,
    refusal,
    restart_point,
)

FIRST, SECOND, THIRD = "Send the first message", "Send the second message", "Send the third message"


@pytest.fixture(scope="module")
def cloud():
    with running_local_cloud() as harness:
        yield harness


@pytest.fixture
def queue(cloud) -> str:
    return str(cloud.client("sqs").create_queue(QueueName=f"redrive-{uuid.uuid4().hex[:8]}")["QueueUrl"])


def _send(name: str, queue: str, following: str | None) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": queue, "MessageBody": name},
        "ResultPath": None,
    }
    if following:
        state["Next"] = following
    else:
        state["End"] = True
    return state


def _machine(cloud: Any, definition: dict[str, Any]) -> str:
    name = f"redrive-{uuid.uuid4().hex[:8]}"
    cloud.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/redrive"
    )
    return name


def _three_sends(cloud: Any, queue: str) -> str:
    return _machine(
        cloud,
        {
            "StartAt": "Take the order",
            "States": {
                "Take the order": {
                    "Type": "Pass",
                    "Result": {"order": "o-1"},
                    "ResultPath": "$.order",
                    "Next": FIRST,
                },
                FIRST: _send(FIRST, queue, SECOND),
                SECOND: _send(SECOND, queue, THIRD),
                THIRD: _send(THIRD, queue, None),
            },
        },
    )


def _messages(cloud: Any, queue: str) -> list[str]:
    bodies = []
    while True:
        got = cloud.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return sorted(bodies)
        bodies.extend(message["Body"] for message in got)


def _failed_at_second(cloud: Any, queue: str) -> tuple[str, Any]:
    workflow = _three_sends(cloud, queue)
    cloud.inject_permanent_fault(workflow, SECOND)
    result = cloud.run(workflow, {"customer": "c-1"})
    assert result.status == "FAILED", cloud.trace(result.execution).render()
    return workflow, result


def test_a_failed_execution_continues_from_the_failed_state_and_runs_nothing_twice(cloud, queue):
    # GIVEN an execution that sent the first message, then failed at the second
    _, failed = _failed_at_second(cloud, queue)
    sfn = cloud.client("stepfunctions")
    before = sfn.describe_execution(executionArn=failed.execution.arn)
    assert (before["redriveStatus"], before["redriveCount"]) == ("REDRIVABLE", 0)
    assert "redriveStatusReason" not in before
    events_before = len(cloud.history(failed.execution))

    # WHEN the fault is cleared and the execution is redriven
    cloud.clear_faults()
    redriven = cloud.redrive(failed.execution)
    result = cloud.wait(redriven)

    # THEN it succeeds under the same ARN; the first message was sent once, the others once
    assert redriven.arn == failed.execution.arn
    assert result.status == "SUCCEEDED", cloud.trace(redriven).render()
    assert (result.error, result.cause) == (None, None)
    assert _messages(cloud, queue) == sorted([FIRST, SECOND, THIRD])
    after = sfn.describe_execution(executionArn=redriven.arn)
    assert after["redriveCount"] == 1
    assert isinstance(after["redriveDate"], datetime.datetime)
    assert (after["redriveStatus"], after["redriveStatusReason"]) == ("NOT_REDRIVABLE", SUCCEEDED_REASON)
    # ... and the history goes on: an ExecutionRedriven event, then the second state again with its input
    history = cloud.history(redriven)
    redrive_event = history[events_before]
    assert redrive_event["type"] == "ExecutionRedriven"
    assert redrive_event["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert redrive_event["id"] == events_before + 1
    entered = [
        e["stateEnteredEventDetails"] for e in history[events_before:] if e["type"].endswith("Entered")
    ]
    assert [e["name"] for e in entered] == [SECOND, THIRD]
    assert json.loads(entered[0]["input"]) == {"customer": "c-1", "order": {"order": "o-1"}}
    assert history[-1]["type"] == "ExecutionSucceeded"


def test_a_succeeded_execution_is_refused_with_aws_reason_and_changes_nothing(cloud, queue):
    # GIVEN a succeeded execution
    result = cloud.run(_three_sends(cloud, queue), {})
    assert result.status == "SUCCEEDED"
    events = len(cloud.history(result.execution))
    sfn = cloud.client("stepfunctions")

    # WHEN it is redriven THEN Step Functions refuses with the reason, and nothing ran again
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable, match=SUCCEEDED_REASON):
        cloud.redrive(result.execution)
    assert len(cloud.history(result.execution)) == events
    assert sfn.describe_execution(executionArn=result.execution.arn)["redriveCount"] == 0
    assert len(_messages(cloud, queue)) == 3


def test_an_execution_stopped_more_than_14_days_ago_is_past_the_redrive_period(cloud, queue):
    # GIVEN a failed execution that stopped 15 days ago
    _, failed = _failed_at_second(cloud, queue)
    cloud.clear_faults()
    cloud.backdate(failed.execution, days=15)
    sfn = cloud.client("stepfunctions")

    # THEN it is not redrivable, and a redrive is refused with that reason
    description = sfn.describe_execution(executionArn=failed.execution.arn)
    assert (description["redriveStatus"], description["redriveStatusReason"]) == (
        "NOT_REDRIVABLE",
        PERIOD_REASON,
    )
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable, match=PERIOD_REASON):
        cloud.redrive(failed.execution)
    assert _messages(cloud, queue) == [FIRST]


def test_a_running_execution_is_refused(cloud):
    # GIVEN an execution waiting for a callback
    workflow = _machine(
        cloud,
        {
            "StartAt": "Wait for the approval",
            "States": {
                "Wait for the approval": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {
                        "QueueUrl": cloud.client("sqs").create_queue(QueueName=f"q-{uuid.uuid4().hex[:6]}")[
                            "QueueUrl"
                        ],
                        "MessageBody": {"token.$": "$$.Task.Token"},
                    },
                    "End": True,
                }
            },
        },
    )
    execution = cloud.start(workflow, {})
    cloud.task_token(execution, "Wait for the approval")
    sfn = cloud.client("stepfunctions")

    # THEN it cannot be redriven while it runs
    assert sfn.describe_execution(executionArn=execution.arn)["redriveStatusReason"] == RUNNING_REASON
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable, match=RUNNING_REASON):
        cloud.redrive(execution)

    # WHEN it goes on and succeeds THEN that is refused too
    cloud.complete_callback(execution, "Wait for the approval", {"approved": True})
    assert cloud.wait(execution).status == "SUCCEEDED"
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable, match=SUCCEEDED_REASON):
        cloud.redrive(execution)


def test_list_executions_filters_by_redrive_and_counts_redrives(cloud, queue):
    # GIVEN one redriven execution and one that was not
    workflow, failed = _failed_at_second(cloud, queue)
    other = cloud.run(workflow, {})
    cloud.clear_faults()
    cloud.wait(cloud.redrive(failed.execution))
    sfn = cloud.client("stepfunctions")
    arn = cloud.state_machine_arn(workflow)

    # WHEN the executions are listed by redrive filter
    redriven = sfn.list_executions(stateMachineArn=arn, redriveFilter="REDRIVEN")["executions"]
    not_redriven = sfn.list_executions(stateMachineArn=arn, redriveFilter="NOT_REDRIVEN")["executions"]

    # THEN each list holds its own, with its redrive count
    assert [(e["executionArn"], e["redriveCount"]) for e in redriven] == [(failed.execution.arn, 1)]
    assert [(e["executionArn"], e["redriveCount"]) for e in not_redriven] == [(other.execution.arn, 0)]
    assert "redriveDate" in redriven[0]


def test_a_bad_redrive_filter_is_a_validation_error(cloud, queue):
    sfn = cloud.client("stepfunctions")
    with pytest.raises(sfn.exceptions.ClientError, match="redriveFilter"):
        sfn.list_executions(
            stateMachineArn=cloud.state_machine_arn(_three_sends(cloud, queue)), redriveFilter="SOMETIMES"
        )


def test_the_same_client_token_answers_the_same_redrive_and_starts_nothing(cloud, queue):
    # GIVEN a failed execution redriven with a client token
    _, failed = _failed_at_second(cloud, queue)
    cloud.clear_faults()
    sfn = cloud.client("stepfunctions")
    first = sfn.redrive_execution(executionArn=failed.execution.arn, clientToken="redrive-once")
    cloud.wait(failed.execution)

    # WHEN the same request is sent again (a retried call)
    again = sfn.redrive_execution(executionArn=failed.execution.arn, clientToken="redrive-once")

    # THEN it answers the same redrive date and runs nothing again
    assert again["redriveDate"] == first["redriveDate"]
    assert sfn.describe_execution(executionArn=failed.execution.arn)["redriveCount"] == 1
    assert _messages(cloud, queue) == sorted([FIRST, SECOND, THIRD])


def test_an_execution_that_does_not_exist_is_execution_does_not_exist(cloud, queue):
    machine = cloud.state_machine_arn(_three_sends(cloud, queue))
    sfn = cloud.client("stepfunctions")
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.redrive_execution(
            executionArn=machine.replace(":stateMachine:", ":execution:") + ":never-started"
        )


def test_backdate_refuses_a_non_positive_number_of_days(cloud, queue):
    _, failed = _failed_at_second(cloud, queue)
    with pytest.raises(AssertionError, match=r"days must be a positive number. Received: \[0\]"):
        cloud.backdate(failed.execution, days=0)


# The rules, without a cloud ------------------------------------------------------------------------

NOW = datetime.datetime(2026, 12, 4, tzinfo=datetime.UTC)
FACTS: dict[str, Any] = {
    "machine_type": "STANDARD",
    "start_date": NOW - datetime.timedelta(days=1),
    "stop_date": NOW - datetime.timedelta(hours=1),
    "redrive_count": 0,
    "history_events": 12,
    "now": NOW,
}


@pytest.mark.parametrize("status", ["FAILED", "TIMED_OUT", "ABORTED"])
def test_failed_timed_out_and_aborted_executions_can_be_redriven(status):
    assert refusal(status=status, **FACTS) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "SUCCEEDED"}, SUCCEEDED_REASON),
        ({"status": "RUNNING"}, RUNNING_REASON),
        ({"redrive_count": MAX_REDRIVES}, LIMIT_REASON),
        ({"history_events": 25_000}, "Execution history event limit exceeded."),
        ({"stop_date": NOW - datetime.timedelta(days=14, seconds=1)}, PERIOD_REASON),
        (
            {"start_date": NOW - datetime.timedelta(days=366)},
            "Execution has exceeded the max execution time.",
        ),
        ({"machine_type": "EXPRESS"}, "Executions of EXPRESS state machines cannot be redriven."),
    ],
)
def test_what_cannot_be_redriven_is_refused_with_its_reason(change, reason):
    assert refusal(**{**FACTS, "status": "FAILED", **change}) == reason


def test_the_last_day_of_the_window_is_still_redrivable():
    assert refusal(**{**FACTS, "status": "FAILED", "stop_date": NOW - datetime.timedelta(days=14)}) is None


def test_the_restart_point_of_an_execution_stopped_between_states_is_the_next_state():
    definition = {"StartAt": "A", "States": {"A": {"Next": "B"}, "B": {"End": True}}}
    events = [
        {"type": "ExecutionStarted", "executionStartedEventDetails": {"input": '{"x":1}'}},
        {"type": "PassStateEntered", "stateEnteredEventDetails": {"name": "A", "input": '{"x":1}'}},
        {"type": "PassStateExited", "stateExitedEventDetails": {"name": "A", "output": '{"x":2}'}},
        {"type": "ExecutionAborted"},
    ]
    assert restart_point(definition, events) == RestartPoint("B", {"x": 2})
    assert restart_point(definition, events[:1]) == RestartPoint("A", {"x": 1})
