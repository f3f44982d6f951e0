"""Demo scenarios of the stack-deployment workflow: one service stack's life on the local cloud.

``svc-orders-queue`` is created from ``samples/stack-deployment/service-queue.yaml``, updated to
release 2 after an operator approves the change list, re-deployed with nothing to change, then a
rollback to release 1 is rejected, a release CloudFormation rolls back ends with its failed events,
and a malformed request is refused at the first step.

The samples name the template bucket ``<template-bucket>``: it is only known once the app is
deployed, so each scenario uploads the templates to the bucket in the ``StackDeployment`` stack's
outputs first and its input names that bucket.

Approvals go through the deployment entry, as ``workflows approve``/``reject`` do on the local cloud
(``workflow_tools.deployment_entry``, transport ``invoke``), by a demo approver: an IAM user of the
local cloud, another person than the requester the scenario's input records (the harness starts the
run, standing in for the entry's ``POST /deployments``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from workflow_local_cloud import Execution, LocalCloudHarness

from workflow_tools.demo import SAMPLES_DIR, Scenario
from workflow_tools.deployment_entry import APPROVALS_ROUTE, EntryCallError, EntryClients, call_entry

WORKFLOW = "stack-deployment"
STACK = "StackDeployment"
TEMPLATE_BUCKET_PLACEHOLDER = "<template-bucket>"
TEMPLATES = {
    "orders/service-queue.yaml": "service-queue.yaml",
    "orders/service-queue-v2.yaml": "service-queue-v2.yaml",
}
APPROVAL = "Ask for approval"
REQUESTER = "arn:aws:sts::123456789012:assumed-role/Deployer/demo-requester"
APPROVER_USER = "demo-approver"
APPROVER_GRANTS = [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]
"""What an approver holds on AWS (the entry's POST /approvals); the local cloud's invoke does not check it."""

_deployed: dict[str, str] = {}
"""The template bucket, once a scenario's ``before`` found it (scenarios run one after another)."""
_approvers: dict[str, Any] = {}
"""The demo approver's session, by local cloud endpoint (created on the first approval)."""


@dataclass(frozen=True)
class DeploymentScenario(Scenario):
    """A scenario whose sample names the template bucket as ``<template-bucket>``."""

    def input(self) -> Any:
        text = (SAMPLES_DIR / self.workflow / self.sample).read_text()
        bucket = _deployed.get("bucket")
        request = json.loads(text.replace(TEMPLATE_BUCKET_PLACEHOLDER, bucket) if bucket else text)
        return {**request, "requestedBy": REQUESTER}


def upload_templates(cloud: LocalCloudHarness) -> None:
    """Put both releases of the sample template in the deployed template bucket."""
    stack = cloud.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    bucket = outputs["TemplateBucketName"]
    for key, sample in TEMPLATES.items():
        cloud.client("s3").put_object(
            Bucket=bucket, Key=key, Body=(SAMPLES_DIR / WORKFLOW / sample).read_bytes()
        )
    _deployed["bucket"] = bucket


def _decide(cloud: LocalCloudHarness, execution: Execution, decision: str, reason: str) -> None:
    """What `workflows approve`/`reject` do on the local cloud, as the demo approver."""
    cloud.task_token(execution, APPROVAL)  # waits until the step waits
    approver = _approvers.get(cloud.endpoint_url)
    if approver is None:
        approver = cloud.principal(f"{APPROVER_USER}-{uuid.uuid4().hex[:8]}", APPROVER_GRANTS)
        _approvers[cloud.endpoint_url] = approver
    clients = EntryClients(
        cloudformation=cloud.client("cloudformation"),
        sts=approver.client("sts", endpoint_url=cloud.endpoint_url),
        lambda_=cloud.client("lambda"),
    )
    answer = call_entry(
        clients,
        APPROVALS_ROUTE,
        {"execution": execution.arn, "decision": decision, "reason": reason},
        transport="invoke",
    )
    if answer.status_code != 200:
        raise EntryCallError(f"the deployment entry refused to {decision}: {answer.body}")


def approve(cloud: LocalCloudHarness, execution: Execution) -> None:
    """The demo approver approves through the deployment entry."""
    _decide(cloud, execution, "approve", "change list reviewed")


def reject(cloud: LocalCloudHarness, execution: Execution) -> None:
    """The demo approver rejects through the deployment entry."""
    _decide(cloud, execution, "reject", "Release 2 is fine; no rollback")


def roll_back_in_cloudformation(cloud: LocalCloudHarness) -> None:
    """moto never fails a deployment: answer as CloudFormation does when SQS refuses the update."""
    upload_templates(cloud)
    cloud.inject_answer(
        WORKFLOW,
        "Check the stack",
        {"Stacks": [{"StackName": "svc-orders-queue", "StackStatus": "UPDATE_ROLLBACK_COMPLETE"}]},
        times=1,
    )
    stack_event = {"LogicalResourceId": "svc-orders-queue", "ResourceType": "AWS::CloudFormation::Stack"}
    cloud.inject_answer(
        WORKFLOW,
        "Read the failed stack events",
        {
            "StackEvents": [  # newest first
                {
                    **stack_event,
                    "ResourceStatus": "UPDATE_ROLLBACK_COMPLETE",
                    "Timestamp": "2026-01-17T09:03:10Z",
                },
                {
                    "LogicalResourceId": "WorkQueue",
                    "ResourceType": "AWS::SQS::Queue",
                    "ResourceStatus": "UPDATE_FAILED",
                    "ResourceStatusReason": 'Resource handler returned message: "Invalid value for '
                    'maxReceiveCount: 5000, valid values are from 1 to 1000 both inclusive." '
                    "(Service: Sqs, Status Code: 400)",
                    "Timestamp": "2026-01-17T09:02:41Z",
                },
                {**stack_event, "ResourceStatus": "UPDATE_IN_PROGRESS", "Timestamp": "2026-01-17T09:02:30Z"},
            ]
        },
        times=1,
    )


SCENARIOS = [
    DeploymentScenario(
        workflow=WORKFLOW,
        title="A service stack is created from its first release",
        sample="create-service-queue.json",
        reason="orders queue release 1",
        before=upload_templates,
    ),
    DeploymentScenario(
        workflow=WORKFLOW,
        title="Release 2: the change list is approved by an operator, then deployed",
        sample="deploy-with-approval.json",
        reason="orders queue release 2",
        before=upload_templates,
        during=approve,
    ),
    DeploymentScenario(
        workflow=WORKFLOW,
        title="The pipeline re-runs release 2: no changes is a success",
        sample="redeploy-unchanged.json",
        reason="orders queue release 2 again",
        before=upload_templates,
    ),
    DeploymentScenario(
        workflow=WORKFLOW,
        title="A rollback to release 1 is rejected: its change set is deleted",
        sample="rollback-to-release-1.json",
        reason="orders queue rollback",
        expect_status="FAILED",
        expect_error="DeploymentRejected",
        before=upload_templates,
        during=reject,
    ),
    DeploymentScenario(
        workflow=WORKFLOW,
        title="CloudFormation rolls a release back: the failed event is the cause (rollback simulated)",
        sample="too-many-receives.json",
        reason="orders queue max receives",
        expect_status="FAILED",
        expect_error="StackDeploymentFailed",
        before=roll_back_in_cloudformation,
    ),
    DeploymentScenario(
        workflow=WORKFLOW,
        title="A malformed request is refused before anything is touched",
        sample="invalid-request.json",
        reason="malformed request",
        expect_status="FAILED",
        expect_error="StackDeploymentRequestInvalid",
        before=upload_templates,
    ),
]
