"""Stack deployment (``stack-deployment``): a change set per run, deployed once approved, and never
left behind; the stack changes only through an executed change set."""

from __future__ import annotations

import contextlib
import json
from typing import Any, ClassVar

from botocore.exceptions import ClientError
from deployment_approvals import contract
from workflow_local_cloud import Execution
from workflow_tools.deployment_entry import APPROVALS_ROUTE, api_gateway_event

from tests.reliability.profiles.base import (
    SAMPLES,
    Answer,
    Forgery,
    Outcome,
    Request,
    Run,
    Scenario,
    WorkflowProfile,
    callback_token,
    run_happy_path_first,
)
from tests.reliability.tally import Verdict

APPROVAL = contract.APPROVAL_STATE
RELEASES = ("service-queue.yaml", "service-queue-v2.yaml")
SETTLED = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")
# The harness starts and answers as the deployment entry would: the requester it records, and
# another person approving (the entry itself is tested in tests/behaviour/test_stack_deployment_approvals.py).
REQUESTER = "arn:aws:sts::123456789012:assumed-role/Deployer/reliability-requester"
APPROVER = "arn:aws:sts::123456789012:assumed-role/Deployer/reliability-approver"


def _update_to_the_next_release(profile: WorkflowProfile, request: Request) -> None:
    run_happy_path_first(profile, request)
    request["templateUrl"] = request["templateUrl"].replace(RELEASES[0], RELEASES[1])


def _without_approval(profile: WorkflowProfile, unique: str) -> Request:
    return {**profile.request(unique), "requireApproval": False}


def _reject(profile: WorkflowProfile, execution: Execution, request: Request) -> list[Answer]:
    token = callback_token(profile.harness, execution, APPROVAL)
    if token is not None:
        with contextlib.suppress(ClientError):  # the step may have failed (a fault) meanwhile
            profile.harness.client("stepfunctions").send_task_failure(
                taskToken=token, error=contract.DEPLOYMENT_REJECTED, cause="Not now (reliability test)"
            )
    return []


def _rolled_back(profile: WorkflowProfile, request: Request) -> None:
    # moto never fails a deployment: CloudFormation's answer after a rollback is injected.
    profile.harness.inject_answer(
        profile.workflow,
        "Check the stack",
        {"Stacks": [{"StackName": request["stackName"], "StackStatus": "UPDATE_ROLLBACK_COMPLETE"}]},
    )


class StackDeployment(WorkflowProfile):
    """Clean end: the stack settled in a *_COMPLETE status, and no change set of the run is left
    waiting (executed, or deleted when the run stopped)."""

    workflow: ClassVar[str] = contract.DEFAULT_WORKFLOW_NAME
    stack: ClassVar[str] = "StackDeployment"
    invalid_error: ClassVar[str] = contract.REQUEST_INVALID
    validation_state: ClassVar[str] = "Check the deployment request"
    sample: ClassVar[str] = "deploy-with-approval.json"
    scenarios: ClassVar[tuple[Scenario, ...]] = (
        Scenario("a new stack, approved"),
        Scenario("a new stack, no approval asked", request=_without_approval),
        Scenario("the next release, approved", setup=_update_to_the_next_release),
        Scenario("the same release again: nothing changes", setup=run_happy_path_first),
        Scenario(
            "the operator rejects", expect=Outcome("FAILED", contract.DEPLOYMENT_REJECTED), drive=_reject
        ),
        Scenario(
            "CloudFormation rolls the update back",
            expect=Outcome("FAILED", contract.STACK_DEPLOYMENT_FAILED),
            setup=_update_to_the_next_release,
            arm=_rolled_back,
        ),
    )
    excluded_steps: ClassVar[dict[str, str]] = {
        "Read more of the change set": "reached only when DescribeChangeSet pages its changes, which "
        "moto never does (it answers every change at once)",
        "Read more stack events": "reached only when a rollback's events fill more than one page of "
        "DescribeStackEvents, which the reliability scenarios do not inject; the paging is covered by "
        "tests/behaviour/test_stack_deployment.py (multi-page event tail)",
    }
    tolerated_leftovers: ClassVar[tuple[str, ...]] = (
        # A CREATE change set makes the stack exist in REVIEW_IN_PROGRESS (CloudFormation does that);
        # when the run stops, the change set is deleted and the next run reuses the empty stack.
        "cloudformation:stacks svc-* = REVIEW_IN_PROGRESS",
        # A change set CloudFormation marked FAILED cannot be executed; executed ones are history.
        "cloudformation:change-sets * = FAILED/*",
        "cloudformation:change-sets * = */EXECUTE_COMPLETE",
    )
    residual_faults: ClassVar[dict[str, str]] = {
        "Delete the change set": "when deleting a change set fails for good, the change set stays "
        "(not executed, not approved); the run fails with its original error, which alarms operations",
    }
    required: ClassVar[tuple[str, ...]] = ("correlationId", "stackName", "templateUrl", "reason")
    bounded_strings: ClassVar[tuple[str, ...]] = ("correlationId", "stackName", "templateUrl", "reason")
    identifiers: ClassVar[tuple[str, ...]] = ("stackName",)
    any_scalar: ClassVar[tuple[str, ...]] = ("parameters.*",)

    _uploaded: ClassVar[set[str]] = set()

    @property
    def template_bucket(self) -> str:
        return self.deployment.outputs(self.stack)["TemplateBucketName"]

    def request(self, unique: str) -> Request:
        request = super().request(unique)
        if self.template_bucket not in self._uploaded:
            for release in RELEASES:
                self.harness.client("s3").put_object(
                    Bucket=self.template_bucket,
                    Key=f"reliability/{release}",
                    Body=(SAMPLES / self.workflow / release).read_bytes(),
                )
            self._uploaded.add(self.template_bucket)
        return {
            **request,
            "requestedBy": REQUESTER,
            "stackName": f"svc-rel-{unique}",
            "templateUrl": f"https://{self.template_bucket}.s3.amazonaws.com/reliability/{RELEASES[0]}",
        }

    def drive(self, execution: Execution, request: Request) -> list[Answer]:
        """Approve as the deployment entry does for another person, once approval is asked for."""
        token = callback_token(self.harness, execution, APPROVAL)
        if token is None:
            return []
        sfn = self.harness.client("stepfunctions")
        answer = json.dumps({contract.APPROVED: True, contract.APPROVED_BY: APPROVER})
        try:
            sfn.send_task_success(taskToken=token, output=answer)
        except ClientError:
            return []  # the step failed (a fault) between asking and the answer: nothing waits any more
        return [
            Answer(
                APPROVAL,
                "the operator's approval",
                lambda: sfn.send_task_success(taskToken=token, output=answer),
            )
        ]

    def answers_to_forge(self, execution: Execution, request: Request) -> list[Forgery]:
        """Approvals the deployment entry must refuse while ``execution`` waits: by the requester,
        and with an ``approvedBy`` of the caller's choosing (API Gateway's event for the caller)."""
        function = self.deployment.outputs(self.stack)["EntryFunctionName"]

        def entry(body: dict[str, Any], caller: str) -> Any:
            event = api_gateway_event(APPROVALS_ROUTE, json.dumps(body).encode(), caller)
            answer = self.harness.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event))
            return json.loads(answer["Payload"].read())

        approve = {"execution": execution.arn, "decision": "approve"}
        return [
            Forgery(
                "the requester approves their own deployment through the entry",
                lambda: entry(approve, REQUESTER),
                lambda answer: answer.get("statusCode") == 403 and "SelfApprovalDenied" in answer["body"],
            ),
            Forgery(
                "the requester approves naming someone else as approvedBy",
                lambda: entry({**approve, "approvedBy": APPROVER}, REQUESTER),
                lambda answer: answer.get("statusCode") == 400 and "ApprovalRequestInvalid" in answer["body"],
            ),
        ]

    def observe(self, request: Request) -> dict[str, Any] | None:
        if not isinstance(request, dict) or not isinstance(request.get("stackName"), str):
            return None
        cloudformation = self.harness.client("cloudformation")
        try:
            (stack,) = cloudformation.describe_stacks(StackName=request["stackName"])["Stacks"]
        except ClientError:
            return {"status": None, "change_sets": {}}
        summaries = cloudformation.list_change_sets(StackName=request["stackName"])["Summaries"]
        return {
            "status": stack["StackStatus"],
            "change_sets": {s["ChangeSetName"]: s.get("ExecutionStatus") for s in summaries},
        }

    def judge(self, run: Run) -> Verdict:
        verdict = Verdict()
        seen = run.observed_after
        if seen is None:
            return verdict
        left = {
            name: state
            for name, state in seen["change_sets"].items()
            if name == f"deploy-{run.execution.name}" and state == "AVAILABLE"
        }
        if left:
            verdict.side_effects.append(f"the run's change set is left behind: {left}")
        status = seen["status"]
        if run.result.status == "SUCCEEDED" and status not in SETTLED:
            verdict.lost.append(f"succeeded with the stack {status}")
        if run.result.status != "SUCCEEDED" and status not in (*SETTLED, "REVIEW_IN_PROGRESS", None):
            verdict.lost.append(f"failed with the stack left {status}")
        return verdict
