"""Deployment approvals by a verified identity, on the local cloud (issue 17: self-approved deployments).

Deployments are requested and approved through the IAM-authorised entry (``StackDeployment`` outputs
``EntryUrl``/``EntryFunctionName``); the entry records the authenticated caller as ``requestedBy`` and
``approvedBy``. The local cloud serves no HTTPS API, so the entry function is invoked with the event
API Gateway would build for the caller (``workflow_tools.deployment_entry``, transport ``invoke``), as
the operator CLI does there. Principals are IAM users of the local cloud (``local_cloud.principal``);
their own calls to Step Functions are authorised inside ``local_cloud.iam_evaluation()``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from deployment_approvals import contract
from workflow_constructs.naming import execution_name
from workflow_tools.deployment_entry import APPROVALS_ROUTE, DEPLOYMENTS_ROUTE, EntryClients, call_entry

from tests.behaviour.test_stack_deployment import (
    APPROVAL,
    WORKFLOW,
    change_set_names,
    deployed,
    deployment_outputs,
    request,
)


@pytest.fixture(scope="module")
def deployment(local_cloud_session) -> dict[str, str]:
    return deployment_outputs(local_cloud_session)


@pytest.fixture
def stack_name() -> str:
    return f"svc-approval-{uuid.uuid4().hex[:8]}"


# What a developer or CI role commonly holds: read executions, answer tasks, start executions.
BROAD_GRANTS = [
    {
        "Effect": "Allow",
        "Action": [
            "states:GetExecutionHistory",
            "states:DescribeExecution",
            "states:StartExecution",
            "states:SendTaskSuccess",
            "states:SendTaskFailure",
        ],
        "Resource": "*",
    }
]


def _person(local_cloud, deployment, role: str) -> tuple[Any, str]:
    """A principal under the shipped guard, and its ARN."""
    name = f"{role}-{uuid.uuid4().hex[:8]}"
    session = local_cloud.principal(
        name, BROAD_GRANTS, managed_policy_arns=(deployment["AnswerGuardPolicyArn"],)
    )
    arn = session.client("sts", endpoint_url=local_cloud.endpoint_url).get_caller_identity()["Arn"]
    return session, str(arn)


def _entry(local_cloud, session, route: str, body: dict[str, Any]):
    """``session`` calls the entry; the invoke stands in for API Gateway (see the module docstring)."""
    clients = EntryClients(
        cloudformation=local_cloud.client("cloudformation"),
        sts=session.client("sts", endpoint_url=local_cloud.endpoint_url),
        lambda_=local_cloud.client("lambda"),
    )
    return call_entry(clients, route, body, transport="invoke")


def _requested(local_cloud, deployment, session, stack: str) -> str:
    """``session`` requests release 2 of ``stack`` with approval required; returns the execution ARN."""
    body = {
        "name": execution_name(WORKFLOW, "approval test"),
        "input": request(deployment, stack, "service-queue-v2.yaml", requireApproval=True),
    }
    answer = _entry(local_cloud, session, DEPLOYMENTS_ROUTE, body)
    assert answer.status_code == 200, answer.body
    arn = str(answer.body["executionArn"])
    local_cloud.task_token(arn, APPROVAL)  # waits until the approval step waits
    return arn


def _status(local_cloud, arn: str) -> str:
    return str(local_cloud.client("stepfunctions").describe_execution(executionArn=arn)["status"])


def _stack_status(local_cloud, stack: str) -> str:
    return str(
        local_cloud.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
    )


def test_self_approval_is_denied(local_cloud, deployment, stack_name):
    # GIVEN ana requested release 2 through the entry, and it waits for approval
    deployed(local_cloud, deployment, stack_name)
    ana, ana_arn = _person(local_cloud, deployment, "ana")
    arn = _requested(local_cloud, deployment, ana, stack_name)
    assert (
        json.loads(local_cloud.client("stepfunctions").describe_execution(executionArn=arn)["input"])[
            "requestedBy"
        ]
        == ana_arn
    )

    # WHEN ana approves her own deployment
    answer = _entry(local_cloud, ana, APPROVALS_ROUTE, {"execution": arn, "decision": "approve"})

    # THEN the entry refuses it by name, the execution still waits, and no change set was executed
    assert (answer.status_code, answer.error) == (403, "SelfApprovalDenied"), answer.body
    assert _status(local_cloud, arn) == "RUNNING"
    local_cloud.task_token(arn, APPROVAL)  # still waiting in the approval step
    assert _stack_status(local_cloud, stack_name) == "CREATE_COMPLETE"
    assert f"deploy-{arn.rsplit(':', 1)[1]}" in change_set_names(local_cloud, stack_name)


def test_a_second_identity_approves_and_the_outcome_records_its_arn(local_cloud, deployment, stack_name):
    # GIVEN ana requested release 2 and it waits for approval
    deployed(local_cloud, deployment, stack_name)
    ana, ana_arn = _person(local_cloud, deployment, "ana")
    ben, ben_arn = _person(local_cloud, deployment, "ben")
    arn = _requested(local_cloud, deployment, ana, stack_name)

    # WHEN ben approves it through the entry
    answer = _entry(local_cloud, ben, APPROVALS_ROUTE, {"execution": arn, "decision": "approve"})

    # THEN it deploys, and the outcome records who asked and who approved, as IAM authenticated them
    assert answer.status_code == 200, answer.body
    result = local_cloud.wait(arn)
    assert result.status == "SUCCEEDED", local_cloud.trace(arn).render()
    assert (result.output["stackStatus"], result.output["requestedBy"], result.output["approvedBy"]) == (
        "UPDATE_COMPLETE",
        ana_arn,
        ben_arn,
    )


def _token_from_history(sfn, arn: str) -> str:
    scheduled = [
        e for e in sfn.get_execution_history(executionArn=arn)["events"] if e["type"] == "TaskScheduled"
    ]
    return str(json.loads(scheduled[-1]["taskScheduledEventDetails"]["parameters"])["Message"]["taskToken"])


def test_forged_approved_by_is_denied(local_cloud, deployment, stack_name):
    # GIVEN ana's deployment waits for approval, and ana may read histories and answer tasks
    deployed(local_cloud, deployment, stack_name)
    ana, _ = _person(local_cloud, deployment, "ana")
    _, ben_arn = _person(local_cloud, deployment, "ben")
    arn = _requested(local_cloud, deployment, ana, stack_name)
    sfn = ana.client("stepfunctions", endpoint_url=local_cloud.endpoint_url)

    # WHEN ana reads the token from the history and answers it herself, claiming ben approved
    with local_cloud.iam_evaluation():
        token = _token_from_history(sfn, arn)
        with pytest.raises(ClientError) as denied:
            sfn.send_task_success(
                taskToken=token, output=json.dumps({"approved": True, "approvedBy": ben_arn})
            )
        decisions = [d for d in local_cloud.iam_decisions() if d["action"] == "states:SendTaskSuccess"]

    # THEN the guard's explicit Deny stops it; the deployment still waits and nothing was deployed
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert decisions[-1]["decision"] == "explicit deny"
    assert _status(local_cloud, arn) == "RUNNING"
    assert _stack_status(local_cloud, stack_name) == "CREATE_COMPLETE"


def test_forged_requested_by_on_a_direct_start_is_denied(local_cloud, deployment, stack_name):
    # GIVEN ana, allowed StartExecution, under the guard
    ana, _ = _person(local_cloud, deployment, "ana")
    _, ben_arn = _person(local_cloud, deployment, "ben")
    sfn = ana.client("stepfunctions", endpoint_url=local_cloud.endpoint_url)
    forged = {**request(deployment, stack_name, requireApproval=True), "requestedBy": ben_arn}

    # WHEN she starts a deployment directly, naming ben as its requester (so she could approve it)
    with local_cloud.iam_evaluation(), pytest.raises(ClientError) as denied:
        sfn.start_execution(
            stateMachineArn=local_cloud.state_machine_arn(WORKFLOW),
            name=execution_name(WORKFLOW, "forged requester"),
            input=json.dumps(forged),
        )

    # THEN it is denied: every requestedBy was written by the entry
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_an_execution_started_without_the_entry_can_be_rejected_but_not_approved(
    local_cloud, deployment, stack_name
):
    # GIVEN a deployment started directly (by an unguarded principal: the harness), waiting for approval
    deployed(local_cloud, deployment, stack_name)
    execution = local_cloud.start(
        WORKFLOW, request(deployment, stack_name, "service-queue-v2.yaml", requireApproval=True)
    )
    local_cloud.task_token(execution, APPROVAL)
    ben, _ = _person(local_cloud, deployment, "ben")

    # WHEN ben approves it, then rejects it
    approved = _entry(local_cloud, ben, APPROVALS_ROUTE, {"execution": execution.arn, "decision": "approve"})
    rejected = _entry(
        local_cloud,
        ben,
        APPROVALS_ROUTE,
        {"execution": execution.arn, "decision": "reject", "reason": "who asked?"},
    )

    # THEN approving is refused (no requester to tell him from), rejecting ends it and deletes its change set
    assert (approved.status_code, approved.error) == (409, "RequesterUnknown")
    assert rejected.status_code == 200, rejected.body
    result = local_cloud.wait(execution)
    assert (result.status, result.error, result.cause) == (
        "FAILED",
        contract.DEPLOYMENT_REJECTED,
        "who asked?",
    )
    assert f"deploy-{execution.name}" not in change_set_names(local_cloud, stack_name)
    assert _stack_status(local_cloud, stack_name) == "CREATE_COMPLETE"
