"""Request a stack deployment, approve or reject one: the entry's logic, clients as arguments.

The caller's ARN comes in already authenticated (:func:`deployment_approvals.identity.caller_arn`);
every check below runs before the one call with a side effect (StartExecution, SendTaskSuccess or
SendTaskFailure), so a refusal changes nothing.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from deployment_approvals.contract import (
    APPROVAL_STATE,
    APPROVAL_TASK_TOKEN_FIELD,
    APPROVED,
    APPROVED_BY,
    DEPLOYMENT_REJECTED,
    REQUESTED_BY,
)
from deployment_approvals.errors import (
    ApprovalNotPending,
    ApprovalRequestInvalid,
    DeploymentRequestInvalid,
    RequesterUnknown,
    SelfApprovalDenied,
)
from deployment_approvals.identity import same_person

MAX_REASON_LENGTH = 1000  # characters; SendTaskFailure takes a cause of at most 32768
HISTORY_PAGE = 20  # newest events read: a waiting approval step has at most four after entering
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_WAITING_EVENTS = {"TaskScheduled", "TaskStarted", "TaskSubmitted"}
_ANSWERED = {"TaskDoesNotExist", "InvalidToken", "TaskTimedOut"}

_log = Logger(child=True)

Decision = Literal["approve", "reject"]


@dataclass(frozen=True)
class Started:
    """A deployment started (or, asked again with the same name and input, already running)."""

    execution_arn: str
    requested_by: str

    def to_json(self) -> dict[str, str]:
        return {"executionArn": self.execution_arn, "requestedBy": self.requested_by}


@dataclass(frozen=True)
class Answered:
    """The approval step was answered."""

    execution_arn: str
    decision: Decision
    decided_by: str
    requested_by: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "executionArn": self.execution_arn,
            "decision": self.decision,
            "decidedBy": self.decided_by,
            "requestedBy": self.requested_by,
        }


def request_deployment(body: object, *, caller: str, state_machine_arn: str, states_client: Any) -> Started:
    """Start a deployment with ``requestedBy`` = ``caller``.

    ``body``: ``{"name": "<execution name>" (optional, makes a retry harmless), "input": {...}}``
    with the workflow's input; the workflow validates the input itself (``StackDeploymentRequestInvalid``).
    Raises ``DeploymentRequestInvalid`` when the body is not an object with an ``input`` object, the
    name is not 1-80 letters, digits, '-' or '_', or the input sets ``requestedBy`` itself.
    """
    if not isinstance(body, Mapping):
        raise DeploymentRequestInvalid(f"the body must be a JSON object. Received: [{type(body).__name__}]")
    request = body.get("input")
    if not isinstance(request, Mapping):
        raise DeploymentRequestInvalid("input must be the deployment request, a JSON object")
    if REQUESTED_BY in request:
        raise DeploymentRequestInvalid(
            f"{REQUESTED_BY} is set from your authenticated identity; leave it out. "
            f"Received: [{request[REQUESTED_BY]}]"
        )
    name = body.get("name", f"deploy-{uuid.uuid4().hex}")
    if not isinstance(name, str) or not _NAME.match(name):
        raise DeploymentRequestInvalid(f"name must be 1-80 letters, digits, '-' or '_'. Received: [{name}]")
    started = states_client.start_execution(
        stateMachineArn=state_machine_arn,
        name=name,
        input=json.dumps({**request, REQUESTED_BY: caller}),
    )
    _log.info("Deployment requested", extra={"execution": started["executionArn"], "requested_by": caller})
    return Started(execution_arn=str(started["executionArn"]), requested_by=caller)


def decide(body: object, *, caller: str, state_machine_arn: str, states_client: Any) -> Answered:
    """Approve or reject the approval an execution waits for, as ``caller``.

    ``body``: ``{"execution": "<name or ARN>", "decision": "approve" | "reject", "reason": "..."}``.
    Approving sends ``{"approved": true, "approvedBy": caller, "reason": ...}``; rejecting fails the
    step with ``DeploymentRejected``. Raises ``ApprovalRequestInvalid`` (body), ``ApprovalNotPending``
    (not running, another state machine's, or not waiting in the approval step), ``RequesterUnknown``
    (approve only: the input has no requester) and ``SelfApprovalDenied`` (approve only: the caller
    requested it). Anyone allowed to call the entry may reject, the requester too (withdrawing it).
    """
    execution_arn, decision, reason = _decision(body, state_machine_arn)
    description = _describe(states_client, execution_arn)
    if description.get("stateMachineArn") != state_machine_arn or description.get("status") != "RUNNING":
        raise ApprovalNotPending(
            f"no approval is pending: [{execution_arn}] is {description.get('status', 'unknown')}"
        )
    token = _waiting_token(states_client, execution_arn)
    requested_by = _requester(description)
    if decision == "approve":
        if requested_by is None:
            raise RequesterUnknown(
                f"[{execution_arn}] was not started through the deployment entry: it records no "
                "requester to tell the approver from, so it can only be rejected"
            )
        if same_person(caller, requested_by):
            _log.warning(
                "Self-approval denied",
                extra={"execution": execution_arn, "caller": caller, "requested_by": requested_by},
            )
            raise SelfApprovalDenied(
                f"[{caller}] requested this deployment and cannot approve it; ask another person"
            )
    try:
        if decision == "approve":
            output: dict[str, Any] = {APPROVED: True, APPROVED_BY: caller}
            if reason:
                output["reason"] = reason
            states_client.send_task_success(taskToken=token, output=json.dumps(output))
        else:
            states_client.send_task_failure(
                taskToken=token, error=DEPLOYMENT_REJECTED, cause=reason or f"Rejected by {caller}"
            )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _ANSWERED:
            pending = f"no approval is pending on [{execution_arn}]: answered meanwhile"
            raise ApprovalNotPending(pending) from None
        raise
    _log.info(
        "Deployment approved" if decision == "approve" else "Deployment rejected",
        extra={"execution": execution_arn, "decided_by": caller, "requested_by": requested_by},
    )
    return Answered(execution_arn, decision, caller, requested_by)


def _decision(body: object, state_machine_arn: str) -> tuple[str, Decision, str | None]:
    if not isinstance(body, Mapping):
        raise ApprovalRequestInvalid(f"the body must be a JSON object. Received: [{type(body).__name__}]")
    unknown = sorted(set(body) - {"execution", "decision", "reason"})
    if unknown:
        # approvedBy above all: who approves is the authenticated caller, never a field.
        raise ApprovalRequestInvalid(f"unknown fields {unknown}; the approver is who signs the request")
    execution, decision, reason = body.get("execution"), body.get("decision"), body.get("reason")
    if decision not in ("approve", "reject"):
        raise ApprovalRequestInvalid(f"decision must be 'approve' or 'reject'. Received: [{decision}]")
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON_LENGTH):
        raise ApprovalRequestInvalid(f"reason must be text of at most {MAX_REASON_LENGTH} characters")
    executions = state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":"
    if isinstance(execution, str) and _NAME.match(execution):
        execution = executions + execution
    if (
        not isinstance(execution, str)
        or not execution.startswith(executions)
        or not _NAME.match(execution[len(executions) :])
    ):
        raise ApprovalRequestInvalid(
            f"execution must be a name or ARN of an execution of [{state_machine_arn}]. "
            f"Received: [{execution}]"
        )
    return execution, decision, reason or None


def _describe(states_client: Any, execution_arn: str) -> dict[str, Any]:
    try:
        return dict(states_client.describe_execution(executionArn=execution_arn))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
            raise ApprovalNotPending(f"no approval is pending: [{execution_arn}] does not exist") from None
        raise


def _waiting_token(states_client: Any, execution_arn: str) -> str:
    """The approval step's task token, when the execution waits in it now (newest events first)."""
    events = states_client.get_execution_history(
        executionArn=execution_arn, reverseOrder=True, maxResults=HISTORY_PAGE
    )["events"]
    token = None
    # Newest first by id whatever the order served (moto's local cloud ignores reverseOrder).
    for event in sorted(events, key=lambda found: int(found.get("id", 0)), reverse=True):
        kind = event["type"]
        if kind == "TaskStateEntered":
            if event["stateEnteredEventDetails"]["name"] == APPROVAL_STATE and token:
                return token
            break
        if kind not in _WAITING_EVENTS:
            break
        if kind == "TaskScheduled":
            token = _token_of(event["taskScheduledEventDetails"].get("parameters"))
    raise ApprovalNotPending(f"no approval is pending on [{execution_arn}]: it is not waiting for one")


def _token_of(parameters: object) -> str | None:
    try:
        message = json.loads(parameters)["Message"] if isinstance(parameters, str) else None
        if isinstance(message, str):
            message = json.loads(message)
        token = message.get(APPROVAL_TASK_TOKEN_FIELD) if isinstance(message, Mapping) else None
    except (ValueError, KeyError, TypeError):
        return None
    return token if isinstance(token, str) and token else None


def _requester(description: Mapping[str, Any]) -> str | None:
    try:
        found = json.loads(description.get("input") or "{}").get(REQUESTED_BY)
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) and found else None
