"""Unit tests of the step catalogue: which Task states a definition has and which faults each takes."""

from __future__ import annotations

import json

import pytest
from workflow_local_cloud.steps import (
    INJECTED_PERMANENT_ERROR,
    task_steps,
    task_steps_of_templates,
)

LAMBDA_RETRY = {"ErrorEquals": ["Lambda.ServiceException", "TransientError"], "MaxAttempts": 6}
DEFINITION = {
    "StartAt": "Charge the card",
    "States": {
        "Charge the card": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge",
            "Retry": [LAMBDA_RETRY, {"ErrorEquals": ["States.Timeout"], "MaxAttempts": 3}],
            "Catch": [{"ErrorEquals": ["CardDeclined"], "Next": "Refund"}],
            "Next": "Wait for the bank",
        },
        "Wait for the bank": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Retry": [{"ErrorEquals": ["States.ALL"]}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund"}],
            "Next": "Notify each person",
        },
        "Notify each person": {
            "Type": "Map",
            "ItemProcessor": {
                "StartAt": "Notify the person",
                "States": {
                    "Notify the person": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::sns:publish",
                        "End": True,
                    }
                },
            },
            "Next": "Done",
        },
        "Refund": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "End": True},
        "Done": {"Type": "Succeed"},
    },
}


@pytest.fixture
def steps():
    return {step.state: step for step in task_steps(DEFINITION, "billing")}


def test_every_task_state_is_listed_also_inside_a_map(steps):
    assert sorted(steps) == ["Charge the card", "Notify the person", "Refund", "Wait for the bank"]
    assert steps["Notify the person"].path == ("Notify each person",)
    assert str(steps["Notify the person"]) == "billing/Notify each person / Notify the person"


def test_an_untabled_step_takes_the_first_error_its_retry_names(steps):
    # GIVEN a Lambda function called by its ARN (no integration in the error table), retried on
    # Lambda.ServiceException and TransientError 6 times, and catching CardDeclined
    step = steps["Charge the card"]

    # THEN its transient error is the first named, and six failures can still succeed; an error
    # only the Catch names gets the one failure the workflow handles itself
    assert step.integration is None
    assert step.transient_error == "Lambda.ServiceException"
    assert step.max_transient_failures("Lambda.ServiceException") == 6
    assert step.max_transient_failures("States.Timeout") == 3
    assert step.max_transient_failures("CardDeclined") == 1
    assert step.max_transient_failures("Lambda.Unknown") == 0


def test_a_permanent_fault_prefers_an_error_only_the_catch_names(steps):
    assert steps["Charge the card"].permanent_error == "CardDeclined"
    assert steps["Charge the card"].is_caught("CardDeclined")


def test_a_tabled_step_is_throttled_with_what_aws_raises_not_what_its_retry_names(steps):
    # GIVEN a callback step through the Lambda integration that retries and catches States.ALL
    step = steps["Wait for the bank"]

    # THEN its transient fault is the throttled invoke from the error table, which States.ALL
    # retries (3 attempts, the ASL default); its permanent fault is the local cloud's own name
    assert step.is_callback
    assert step.transient_error == "Lambda.TooManyRequestsException"
    assert step.max_transient_failures(step.transient_error) == 3
    assert step.permanent_error == INJECTED_PERMANENT_ERROR


def test_a_throttled_step_without_retry_or_catch_cannot_recover(steps):
    # GIVEN a DynamoDB step with neither Retry nor Catch
    step = steps["Refund"]

    # THEN it is still throttled with DynamoDB's real name, and no failure of it can be recovered from
    assert step.transient_error == "DynamoDB.ProvisionedThroughputExceededException"
    assert step.max_transient_failures(step.transient_error) == 0
    assert not step.is_caught(step.permanent_error)


def test_an_untabled_step_without_retry_has_no_transient_error():
    definition = {
        "StartAt": "Run the job",
        "States": {
            "Run the job": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync", "End": True}
        },
    }
    (step,) = task_steps(definition, "jobs")
    assert step.transient_error is None
    assert step.permanent_error == INJECTED_PERMANENT_ERROR


def test_task_failed_matches_everything_but_timeouts():
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "End": True,
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2}],
            }
        },
    }
    (step,) = task_steps(definition, "queueing")
    assert step.retrier_for("Anything") is not None
    assert step.retrier_for("States.Timeout") is None


def test_steps_are_read_from_templates_with_their_state_machine_name():
    # GIVEN a template whose definition is a Fn::Join, as CDK writes it
    text = json.dumps(DEFINITION)
    cut = text.index("arn:aws:lambda")
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "StateMachineName": "billing",
                    "DefinitionString": {
                        "Fn::Join": [
                            "",
                            [
                                text[:cut],
                                {"Fn::GetAtt": ["Charge", "Arn"]},
                                text[cut + len("arn:aws:lambda:us-east-1:123456789012:function:charge") :],
                            ],
                        ]
                    },
                },
            },
            "Unnamed": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"Definition": DEFINITION}},
        }
    }

    # WHEN the steps of the templates are listed
    steps = task_steps_of_templates({"Billing": template})

    # THEN both machines' steps are there, under their names, deploy-time values as placeholders
    assert {step.workflow for step in steps} == {"billing", "Unnamed"}
    charge = next(s for s in steps if s.workflow == "billing" and s.state == "Charge the card")
    assert charge.resource == "${Charge.Arn}"
