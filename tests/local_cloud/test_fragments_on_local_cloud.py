"""The library's fragments, each in a tiny workflow of its own, executed on the local cloud.

- ``WaitForCallback``: answered after a heartbeat, rejected, timed out, failed otherwise;
- ``Compensation``: the undo steps run newest first, only for the work done, and the run fails with
  the original error; an undo that fails does not stop the next;
- ``ChangeSetDeployment``: a real change set creates a stack; a create that fails for real rolls back
  (patch "cfn-rollback-retention") and the run fails with the failed events; the events of this
  deployment are told from older ones by their token (injected: moto drops the token).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs import PythonFunction, Workflow, tasks
from workflow_constructs.fragments import ChangeSetDeployment, Compensation, WaitForCallback
from workflow_constructs.naming import execution_name
from workflow_local_cloud import running_local_cloud

pytestmark = pytest.mark.behaviour

STEPS = Path(__file__).resolve().parents[1] / "fixtures" / "fragments"
CALLBACK = "fragment-callback"
COMPENSATION = "fragment-compensation"
DEPLOYMENT = "fragment-deployment"
WAITING = "Wait for the warehouse"
TEMPLATE = {
    "Resources": {"Orders": {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": True}}},
    "Outputs": {"QueueUrl": {"Value": {"Ref": "Orders"}}},
}


class FragmentsStack(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        topic = sns.Topic(self, "Alarms", enforce_ssl=True)
        step = PythonFunction(self, "Step", entry=STEPS, handler="steps.step", service="fragments")
        hand_over = PythonFunction(
            self, "HandOver", entry=STEPS, handler="steps.hand_over", service="fragments"
        )

        wait = WaitForCallback(
            self,
            "Warehouse",
            state_name=WAITING,
            function=hand_over,
            payload={"orderId": sfn.JsonPath.string_at("$.orderId")},
            timeout=Duration.hours(2),
            heartbeat=Duration.minutes(30),
            rejection_errors=["OutOfStock"],
            result_path="$.warehouse",
        )
        Workflow(self, "Callback", workflow_name=CALLBACK, definition=wait, alarm_topic=topic)

        def do(name: str) -> sfn.TaskStateBase:
            payload = {"step": name, "failAt": sfn.JsonPath.string_at("$.failAt")}
            return tasks.invoke_lambda(
                self,
                name,
                function=step,
                payload=sfn.TaskInput.from_object(payload),
                result_path=sfn.JsonPath.DISCARD,
            )

        rollback = Compensation(self, "Rollback", fail_state_name="Fail the order")
        rollback.register(do("Release the stock"), result_path="$.stockRelease")
        reserve = do("Reserve the stock")
        rollback.protect(reserve)
        rollback.register(do("Refund the card"), result_path="$.refund")
        charge = do("Charge the card")
        ship = do("Ship the order")
        rollback.protect(charge, ship)
        Workflow(
            self,
            "Compensation",
            workflow_name=COMPENSATION,
            definition=reserve.next(charge).next(ship),
            alarm_topic=topic,
        )

        bucket = s3.Bucket(self, "Templates", enforce_ssl=True)
        role = iam.Role(
            self, "CloudFormation", assumed_by=iam.ServicePrincipal("cloudformation.amazonaws.com")
        )
        deployment = ChangeSetDeployment(
            self,
            "Deploy",
            stack_name_prefix="frag-",
            template_bucket=bucket,
            service_role=role,
            notification_topic=topic,
        )
        Workflow(self, "Deployment", workflow_name=DEPLOYMENT, definition=deployment, alarm_topic=topic)
        cdk.CfnOutput(self, "TemplateBucketName", value=bucket.bucket_name)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("fragments.out")
    app = cdk.App(outdir=str(outdir), context={"aws:cdk:version-reporting": False})
    FragmentsStack(app, "Fragments")
    app.synth()
    with running_local_cloud(outdir) as harness:
        yield harness
        harness.clear_faults()


def _entered(cloud: Any, execution: Any) -> list[str]:
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in cloud.history(execution)
        if event["type"].endswith("StateEntered")
    ]


# WaitForCallback --------------------------------------------------------------------------------


def test_an_answered_callback_continues_with_the_answer(cloud):
    # GIVEN an order waiting for the warehouse
    execution = cloud.start(CALLBACK, {"correlationId": "c-answered", "orderId": "o-1"})
    # WHEN the warehouse sends a heartbeat, then answers at once (patch "sfn-callback-heartbeat")
    cloud.heartbeat(execution, WAITING)
    cloud.complete_callback(execution, WAITING, {"packed": True})
    result = cloud.wait(execution)
    # THEN the run succeeds with the answer at the result path
    assert result.status == "SUCCEEDED", cloud.trace(execution).render()
    assert result.output["warehouse"] == {"packed": True}


def test_a_rejected_callback_fails_with_the_named_error_and_the_answers_cause(cloud):
    execution = cloud.start(CALLBACK, {"correlationId": "c-rejected", "orderId": "o-2"})
    cloud.fail_callback(execution, WAITING, error="OutOfStock", cause="No blue mugs left")
    result = cloud.wait(execution)
    assert (result.status, result.error, result.cause) == ("FAILED", "CallbackRejected", "No blue mugs left")
    assert _entered(cloud, execution)[-1] == f"{WAITING} was rejected"


def test_a_callback_nobody_answers_fails_callback_timed_out(cloud):
    execution = cloud.start(CALLBACK, {"correlationId": "c-timeout", "orderId": "o-3"})
    # WHEN nobody answers within the timeout
    cloud.time_out_callback(execution, WAITING)
    result = cloud.wait(execution)
    assert (result.status, result.error) == ("FAILED", "CallbackTimedOut")
    assert result.cause == "No answer within 2 hours, or no heartbeat within 30 minutes"


def test_another_error_of_the_answer_is_not_taken_for_a_rejection(cloud):
    execution = cloud.start(CALLBACK, {"correlationId": "c-other", "orderId": "o-4"})
    cloud.fail_callback(execution, WAITING, error="WarehouseOnFire", cause="evacuated")
    result = cloud.wait(execution)
    assert (result.status, result.error) == ("FAILED", "WarehouseOnFire")


# Compensation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fail_at", "undone"),
    [
        ("Ship the order", ["Refund the card", "Release the stock"]),
        ("Charge the card", ["Refund the card", "Release the stock"]),
        ("Reserve the stock", ["Release the stock"]),
    ],
)
def test_a_failure_undoes_what_was_registered_newest_first_then_fails_with_the_original_error(
    cloud, fail_at, undone
):
    # WHEN a step of the order fails
    result = cloud.run(COMPENSATION, {"correlationId": f"c-{uuid.uuid4().hex[:8]}", "failAt": fail_at})
    # THEN the undo steps registered before it ran, newest first, and the run fails with its error
    assert (result.status, result.error) == ("FAILED", "StepRefused"), cloud.trace(result.execution).render()
    assert json.loads(result.cause)["errorMessage"] == f"{fail_at} refused"
    entered = _entered(cloud, result.execution)
    after = entered[entered.index(fail_at) + 1 :]
    assert after == [*undone, "Can the error be raised as it is", "Fail the order"]


def test_an_undo_that_fails_does_not_stop_the_next(cloud):
    # GIVEN the refund fails too (it is the step named in failAt, and so is nothing forward)
    result = cloud.run(COMPENSATION, {"correlationId": "c-refund", "failAt": "Refund the card"})
    # THEN nothing failed forward: the order shipped and no undo ran
    assert result.status == "SUCCEEDED", cloud.trace(result.execution).render()


def test_a_timed_out_step_is_raised_under_the_named_error(cloud):
    # GIVEN the charge times out (a Step Functions error, which a Fail state may not raise)
    cloud.inject_permanent_fault(COMPENSATION, "Charge the card", error="States.Timeout")
    result = cloud.run(COMPENSATION, {"correlationId": "c-timeout", "failAt": "nothing"})
    # THEN the undo steps ran and the run fails StepFailed, the original error leading the cause
    assert (result.status, result.error) == ("FAILED", "StepFailed"), cloud.trace(result.execution).render()
    assert result.cause.startswith("States.Timeout: ")
    assert "Refund the card" in _entered(cloud, result.execution)


# ChangeSetDeployment ----------------------------------------------------------------------------


def _upload(cloud: Any, template: dict[str, Any]) -> str:
    stack = cloud.client("cloudformation").describe_stacks(StackName="Fragments")["Stacks"][0]
    bucket = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["TemplateBucketName"]
    key = f"{uuid.uuid4().hex[:8]}.json"
    cloud.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(template).encode())
    return f"https://{bucket}.s3.amazonaws.com/{key}"


def _deploy(cloud: Any, stack_name: str, name: str, template: dict[str, Any] = TEMPLATE) -> Any:
    request = {
        "correlationId": f"c-{stack_name}",
        "stackName": stack_name,
        "templateUrl": _upload(cloud, template),
        "reason": "fragment test",
    }
    arn = cloud.client("stepfunctions").start_execution(
        stateMachineArn=cloud.state_machine_arn(DEPLOYMENT), name=name, input=json.dumps(request)
    )["executionArn"]
    return cloud.wait(arn)


def test_a_change_set_creates_any_stack_under_the_prefix(cloud):
    stack_name = f"frag-{uuid.uuid4().hex[:8]}"
    result = _deploy(cloud, stack_name, execution_name(DEPLOYMENT, "create"))
    assert result.status == "SUCCEEDED", cloud.trace(result.execution).render()
    stack = cloud.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert [(c["action"], c["logicalId"]) for c in result.output["changes"]] == [("Add", "Orders")]


def test_a_change_set_whose_create_fails_ends_with_the_failed_event_as_the_cause(cloud):
    # GIVEN a template whose queue SQS refuses to create
    stack_name = f"frag-{uuid.uuid4().hex[:8]}"
    broken = {"Resources": {"Orders": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "no spaces!"}}}}
    # WHEN it is deployed
    result = _deploy(cloud, stack_name, execution_name(DEPLOYMENT, "broken"), broken)
    # THEN the stack rolled back and the run fails with the queue's failed event and its reason
    assert (result.status, result.error) == ("FAILED", "StackDeploymentFailed"), cloud.trace(
        result.execution
    ).render()
    lines = result.cause.splitlines()
    assert lines[0] == f"Stack {stack_name} ended ROLLBACK_COMPLETE. Failed events, oldest first:"
    assert len(lines) == 2
    assert " Orders (AWS::SQS::Queue) CREATE_FAILED: " in lines[1]
    assert "alphanumeric characters" in lines[1]


def test_a_failed_deployment_fails_with_the_tail_of_its_own_failed_events(cloud):
    stack_name = f"frag-{uuid.uuid4().hex[:8]}"
    name = execution_name(DEPLOYMENT, "failed")
    # GIVEN CloudFormation rolls the create back (injected: moto cannot fail a change set), with two
    # failed events of this deployment (its ClientRequestToken) and one of an earlier one
    ours = {"ClientRequestToken": f"deploy-{name}", "StackName": stack_name}
    events = [
        {
            **ours,
            "Timestamp": "2026-01-15T10:03:00.000Z",
            "LogicalResourceId": stack_name,
            "ResourceType": "AWS::CloudFormation::Stack",
            "ResourceStatus": "ROLLBACK_COMPLETE",
        },
        {
            **ours,
            "Timestamp": "2026-01-15T10:02:00.000Z",
            "LogicalResourceId": "Orders",
            "ResourceType": "AWS::SQS::Queue",
            "ResourceStatus": "CREATE_FAILED",
            "ResourceStatusReason": "Queue name taken",
        },
        {
            **ours,
            "Timestamp": "2026-01-15T10:00:00.000Z",
            "LogicalResourceId": stack_name,
            "ResourceType": "AWS::CloudFormation::Stack",
            "ResourceStatus": "CREATE_IN_PROGRESS",
            "ResourceStatusReason": "User Initiated",
        },
        {
            "ClientRequestToken": "deploy-earlier",
            "StackName": stack_name,
            "Timestamp": "2026-01-01T09:00:00.000Z",
            "LogicalResourceId": "Orders",
            "ResourceType": "AWS::SQS::Queue",
            "ResourceStatus": "CREATE_FAILED",
            "ResourceStatusReason": "old",
        },
    ]
    cloud.inject_answer(
        DEPLOYMENT,
        "Check the stack",
        {"Stacks": [{"StackName": stack_name, "StackStatus": "ROLLBACK_COMPLETE"}]},
    )
    cloud.inject_answer(DEPLOYMENT, "Read the failed stack events", {"StackEvents": events})
    try:
        result = _deploy(cloud, stack_name, name)
    finally:
        cloud.clear_faults()
    # THEN it fails StackDeploymentFailed, this deployment's failed event as the cause
    assert (result.status, result.error) == ("FAILED", "StackDeploymentFailed"), cloud.trace(
        result.execution
    ).render()
    assert result.cause == (
        f"Stack {stack_name} ended ROLLBACK_COMPLETE. Failed events, oldest first:\n"
        "2026-01-15T10:02:00.000Z Orders (AWS::SQS::Queue) CREATE_FAILED: Queue name taken"
    )
