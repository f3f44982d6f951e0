"""History analysis for `why` and the token scan for `approve`/`reject`, on recorded histories."""

from __future__ import annotations

import json

import pytest
from workflow_cli.history import (
    History,
    current_state,
    explain,
    find_task_token,
    pending_task,
    summarize_cause,
)

from tests.cli.recorded import load_history


def _explain(name):
    history = load_history(name)
    return explain(history["status"], history["events"])


def test_retries_exhausted_names_the_step_its_error_and_every_attempt():
    # GIVEN a billing run whose card charge failed four times with TransientError, no Catch
    explanation = _explain("billing-retries-exhausted")
    # THEN the failing state, error and the Lambda's message are found
    assert (explanation.status, explanation.state, explanation.error) == (
        "FAILED",
        "Charge the card",
        "TransientError",
    )
    assert summarize_cause(explanation.cause).message == "payment provider timed out after 10s"
    # AND every step that failed at least once is listed with its attempts, in order
    summary = [
        (s.state, s.attempts, s.retries, s.outcome, [f.error for f in s.failures]) for s in explanation.steps
    ]
    assert summary == [
        ("Record the invoice", 2, 1, "succeeded", ["DynamoDB.ProvisionedThroughputExceededException"]),
        ("Charge the card", 4, 3, "failed", ["TransientError"] * 4),
    ]
    assert explanation.root_failure.state == "Charge the card"


def test_a_caught_failure_is_the_root_of_a_fail_state():
    # GIVEN a step that failed once, a Catch that notified operations, and a Fail state
    explanation = _explain("onboarding-caught-then-failed")
    # THEN the execution ended in the Fail state with its error...
    assert (explanation.state, explanation.error) == ("Onboarding failed", "OnboardingFailed")
    assert explanation.cause == "The customer account could not be created"
    # ...and the root failure is the caught step, with the Lambda's own error
    root = explanation.root_failure
    assert (root.state, root.attempts, root.outcome) == ("Create the customer account", 1, "caught")
    assert root.failures[0].error == "AccountAlreadyExists"
    assert summarize_cause(root.failures[0].cause).message == "customer c-9 already has account acc-77"


def test_a_parallel_branch_failure_names_the_branch_step():
    explanation = _explain("user-provisioning-parallel-branch-failed")
    assert (explanation.state, explanation.error) == ("Grant chat access", "ChatSeatsExhausted")
    assert [(s.state, s.outcome) for s in explanation.steps] == [("Grant chat access", "failed")]


def test_a_timed_out_execution_names_the_state_it_was_in():
    explanation = _explain("user-provisioning-timed-out")
    assert (explanation.status, explanation.state, explanation.error) == (
        "TIMED_OUT",
        "Wait for the directory to sync",
        "States.Timeout",
    )
    assert explanation.steps == ()


def test_a_nested_execution_failure_points_at_the_child():
    explanation = _explain("onboarding-nested-billing-failed")
    assert (explanation.state, explanation.error) == ("Bill the first month", "States.TaskFailed")
    summary = summarize_cause(explanation.cause)
    assert (
        summary.message
        == "nested execution failed: PaymentDeclined: card ending 4242 was declined: insufficient funds"
    )
    assert summary.child_execution_arn == (
        "arn:aws:states:eu-west-1:111111111111:execution:billing:billing-first-invoice-20260302T091501Z-00c0ffee"
    )


def test_a_running_execution_is_where_it_waits():
    explanation = _explain("stack-deployment-waiting-for-approval")
    assert (explanation.status, explanation.state, explanation.error) == (
        "RUNNING",
        "Wait for approval",
        None,
    )


def test_event_order_does_not_matter():
    # GIVEN a history returned newest first (reverseOrder=True)
    history = load_history("billing-retries-exhausted")
    newest_first = list(reversed(history["events"]))
    # THEN the explanation is the same
    assert explain("FAILED", newest_first) == explain("FAILED", history["events"])


def test_every_event_belongs_to_the_state_its_chain_leads_to():
    history = History(load_history("user-provisioning-parallel-branch-failed")["events"])
    names = {event["id"]: history.state_name(event) for event in history.events}
    # The interleaved branch events still belong to their own branch step
    assert (names[7], names[8]) == ("Grant mail access", "Grant chat access")
    assert names[1] is None  # ExecutionStarted belongs to no state


# Task tokens ------------------------------------------------------------------------------------


def test_finds_the_pending_approval_token_in_a_json_string_message():
    # GIVEN a deployment waiting for approval, whose SNS message carries the token as JSON text,
    # after an earlier callback step whose token was already answered
    history = load_history("stack-deployment-waiting-for-approval")
    pending = pending_task(history["events"])
    # THEN the pending one is found, not the answered one
    assert pending.state == "Wait for approval"
    assert pending.token == "AQCEAAAAKgAAAAMAAAAAAAAAAVq8approvalTokenPending"
    assert pending.resource == "publish.waitForTaskToken"


def test_nothing_is_pending_once_the_approval_was_answered():
    assert pending_task(load_history("stack-deployment-approved")["events"]) is None


def test_nothing_is_pending_in_a_run_without_callbacks():
    assert pending_task(load_history("billing-retries-exhausted")["events"]) is None


@pytest.mark.parametrize(
    ("parameters", "token"),
    [
        ({"Payload": {"taskToken": "t-1", "stack": "api"}}, "t-1"),  # Lambda .waitForTaskToken
        ({"MessageBody": {"TaskToken": "t-2"}}, "t-2"),  # SQS, capitalised
        ({"Message": json.dumps({"approval": {"taskToken": "t-3"}})}, "t-3"),  # SNS, JSON text
        ({"Entries": [{"Detail": {"taskToken": "t-4"}}]}, "t-4"),  # EventBridge entries
        (json.dumps({"Payload": {"taskToken": "t-5"}}), "t-5"),  # the parameters string itself
        ({"Payload": {"taskToken": ""}}, None),
        ({"Payload": {"token": "not-this"}}, None),
        ({"Message": "{not json"}, None),
        (None, None),
    ],
)
def test_find_task_token(parameters, token):
    assert find_task_token(parameters) == token


def test_current_state_is_the_newest_state_entered():
    events = load_history("stack-deployment-approved")["events"]
    assert current_state(events) == "Execute the change set"
    assert current_state(list(reversed(events))[:5]) == "Execute the change set"
    assert current_state([]) is None


@pytest.mark.parametrize(
    ("cause", "message", "location"),
    [
        (None, None, None),
        ("plain text", "plain text", None),
        ("[1, 2]", "[1, 2]", None),
        ('{"Error": "x"}', '{"Error": "x"}', None),
        (
            json.dumps(
                {
                    "errorMessage": "boom",
                    "errorType": "E",
                    "stackTrace": ['  File "/var/task/a.py", line 3, in f\n'],
                }
            ),
            "boom",
            'File "/var/task/a.py", line 3, in f',
        ),
        (json.dumps({"errorMessage": "no trace", "errorType": "E"}), "no trace", None),
    ],
)
def test_summarize_cause(cause, message, location):
    summary = summarize_cause(cause)
    assert (summary and summary.message, summary and summary.location) == (message, location)
