"""Construct tests of the library's fragments: the states each renders, and each validation message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template
from workflow_constructs import InvalidPropsError, PythonFunction, Workflow, add_checks, tasks
from workflow_constructs.definition import state_machines
from workflow_constructs.fragments import (
    CALLBACK_REJECTED_ERROR,
    CALLBACK_TIMED_OUT_ERROR,
    STEP_FAILED_ERROR,
    ChangeSetDeployment,
    Compensation,
    WaitForCallback,
)
from workflow_constructs.retry import LAMBDA_SERVICE_ERRORS, TRANSIENT_ERROR

GREETER = Path(__file__).resolve().parents[1] / "fixtures" / "greeter"
WAITING = "Wait for the warehouse"


@pytest.fixture
def stack() -> cdk.Stack:
    app = cdk.App(context={"aws:cdk:version-reporting": False})
    return cdk.Stack(app, "Fragments")


@pytest.fixture
def function(stack: cdk.Stack) -> PythonFunction:
    return PythonFunction(stack, "Greeter", entry=GREETER, handler="greeting.greet", service="fragments")


def _states(stack: cdk.Stack, definition: sfn.IChainable) -> dict[str, Any]:
    topic = sns.Topic(stack, "Alarms", enforce_ssl=True)
    Workflow(stack, "Flow", workflow_name="fragments", definition=definition, alarm_topic=topic)
    add_checks(stack.node.scope)  # type: ignore[arg-type]
    (document,) = state_machines(Template.from_stack(stack).to_json()).values()
    return dict(document["States"])


def _do(stack: cdk.Stack, function: PythonFunction, name: str) -> sfn.TaskStateBase:
    return tasks.invoke_lambda(stack, name, function=function, result_path=sfn.JsonPath.DISCARD)


# WaitForCallback --------------------------------------------------------------------------------


def test_a_callback_waits_with_timeout_and_heartbeat_and_fails_with_named_errors(stack, function):
    # GIVEN a callback step with a heartbeat and a rejection error, followed by a step
    wait = WaitForCallback(
        stack,
        "Warehouse",
        state_name=WAITING,
        function=function,
        payload={"orderId": sfn.JsonPath.string_at("$.orderId")},
        timeout=Duration.hours(2),
        heartbeat=Duration.minutes(30),
        rejection_errors=["OutOfStock"],
        result_path="$.warehouse",
    )
    # WHEN it is the start of a workflow
    states = _states(stack, wait.next(_do(stack, function, "Ship the order")))

    # THEN the step hands over the token and waits 2 hours, a heartbeat every 30 minutes at most
    task = states[WAITING]
    assert task["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    assert (task["TimeoutSeconds"], task["HeartbeatSeconds"]) == (7200, 1800)
    assert task["Parameters"]["Payload"] == {"orderId.$": "$.orderId", "taskToken.$": "$$.Task.Token"}
    assert (task["ResultPath"], task["Next"]) == ("$.warehouse", "Ship the order")
    # AND it retries Lambda's own failures only, never a timeout (that would ask again)
    assert [retry["ErrorEquals"] for retry in task["Retry"]] == [[*LAMBDA_SERVICE_ERRORS, TRANSIENT_ERROR]]
    # AND a rejection and a timeout (or a missed heartbeat) each end in their named error
    assert task["Catch"] == [
        {"ErrorEquals": ["OutOfStock"], "ResultPath": "$.callbackError", "Next": f"{WAITING} was rejected"},
        {
            "ErrorEquals": ["States.HeartbeatTimeout", "States.Timeout"],
            "ResultPath": "$.callbackError",
            "Next": f"{WAITING} timed out",
        },
    ]
    assert states[f"{WAITING} was rejected"] == {
        "Type": "Fail",
        "Error": CALLBACK_REJECTED_ERROR,
        "CausePath": "$.callbackError.Cause",
    }
    assert states[f"{WAITING} timed out"] == {
        "Type": "Fail",
        "Error": CALLBACK_TIMED_OUT_ERROR,
        "Cause": "No answer within 2 hours, or no heartbeat within 30 minutes",
    }


def test_a_callback_hands_its_timeout_and_rejection_to_the_callers_steps(stack, function):
    # GIVEN the caller's own handling of both
    declined = _do(stack, function, "Tell the customer")
    voided = _do(stack, function, "Void the order")
    wait = WaitForCallback(
        stack,
        WAITING,
        function=function,
        payload={},
        timeout=Duration.minutes(10),
        rejection_errors=["OutOfStock", "Discontinued"],
        on_rejected=declined,
        on_timed_out=voided,
        error_path="$.warehouseError",
    )
    states = _states(stack, wait)
    # THEN the Catches go there, a plain timeout without a heartbeat, and no Fail state of the fragment
    assert states[WAITING]["Catch"] == [
        {
            "ErrorEquals": ["OutOfStock", "Discontinued"],
            "ResultPath": "$.warehouseError",
            "Next": "Tell the customer",
        },
        {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.warehouseError", "Next": "Void the order"},
    ]
    assert "HeartbeatSeconds" not in states[WAITING]
    assert not [state for state in states.values() if state["Type"] == "Fail"]
    assert (wait.rejected, wait.timed_out, wait.start_state) == (declined, voided, wait.task)


def test_a_callback_without_rejection_errors_only_times_out(stack, function):
    wait = WaitForCallback(stack, WAITING, function=function, payload={}, timeout=Duration.minutes(5))
    states = _states(stack, wait)
    assert [catch["ErrorEquals"] for catch in states[WAITING]["Catch"]] == [["States.Timeout"]]
    assert wait.rejected is None
    assert states[f"{WAITING} timed out"]["Cause"] == "No answer within 5 minutes"


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"heartbeat": Duration.hours(1)},
            r"heartbeat must be shorter than timeout \(1 hour\). Received: \[1 hour\]",
        ),
        (
            {"rejection_errors": ["States.TaskFailed"]},
            r"rejection_errors must name the answer's own errors, none empty or States.\*. "
            r"Received: \[\['States.TaskFailed'\]\]",
        ),
        ({"rejection_errors": [""]}, r"rejection_errors must name .* Received: \[\[''\]\]"),
        (
            {"on_rejected": sfn.Pass(cdk.Stack(), "Tell the customer")},
            r"on_rejected needs rejection_errors to say what a rejection is",
        ),
        (
            {"timed_out_error": "States.Timeout"},
            r"timed_out_error must be an error name of yours, not empty or States.\*. "
            r"Received: \[States.Timeout\]",
        ),
        ({"rejected_error": ""}, r"rejected_error must be an error name of yours"),
        ({"state_name": "W" * 70}, r"state_name leaves no room for \[W+ was rejected\]"),
        ({"payload": {"taskToken": "x"}}, r"payload must not set 'taskToken'; the step adds it"),
    ],
)
def test_a_callback_refuses_what_it_cannot_use(stack, function, props, message):
    arguments: dict[str, Any] = {"function": function, "payload": {}, "timeout": Duration.hours(1), **props}
    with pytest.raises(InvalidPropsError, match=message):
        WaitForCallback(stack, WAITING, **arguments)


# Compensation -----------------------------------------------------------------------------------


def test_undo_steps_run_newest_first_from_where_the_failure_happened(stack, function):
    # GIVEN an order: reserve (undone by a release), charge and ship (undone by a refund, then the release)
    report = _do(stack, function, "Tell operations")
    rollback = Compensation(stack, "Rollback", fail_state_name="Fail the order")
    rollback.then(report)
    report.next(rollback.fail)
    rollback.register(_do(stack, function, "Release the stock"), result_path="$.stockRelease")
    reserve = _do(stack, function, "Reserve the stock")
    rollback.protect(reserve)
    rollback.register(_do(stack, function, "Refund the card"), result_path="$.refund")
    charge, ship = _do(stack, function, "Charge the card"), _do(stack, function, "Ship the order")
    rollback.protect(charge, ship)

    states = _states(stack, reserve.next(charge).next(ship))

    # THEN each forward step's failure starts at the newest undo registered before it
    def caught(name: str) -> list[dict[str, Any]]:
        return list(states[name]["Catch"])

    assert caught("Reserve the stock") == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Release the stock"}
    ]
    assert (
        caught("Charge the card")
        == caught("Ship the order")
        == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Refund the card"}]
    )
    # AND each undo runs the older ones next, also when it fails itself, then the report
    assert states["Refund the card"]["Next"] == "Release the stock"
    assert caught("Refund the card") == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.refund", "Next": "Release the stock"}
    ]
    assert states["Release the stock"]["Next"] == "Tell operations"
    assert caught("Release the stock")[0]["Next"] == "Tell operations"
    assert states["Tell operations"]["Next"] == "Can the error be raised as it is"
    # AND the run fails with the original error, a States.* one under the named error
    assert states["Can the error be raised as it is"] == {
        "Type": "Choice",
        "Choices": [
            {
                "Variable": "$.failure.Error",
                "StringMatches": "States.*",
                "Next": "Fail the order after a Step Functions error",
            }
        ],
        "Default": "Fail the order",
    }
    assert states["Fail the order"] == {
        "Type": "Fail",
        "ErrorPath": "$.failure.Error",
        "CausePath": "$.failure.Cause",
    }
    assert states["Fail the order after a Step Functions error"] == {
        "Type": "Fail",
        "Error": STEP_FAILED_ERROR,
        "CausePath": "States.Format('{}: {}', $.failure.Error, $.failure.Cause)",
    }
    assert [undo.node.id for undo in rollback.undo_steps] == ["Release the stock", "Refund the card"]


def test_without_undo_steps_a_protected_failure_fails_straight_away(stack, function):
    rollback = Compensation(stack, "Rollback")
    step = _do(stack, function, "Charge the card")
    rollback.protect(step)
    assert rollback.start_state is rollback.fail
    states = _states(stack, step)
    assert states["Charge the card"]["Catch"][0]["Next"] == "Can the error be raised as it is"
    assert "Fail with the original error" in states


def test_compensation_refuses_what_it_cannot_use(stack, function):
    rollback = Compensation(stack, "Rollback")
    undo = _do(stack, function, "Release the stock")
    rollback.register(undo, result_path="$.release")
    with pytest.raises(InvalidPropsError, match=r"then must be given once, before the first undo step"):
        rollback.then(_do(stack, function, "Tell operations"))
    with pytest.raises(
        InvalidPropsError, match=r"undo is registered already. Received: \[Release the stock\]"
    ):
        rollback.register(undo, result_path="$.again")
    with pytest.raises(
        InvalidPropsError, match=r"result_path must not overwrite the original error at \$.failure"
    ):
        rollback.register(_do(stack, function, "Refund the card"), result_path="$.failure")
    with pytest.raises(InvalidPropsError, match=r"states must name at least one step to protect"):
        rollback.protect()


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"fail_state_name": "Task1"}, r"fail_state_name .* Received: \[Task1\]"),
        ({"fail_state_name": "F" * 79}, r"fail_state_name .* Received: \[F+ after a Step Functions error\]"),
        ({"choice_state_name": "Choice"}, r"choice_state_name .* Received: \[Choice\]"),
        ({"failure_path": "failure"}, r"failure_path must be a JSONPath under the state, like \$.failure"),
        ({"step_failed_error": "States.Runtime"}, r"step_failed_error must be an error name of yours"),
    ],
)
def test_compensation_refuses_bad_names(stack, props, message):
    with pytest.raises(InvalidPropsError, match=message):
        Compensation(stack, "Rollback", **props)


# ChangeSetDeployment ----------------------------------------------------------------------------


def _deployment(stack: cdk.Stack, **props: Any) -> ChangeSetDeployment:
    return ChangeSetDeployment(
        stack,
        "Deploy",
        stack_name_prefix="orders-",
        template_bucket=s3.Bucket(
            stack,
            "Templates",
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            server_access_logs_prefix="access-logs/",
        ),
        service_role=iam.Role(
            stack, "Deployer", assumed_by=iam.ServicePrincipal("cloudformation.amazonaws.com")
        ),
        notification_topic=sns.Topic(stack, "Deployments", enforce_ssl=True),
        **props,
    )


def test_a_change_set_deployment_deploys_any_stack_of_its_prefix(stack):
    # GIVEN the fragment for another team's stacks, with their own way to answer approvals
    deployment = _deployment(stack, approval_message={"answer": "Reply in #orders-deploys"})
    topic = sns.Topic(stack, "Alarms", enforce_ssl=True)
    workflow = Workflow(stack, "Flow", workflow_name="deployments", definition=deployment, alarm_topic=topic)
    # WHEN its wildcards are acknowledged on the role, as the fragment offers
    deployment.acknowledge_scoped_wildcards(workflow.state_machine.role)
    add_checks(stack.node.scope)  # type: ignore[arg-type]
    (document,) = state_machines(Template.from_stack(stack).to_json()).values()  # synth: cdk-nag passes
    states = document["States"]

    # THEN it starts by checking the request and never calls a Lambda
    assert next(iter(states)) == "Check the deployment request"
    assert not [s for s in states.values() if "lambda" in str(s.get("Resource", ""))]
    # AND the approval request carries the token, then the caller's fields
    message = states["Ask for approval"]["Arguments"]["Message"]
    assert list(message)[-2:] == ["taskToken", "answer"]
    assert message["answer"] == "Reply in #orders-deploys"
    # AND a failed deployment reads the event tail before failing
    assert states["Has the stack settled"]["Default"] == "Read the failed stack events"
    # AND the state machine may act on the prefix's stacks only, and pass only the service role
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "cloudformation:createChangeSet",
                                "Resource": Match.object_like(
                                    {"Fn::Join": ["", Match.array_with([":stack/orders-*/*"])]}
                                ),
                            }
                        ),
                        Match.object_like(
                            {
                                "Action": "iam:PassRole",
                                "Condition": {
                                    "StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}
                                },
                            }
                        ),
                    ]
                )
            }
        },
    )
    assert deployment.end_states == []
    # 60 polls of 5 s + 24 h approval + 240 polls of 15 s
    assert deployment.max_duration.to_seconds() == 300 + 86_400 + 3_600


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"approval_message": {"taskToken": "x"}}, r"approval_message must not set 'taskToken'"),
        ({"stack_max_polls": 0}, r"stack_max_polls must be between 1 and 10000. Received: \[0\]"),
        (
            {"stack_poll_interval": Duration.millis(1500)},
            r"stack_poll_interval must be a whole number of seconds, at least 1. "
            r"Received: \[1 second 500 millis\]",
        ),
        ({"capabilities": ["CAPABILITY_ALL"]}, r"capabilities must each be one of"),
    ],
)
def test_a_change_set_deployment_refuses_what_it_cannot_use(stack, props, message):
    with pytest.raises(InvalidPropsError, match=message):
        _deployment(stack, **props)


def test_without_the_acknowledgement_cdk_nag_names_the_stack_wildcard(stack):
    # GIVEN the fragment's workflow, its wildcards not acknowledged
    deployment = _deployment(stack)
    topic = sns.Topic(stack, "Alarms", enforce_ssl=True)
    Workflow(stack, "Flow", workflow_name="deployments", definition=deployment, alarm_topic=topic)
    add_checks(stack.node.scope)  # type: ignore[arg-type]
    # THEN synth fails on the stack ARN wildcard
    with pytest.raises(Exception, match=r"AwsSolutions-IAM5.*stack/orders-\*/\*"):
        Template.from_stack(stack)


def test_a_notification_topic_with_its_own_key_is_granted_that_key_only(stack):
    # GIVEN a topic encrypted with a customer key
    key = kms.Key(stack, "TopicKey", enable_key_rotation=True)
    topic = sns.Topic(stack, "Encrypted", enforce_ssl=True, master_key=key)
    deployment = ChangeSetDeployment(
        stack,
        "Deploy",
        stack_name_prefix="orders-",
        template_bucket=s3.Bucket.from_bucket_name(stack, "Templates", "orders-templates"),
        service_role=iam.Role.from_role_name(stack, "Deployer", "orders-deployer"),
        notification_topic=topic,
    )
    workflow = Workflow(stack, "Flow", workflow_name="deployments", definition=deployment, alarm_topic=topic)
    # WHEN the fragment grants it
    deployment.grant_notification_key(workflow.state_machine)
    # THEN the role may generate data keys with it and decrypt, nothing more
    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                            "Effect": "Allow",
                            "Resource": {"Fn::GetAtt": [stack.get_logical_id(key.node.default_child), "Arn"]},
                        }
                    ]
                )
            }
        },
    )
