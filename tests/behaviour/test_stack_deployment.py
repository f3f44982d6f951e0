"""The stack-deployment workflow on the local cloud: real change sets against moto's CloudFormation.

Each test deploys its own stack (a unique ``svc-...`` name) from the sample templates, uploaded to
the workflow's template bucket. Where moto cannot reproduce CloudFormation, the service's answer is
injected at that one step and the test says so:

- moto never fails or rolls back a deployment, so a failed update is the stack status and events
  CloudFormation reports (``UPDATE_ROLLBACK_COMPLETE`` and its ``UPDATE_FAILED`` events);
- moto creates change sets instantly, so one that never completes is a DescribeChangeSet answer of
  ``CREATE_IN_PROGRESS``;
- moto cannot leave a stack in ``ROLLBACK_COMPLETE`` through a change set.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from deployment_approvals import contract
from workflow_constructs.naming import execution_name

pytestmark = pytest.mark.behaviour

WORKFLOW = contract.DEFAULT_WORKFLOW_NAME
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "stack-deployment"
APPROVAL = contract.APPROVAL_STATE
REQUESTER = "arn:aws:sts::123456789012:assumed-role/Deployer/ana"
APPROVER = "arn:aws:sts::123456789012:assumed-role/Deployer/ben"


@pytest.fixture(scope="module")
def deployment(local_cloud_session) -> dict[str, str]:
    """The StackDeployment stack's outputs, with both sample templates uploaded to its bucket."""
    return deployment_outputs(local_cloud_session)


def deployment_outputs(local_cloud) -> dict[str, str]:
    """The StackDeployment stack's outputs, once both sample templates are uploaded to its bucket."""
    stack = local_cloud.client("cloudformation").describe_stacks(StackName="StackDeployment")["Stacks"][0]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}
    bucket = outputs["TemplateBucketName"]
    for release in ("service-queue.yaml", "service-queue-v2.yaml"):
        local_cloud.client("s3").put_object(
            Bucket=bucket, Key=f"samples/{release}", Body=(SAMPLES / release).read_bytes()
        )
    return outputs


@pytest.fixture
def stack_name() -> str:
    return f"svc-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def notifications(local_cloud, deployment):
    """What the workflow publishes to its notification topic, read through a subscribed queue."""
    sqs = local_cloud.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"notifications-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    local_cloud.client("sns").subscribe(
        TopicArn=deployment["NotificationTopicArn"],
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )

    def read() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    return read


def request(deployment: dict[str, str], stack_name: str, release: str = "service-queue.yaml", **fields):
    return {
        "correlationId": f"test-{stack_name}",
        "stackName": stack_name,
        "templateUrl": f"https://{deployment['TemplateBucketName']}.s3.amazonaws.com/samples/{release}",
        "parameters": {"RetentionSeconds": 86400},
        "reason": "behaviour test",
        **fields,
    }


def deployed(local_cloud, deployment, stack_name) -> dict[str, Any]:
    """Create ``stack_name`` from the first release, through the workflow."""
    result = local_cloud.run(WORKFLOW, request(deployment, stack_name))
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    return result.output


def change_set_names(local_cloud, stack_name: str) -> list[str]:
    summaries = local_cloud.client("cloudformation").list_change_sets(StackName=stack_name)["Summaries"]
    return [summary["ChangeSetName"] for summary in summaries]


# Creating and updating --------------------------------------------------------------------------


def test_a_new_stack_is_created_and_its_change_list_announced(
    local_cloud, deployment, stack_name, notifications
):
    # WHEN a stack that does not exist is deployed without approval
    result = local_cloud.run(WORKFLOW, request(deployment, stack_name))

    # THEN a CREATE change set added both queues and the stack exists
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    output = result.output
    assert (output["stackName"], output["changeSetType"], output["stackStatus"]) == (
        stack_name,
        "CREATE",
        "CREATE_COMPLETE",
    )
    assert output["changes"] == [
        {
            "action": "Add",
            "logicalId": "DeadLetterQueue",
            "resourceType": "AWS::SQS::Queue",
            "replacement": "No",
        },
        {"action": "Add", "logicalId": "WorkQueue", "resourceType": "AWS::SQS::Queue", "replacement": "No"},
    ]
    assert output["changeSetName"] == f"deploy-{result.execution.name}"
    assert sorted(output["outputs"]) == ["DeadLetterQueueArn", "WorkQueueUrl"]
    stack = local_cloud.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["StackId"] == output["stackId"]
    # AND the change list went to the notification topic
    (announcement,) = notifications()
    assert announcement["type"] == "StackDeploymentChanges"
    assert announcement["summary"] == [
        "Add DeadLetterQueue (AWS::SQS::Queue)",
        "Add WorkQueue (AWS::SQS::Queue)",
    ]
    assert "taskToken" not in announcement


def test_an_update_waits_for_approval_then_deploys_the_listed_changes(
    local_cloud, deployment, stack_name, notifications
):
    # GIVEN the first release is deployed
    deployed(local_cloud, deployment, stack_name)
    notifications()  # the first release's announcement
    # WHEN the second release is deployed with approval required (the harness stands in for the
    # deployment entry, which records the requester; tests/behaviour/test_stack_deployment_approvals.py)
    execution = local_cloud.start(
        WORKFLOW,
        request(deployment, stack_name, "service-queue-v2.yaml", requireApproval=True, requestedBy=REQUESTER),
    )
    token = local_cloud.task_token(execution, APPROVAL)

    # THEN the approval request lists what will change and carries the token, where the operator CLI
    # looks for it: the parameters of the latest TaskScheduled event of the step
    (approval_request,) = notifications()
    assert approval_request["type"] == "StackDeploymentApprovalRequest"
    assert approval_request["taskToken"] == token
    assert approval_request["summary"] == [
        "Add AlertTopic (AWS::SNS::Topic)",
        "Modify DeadLetterQueue (AWS::SQS::Queue)",
    ]
    scheduled = [e for e in local_cloud.history(execution) if e["type"] == "TaskScheduled"]
    parameters = json.loads(scheduled[-1]["taskScheduledEventDetails"]["parameters"])
    assert parameters["Message"]["taskToken"] == token
    # AND nothing is deployed before the answer
    assert (
        local_cloud.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
        == "CREATE_COMPLETE"
    )

    # WHEN another person approves, as the deployment entry answers for them
    local_cloud.client("stepfunctions").send_task_success(
        taskToken=token, output=json.dumps({"approved": True, "approvedBy": APPROVER})
    )
    result = local_cloud.wait(execution)

    # THEN the update ran and the output says what changed, who asked and who approved it
    assert result.status == "SUCCEEDED", local_cloud.trace(execution).render()
    assert (
        result.output["changeSetType"],
        result.output["stackStatus"],
        result.output["requestedBy"],
        result.output["approvedBy"],
    ) == ("UPDATE", "UPDATE_COMPLETE", REQUESTER, APPROVER)
    assert [(c["action"], c["logicalId"]) for c in result.output["changes"]] == [
        ("Add", "AlertTopic"),
        ("Modify", "DeadLetterQueue"),
    ]
    assert sorted(result.output["outputs"]) == ["AlertTopicArn", "DeadLetterQueueArn", "WorkQueueUrl"]
    resources = local_cloud.client("cloudformation").describe_stack_resources(StackName=stack_name)
    assert sorted(r["LogicalResourceId"] for r in resources["StackResources"]) == [
        "AlertTopic",
        "DeadLetterQueue",
        "WorkQueue",
    ]


def test_an_approval_by_the_requester_that_slipped_past_the_entry_is_rejected(
    local_cloud, deployment, stack_name
):
    # GIVEN ana's deployment waits for approval
    deployed(local_cloud, deployment, stack_name)
    execution = local_cloud.start(
        WORKFLOW,
        request(deployment, stack_name, "service-queue-v2.yaml", requireApproval=True, requestedBy=REQUESTER),
    )
    # WHEN an answer naming ana herself as approver reaches the step (only a principal outside the
    # answer guard could send it: the entry refuses it with SelfApprovalDenied)
    local_cloud.complete_callback(execution, APPROVAL, {"approved": True, "approvedBy": REQUESTER})
    result = local_cloud.wait(execution)
    # THEN the workflow checks again: nothing is deployed and the change set is deleted
    assert (result.status, result.error) == ("FAILED", contract.DEPLOYMENT_REJECTED)
    assert result.cause == "The approval did not name an approver other than the requester."
    assert f"deploy-{execution.name}" not in change_set_names(local_cloud, stack_name)


def test_no_changes_is_a_success_and_leaves_no_change_set(local_cloud, deployment, stack_name):
    # GIVEN the first release is deployed
    deployed(local_cloud, deployment, stack_name)
    # WHEN the same template and parameters are deployed again
    result = local_cloud.run(WORKFLOW, request(deployment, stack_name))
    # THEN the execution succeeds with no changes, and the empty change set was deleted
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    assert result.output["changes"] == []
    assert result.output["stackStatus"] == "CREATE_COMPLETE"
    assert result.output["changeSetName"] not in change_set_names(local_cloud, stack_name)
    assert "Execute the change set" not in local_cloud.trace(result.execution).render()


# Stopping before anything is deployed -----------------------------------------------------------


def test_a_rejected_deployment_deletes_its_change_set_and_changes_nothing(
    local_cloud, deployment, stack_name
):
    # GIVEN the first release is deployed and the second waits for approval
    deployed(local_cloud, deployment, stack_name)
    execution = local_cloud.start(
        WORKFLOW, request(deployment, stack_name, "service-queue-v2.yaml", requireApproval=True)
    )
    token = local_cloud.task_token(execution, APPROVAL)
    # WHEN an operator rejects it, as `workflows reject` does
    local_cloud.client("stepfunctions").send_task_failure(
        taskToken=token, error=contract.DEPLOYMENT_REJECTED, cause="Not during the sale (ana)"
    )
    result = local_cloud.wait(execution)
    # THEN the execution fails with the rejection and its reason
    assert (result.status, result.error, result.cause) == (
        "FAILED",
        contract.DEPLOYMENT_REJECTED,
        "Not during the sale (ana)",
    )
    # AND the change set is gone and the stack still has its two queues
    assert f"deploy-{execution.name}" not in change_set_names(local_cloud, stack_name)
    resources = local_cloud.client("cloudformation").describe_stack_resources(StackName=stack_name)
    assert sorted(r["LogicalResourceId"] for r in resources["StackResources"]) == [
        "DeadLetterQueue",
        "WorkQueue",
    ]


def test_no_decision_in_time_deletes_the_change_set(local_cloud, deployment, stack_name):
    deployed(local_cloud, deployment, stack_name)
    execution = local_cloud.start(
        WORKFLOW, request(deployment, stack_name, "service-queue-v2.yaml", requireApproval=True)
    )
    # WHEN the approval step reaches its timeout without an answer
    local_cloud.time_out_callback(execution, APPROVAL)
    result = local_cloud.wait(execution)
    # THEN the deployment stops with ApprovalTimedOut, its change set deleted
    assert (result.status, result.error) == ("FAILED", "ApprovalTimedOut")
    assert result.cause == "No decision within 1 day; the change set was deleted."
    assert f"deploy-{execution.name}" not in change_set_names(local_cloud, stack_name)


def test_an_invalid_request_fails_first_and_touches_nothing(local_cloud, deployment):
    # WHEN the request breaks several rules
    bad = {
        "correlationId": "c-bad",
        "stackName": "billing-core",
        "templateUrl": f"s3://{deployment['TemplateBucketName']}/samples/service-queue.yaml",
        "reason": "behaviour test",
    }
    result = local_cloud.run(WORKFLOW, bad)
    # THEN the first step fails with every problem named
    assert (result.status, result.error) == ("FAILED", contract.REQUEST_INVALID)
    assert result.cause.split("; ") == [
        "stackName must start with svc-, the prefix of the stacks this workflow may deploy. "
        "Received: [billing-core]",
        "templateUrl must be the https:// URL of an Amazon S3 object "
        "(https://<bucket>.s3.<region>.amazonaws.com/<key>). "
        f"Received: [s3://{deployment['TemplateBucketName']}/samples/service-queue.yaml]",
    ]
    # AND no AWS call was made
    steps = [run.name for run in local_cloud.trace(result.execution).runs]
    assert steps == ["Check the deployment request", "Is the request valid", "Reject the invalid request"]


def test_a_stack_that_failed_to_create_is_not_deployed_over(local_cloud, deployment, stack_name):
    # GIVEN CloudFormation reports the stack as ROLLBACK_COMPLETE (injected: moto cannot fail a creation)
    local_cloud.inject_answer(
        WORKFLOW,
        "Look up the stack",
        {"Stacks": [{"StackName": stack_name, "StackStatus": "ROLLBACK_COMPLETE"}]},
    )
    # WHEN it is deployed
    result = local_cloud.run(WORKFLOW, request(deployment, stack_name))
    # THEN nothing is created and the cause says what to do
    assert (result.status, result.error) == ("FAILED", "StackNotDeployable")
    assert result.cause.startswith(
        f"Stack {stack_name} is ROLLBACK_COMPLETE and cannot take a change set now"
    )
    assert "Create the change set" not in local_cloud.trace(result.execution).render()


def test_a_change_set_cloudformation_refuses_to_execute_is_deleted(local_cloud, deployment, stack_name):
    # GIVEN the first release is deployed
    deployed(local_cloud, deployment, stack_name)
    # AND CloudFormation refuses the execution (the stack changed while the change set waited)
    local_cloud.inject_permanent_fault(
        WORKFLOW,
        "Execute the change set",
        error="CloudFormation.InvalidChangeSetStatusException",
        cause="ChangeSet [deploy-x] cannot be executed in its current status of [OBSOLETE]",
    )
    # WHEN the second release is deployed
    result = local_cloud.run(WORKFLOW, request(deployment, stack_name, "service-queue-v2.yaml"))
    # THEN CloudFormation's error ends the execution, and the change set is gone
    assert (result.status, result.error) == ("FAILED", "CloudFormation.InvalidChangeSetStatusException")
    assert "OBSOLETE" in result.cause
    assert f"deploy-{result.execution.name}" not in change_set_names(local_cloud, stack_name)


# Failing while deploying ------------------------------------------------------------------------


FAILED_EVENTS = [  # newest first, as DescribeStackEvents answers
    {
        "LogicalResourceId": "STACK",
        "ResourceType": "AWS::CloudFormation::Stack",
        "ResourceStatus": "UPDATE_ROLLBACK_COMPLETE",
        "Timestamp": "2026-01-15T10:04:00.000Z",
    },
    {
        "LogicalResourceId": "STACK",
        "ResourceType": "AWS::CloudFormation::Stack",
        "ResourceStatus": "UPDATE_ROLLBACK_IN_PROGRESS",
        "ResourceStatusReason": "The following resource(s) failed to create: [AlertTopic].",
        "Timestamp": "2026-01-15T10:03:00.000Z",
    },
    {
        "LogicalResourceId": "DeadLetterQueue",
        "ResourceType": "AWS::SQS::Queue",
        "ResourceStatus": "UPDATE_FAILED",
        "ResourceStatusReason": "Resource update cancelled",
        "Timestamp": "2026-01-15T10:02:30.000Z",
    },
    {
        "LogicalResourceId": "AlertTopic",
        "ResourceType": "AWS::SNS::Topic",
        "ResourceStatus": "CREATE_FAILED",
        "ResourceStatusReason": "Resource handler returned message: User is not authorized to perform: "
        "kms:GenerateDataKey (HandlerErrorCode: AccessDenied)",
        "Timestamp": "2026-01-15T10:02:00.000Z",
    },
    {
        "LogicalResourceId": "STACK",
        "ResourceType": "AWS::CloudFormation::Stack",
        "ResourceStatus": "UPDATE_IN_PROGRESS",
        "ResourceStatusReason": "User Initiated",
        "Timestamp": "2026-01-15T10:01:00.000Z",
    },
]


def test_a_failed_deployment_ends_with_the_failed_events_as_its_cause(local_cloud, deployment, stack_name):
    # GIVEN the first release is deployed
    deployed(local_cloud, deployment, stack_name)
    # AND CloudFormation rolls the second back (injected: moto never fails a deployment): the stack
    # ends UPDATE_ROLLBACK_COMPLETE, with these events tagged with this deployment's token, after an
    # older failure of another deployment
    name = execution_name(WORKFLOW, "failed deployment")
    token = f"deploy-{name}"
    ours = [
        {
            **event,
            "LogicalResourceId": event["LogicalResourceId"].replace("STACK", stack_name),
            "ClientRequestToken": token,
        }
        for event in FAILED_EVENTS
    ]
    older = {
        **FAILED_EVENTS[3],
        "Timestamp": "2026-01-01T09:00:00.000Z",
        "ClientRequestToken": "deploy-older",
    }
    local_cloud.inject_answer(
        WORKFLOW,
        "Check the stack",
        {"Stacks": [{"StackName": stack_name, "StackStatus": "UPDATE_ROLLBACK_COMPLETE"}]},
    )
    local_cloud.inject_answer(WORKFLOW, "Read the failed stack events", {"StackEvents": [*ours, older]})

    # WHEN the second release is deployed
    arn = local_cloud.client("stepfunctions").start_execution(
        stateMachineArn=local_cloud.state_machine_arn(WORKFLOW),
        name=name,
        input=json.dumps(request(deployment, stack_name, "service-queue-v2.yaml")),
    )["executionArn"]
    result = local_cloud.wait(arn)

    # THEN the execution fails StackDeploymentFailed; the cause is this deployment's failed events,
    # oldest first, each with its reason
    assert (result.status, result.error) == ("FAILED", "StackDeploymentFailed")
    assert result.cause == (
        f"Stack {stack_name} ended UPDATE_ROLLBACK_COMPLETE. Failed events, oldest first:\n"
        "2026-01-15T10:02:00.000Z AlertTopic (AWS::SNS::Topic) CREATE_FAILED: Resource handler returned "
        "message: User is not authorized to perform: kms:GenerateDataKey (HandlerErrorCode: AccessDenied)\n"
        "2026-01-15T10:02:30.000Z DeadLetterQueue (AWS::SQS::Queue) UPDATE_FAILED: Resource update cancelled"
    )


def test_a_change_set_that_never_completes_times_out_on_simulated_time(local_cloud, deployment, stack_name):
    # GIVEN CloudFormation keeps the change set CREATE_IN_PROGRESS (injected: moto creates it at once)
    local_cloud.inject_answer(
        WORKFLOW,
        "Check the change set",
        {"Status": "CREATE_IN_PROGRESS", "ExecutionStatus": "UNAVAILABLE", "Changes": []},
    )
    # WHEN a stack is deployed
    result = local_cloud.run(WORKFLOW, request(deployment, stack_name))
    # THEN it gives up after 60 checks 5 seconds apart, without waiting them for real
    assert (result.status, result.error) == ("FAILED", "ChangeSetTimedOut")
    assert result.cause == (
        f"Change set deploy-{result.execution.name} was still CREATE_IN_PROGRESS "
        "after 60 checks 5 seconds apart."
    )
    waits = [
        pause for pause in local_cloud.pauses(result.execution) if pause.state == "Wait for the change set"
    ]
    assert [pause.seconds for pause in waits] == [5] * 60
    # AND the change set it created is deleted
    assert f"deploy-{result.execution.name}" not in change_set_names(local_cloud, stack_name)


# Throttling -------------------------------------------------------------------------------------
# CloudFormation's Throttling is not in its SDK model: Step Functions raises the generic
# CloudFormation.CloudFormationException with "Rate exceeded" in the Cause, the same class as the
# ValidationError that says a stack does not exist. The faults below are that error (the library's
# table, through TaskStep.transient_error), so these runs see what AWS would send.

THROTTLED = "CloudFormation.CloudFormationException"


def _throttle(local_cloud, state: str) -> None:
    fault = local_cloud.inject_transient_fault(WORKFLOW, state, times=1)
    assert (fault.error, fault.cause.startswith("Rate exceeded")) == (THROTTLED, True)


def _waited_after_throttling(local_cloud, result, state: str) -> list[float]:
    lowered = state[:1].lower() + state[1:]
    return [
        p.seconds for p in local_cloud.pauses(result.execution) if p.state == f"Wait then {lowered} again"
    ]


def test_a_throttled_look_up_of_a_missing_stack_is_made_again_not_taken_for_missing(
    local_cloud, deployment, stack_name
):
    # GIVEN CloudFormation throttles the first look-up of a stack that exists
    deployed(local_cloud, deployment, stack_name)
    _throttle(local_cloud, "Look up the stack")
    # WHEN the second release is deployed
    result = local_cloud.run(WORKFLOW, request(deployment, stack_name, "service-queue-v2.yaml"))
    # THEN the look-up is made again after a pause and the stack is updated, not created or given up on
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    assert (result.output["changeSetType"], result.output["stackStatus"]) == ("UPDATE", "UPDATE_COMPLETE")
    (pause,) = _waited_after_throttling(local_cloud, result, "Look up the stack")
    assert 1 <= pause <= 3


def test_a_throttled_look_up_of_a_new_stack_still_creates_it(local_cloud, deployment, stack_name):
    # GIVEN CloudFormation throttles the look-up of a stack that does not exist yet
    _throttle(local_cloud, "Look up the stack")
    # WHEN it is deployed
    result = local_cloud.run(WORKFLOW, request(deployment, stack_name))
    # THEN the second look-up's real "does not exist" (the same generic class) leads to a CREATE
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    assert (result.output["changeSetType"], result.output["stackStatus"]) == ("CREATE", "CREATE_COMPLETE")


def test_a_throttled_execute_runs_the_approved_change_set_instead_of_deleting_it(
    local_cloud, deployment, stack_name
):
    # GIVEN the first release is deployed and CloudFormation throttles the execute call
    deployed(local_cloud, deployment, stack_name)
    _throttle(local_cloud, "Execute the change set")
    # WHEN the second release is deployed
    result = local_cloud.run(WORKFLOW, request(deployment, stack_name, "service-queue-v2.yaml"))
    # THEN the change set is executed on the next call, and the stack is updated
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    assert result.output["stackStatus"] == "UPDATE_COMPLETE"
    assert len(_waited_after_throttling(local_cloud, result, "Execute the change set")) == 1
    assert "Delete the change set" not in local_cloud.trace(result.execution).render()


def test_a_throttled_status_poll_keeps_following_the_stack(local_cloud, deployment, stack_name):
    # GIVEN CloudFormation throttles a status check while it deploys
    _throttle(local_cloud, "Check the stack")
    # WHEN a stack is deployed
    result = local_cloud.run(WORKFLOW, request(deployment, stack_name))
    # THEN the check is made again and the run reports the deployed stack
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    assert result.output["stackStatus"] == "CREATE_COMPLETE"
    assert len(_waited_after_throttling(local_cloud, result, "Check the stack")) == 1


def test_a_permanent_cloudformation_error_is_not_called_again(local_cloud, deployment, stack_name):
    # GIVEN a ValidationError on the status check (the same generic class as throttling)
    local_cloud.inject_permanent_fault(
        WORKFLOW,
        "Check the stack",
        error=THROTTLED,
        cause="Stack with id x does not exist "
        "(Service: CloudFormation, Status Code: 400, Error Code: ValidationError)",
    )
    # WHEN a stack is deployed
    result = local_cloud.run(WORKFLOW, request(deployment, stack_name))
    local_cloud.clear_faults()
    # THEN the run stops with that error at once
    assert (result.status, result.error) == ("FAILED", THROTTLED)
    assert _waited_after_throttling(local_cloud, result, "Check the stack") == []


def test_the_failed_event_tail_reads_later_pages_for_the_first_failure(local_cloud, deployment, stack_name):
    # GIVEN a rollback whose events span two pages (injected: moto never fails a deployment): the
    # first holds the rollback's own events, the second the first failure, then an older deployment's
    deployed(local_cloud, deployment, stack_name)
    name = execution_name(WORKFLOW, "paged events")
    token = f"deploy-{name}"
    ours = [{**event, "ClientRequestToken": token} for event in FAILED_EVENTS]
    rollback = [
        {
            "LogicalResourceId": f"Queue{n}",
            "ResourceType": "AWS::SQS::Queue",
            "ResourceStatus": "DELETE_FAILED" if n == 0 else "UPDATE_COMPLETE",
            "ResourceStatusReason": "Resource cleanup failed" if n == 0 else "",
            "Timestamp": f"2026-01-15T10:05:{n:02d}.000Z",
            "ClientRequestToken": token,
        }
        for n in range(99, -1, -1)
    ]
    older = {
        **FAILED_EVENTS[3],
        "Timestamp": "2026-01-01T09:00:00.000Z",
        "ClientRequestToken": "deploy-older",
    }
    local_cloud.inject_answer(
        WORKFLOW,
        "Check the stack",
        {"Stacks": [{"StackName": stack_name, "StackStatus": "UPDATE_ROLLBACK_COMPLETE"}]},
    )
    local_cloud.inject_answer(
        WORKFLOW, "Read the failed stack events", {"StackEvents": rollback, "NextToken": "page-2"}
    )
    local_cloud.inject_answer(
        WORKFLOW, "Read more stack events", {"StackEvents": [*ours, older], "NextToken": "page-3"}
    )

    # WHEN the second release is deployed
    arn = local_cloud.client("stepfunctions").start_execution(
        stateMachineArn=local_cloud.state_machine_arn(WORKFLOW),
        name=name,
        input=json.dumps(request(deployment, stack_name, "service-queue-v2.yaml")),
    )["executionArn"]
    result = local_cloud.wait(arn)
    local_cloud.clear_faults()

    # THEN the cause starts with the first failure, found on page 2, and paging stopped once the
    # events of this deployment ran out (page 3 was never asked for)
    assert (result.status, result.error) == ("FAILED", "StackDeploymentFailed")
    lines = result.cause.split("\n")
    assert lines[1] == (
        "2026-01-15T10:02:00.000Z AlertTopic (AWS::SNS::Topic) CREATE_FAILED: Resource handler returned "
        "message: User is not authorized to perform: kms:GenerateDataKey (HandlerErrorCode: AccessDenied)"
    )
    assert lines[2].startswith("2026-01-15T10:02:30.000Z DeadLetterQueue (AWS::SQS::Queue) UPDATE_FAILED")
    assert lines[3].startswith("2026-01-15T10:05:00.000Z Queue0 (AWS::SQS::Queue) DELETE_FAILED")
    # (a second read of the answered page would have listed its failures twice)
    assert len(lines) == 4
