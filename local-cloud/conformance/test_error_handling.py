"""Retry and Catch as the developer guide's error-handling page documents them.

https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html: retriers and
catchers are scanned in order and the first whose ``ErrorEquals`` names the error applies;
``MaxAttempts: 0`` never retries; the n-th retry waits ``IntervalSeconds * BackoffRate^(n-1)``,
at most ``MaxDelaySeconds``; ``JitterStrategy: FULL`` waits a random time up to that;
``States.ALL`` must be alone and last; ``States.Runtime`` is never retried or caught (not even by
``States.ALL``); ``States.TaskFailed`` matches every error but ``States.Timeout``; a catcher's
``ResultPath`` places ``{"Error", "Cause"}`` into the input (``null`` discards it). AWS's
message for a refused definition is not documented: the local text is pinned by its subject only.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

MISSING_QUEUE = "http://localhost/123456789012/no-such-queue"
FAILING_CALL = {
    "Type": "Task",
    "Resource": "arn:aws:states:::sqs:sendMessage",
    "Parameters": {"QueueUrl": MISSING_QUEUE, "MessageBody": "x"},
}
ERROR = "SQS.QueueDoesNotExistException"


def _failing(**fields) -> dict:
    return {"StartAt": "Call", "States": {"Call": {**FAILING_CALL, **fields}, "Caught": {"Type": "Succeed"}}}


def _retry_pauses(cases, run) -> list[float]:
    return [pause.seconds for pause in cases.cloud.pauses(run.execution_arn) if pause.kind == "retry"]


@pytest.mark.conformance("errors")
def test_max_attempts_zero_never_retries(cases):
    run = cases.run(_failing(Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}], End=True))

    assert (run.status, run.error) == ("FAILED", ERROR)
    assert len(run.events("TaskScheduled")) == 1
    assert _retry_pauses(cases, run) == []


@pytest.mark.conformance("errors")
def test_backoff_rate_multiplies_each_interval(cases):
    run = cases.run(
        _failing(
            Retry=[{"ErrorEquals": [ERROR], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 3}],
            End=True,
        )
    )

    assert (run.status, run.error) == ("FAILED", ERROR)
    assert len(run.events("TaskScheduled")) == 4
    assert _retry_pauses(cases, run) == [2, 6, 18]


@pytest.mark.conformance("errors")
def test_max_delay_seconds_caps_the_interval(cases):
    retrier = {
        "ErrorEquals": [ERROR],
        "IntervalSeconds": 2,
        "MaxAttempts": 4,
        "BackoffRate": 3,
        "MaxDelaySeconds": 10,
    }

    run = cases.run(_failing(Retry=[retrier], End=True))

    assert _retry_pauses(cases, run) == [2, 6, 10, 10]


@pytest.mark.conformance("errors")
def test_full_jitter_waits_at_most_the_interval(cases):
    retrier = {
        "ErrorEquals": [ERROR],
        "IntervalSeconds": 8,
        "MaxAttempts": 5,
        "BackoffRate": 1,
        "JitterStrategy": "FULL",
    }

    run = cases.run(_failing(Retry=[retrier], End=True))

    pauses = _retry_pauses(cases, run)
    assert len(pauses) == 5
    assert all(0 <= pause <= 8 for pause in pauses)


@pytest.mark.conformance("errors")
def test_the_first_matching_catcher_applies_with_its_result_path(cases):
    catchers = [
        {"ErrorEquals": ["Other.Error"], "ResultPath": "$.other", "Next": "Caught"},
        {"ErrorEquals": [ERROR], "ResultPath": "$.first", "Next": "Caught"},
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.all", "Next": "Caught"},
    ]

    run = cases.run(_failing(Catch=catchers, End=True), {"order": 7})

    assert run.status == "SUCCEEDED"
    assert set(run.output) == {"order", "first"}
    assert set(run.output["first"]) == {"Error", "Cause"}
    assert run.output["first"]["Error"] == ERROR


@pytest.mark.conformance("errors")
def test_a_catcher_with_a_null_result_path_keeps_the_input(cases):
    run = cases.run(
        _failing(Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Caught"}], End=True),
        {"order": 7},
    )

    assert (run.status, run.output) == ("SUCCEEDED", {"order": 7})


@pytest.mark.conformance("errors")
def test_a_catcher_without_result_path_replaces_the_input_with_the_error(cases):
    run = cases.run(
        _failing(Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}], End=True), {"order": 7}
    )

    assert run.status == "SUCCEEDED"
    assert set(run.output) == {"Error", "Cause"}


@pytest.mark.conformance("errors")
def test_states_all_does_not_catch_states_runtime(cases):
    # A Parameters path that is not in the input is a States.Runtime error: never caught.
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": "x"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        },
    }

    run = cases.run(definition, {"order": 7})

    assert (run.status, run.error) == ("FAILED", "States.Runtime")
    assert not run.events("SucceedStateEntered")


@pytest.mark.conformance("errors")
def test_states_runtime_is_not_retried(cases):
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": "x"},
        "Retry": [
            {"ErrorEquals": ["States.Runtime"], "MaxAttempts": 3},
            {"ErrorEquals": ["States.ALL"], "MaxAttempts": 3},
        ],
        "End": True,
    }

    run = cases.run({"StartAt": "Call", "States": {"Call": state}}, {"order": 7})

    assert (run.status, run.error) == ("FAILED", "States.Runtime")
    assert _retry_pauses(cases, run) == []


def _refused(cases, definition) -> ClientError:
    with pytest.raises(ClientError) as refused:
        cases.create(definition)
    return refused.value


@pytest.mark.conformance("errors")
def test_a_states_all_catcher_before_another_is_an_invalid_definition(cases):
    catchers = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}, {"ErrorEquals": [ERROR], "Next": "Caught"}]

    error = _refused(cases, _failing(Catch=catchers, End=True))

    assert error.response["Error"]["Code"] == "InvalidDefinition"
    assert "States.ALL" in error.response["Error"]["Message"]


@pytest.mark.conformance("errors")
def test_a_states_all_retrier_before_another_is_an_invalid_definition(cases):
    retriers = [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": [ERROR]}]

    error = _refused(cases, _failing(Retry=retriers, End=True))

    assert error.response["Error"]["Code"] == "InvalidDefinition"


@pytest.mark.conformance("errors")
def test_states_all_with_other_names_is_an_invalid_definition(cases):
    error = _refused(cases, _failing(Retry=[{"ErrorEquals": ["States.ALL", ERROR]}], End=True))

    assert error.response["Error"]["Code"] == "InvalidDefinition"
    assert "States.ALL" in error.response["Error"]["Message"]
