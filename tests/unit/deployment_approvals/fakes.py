# ruff: noqa: N803  (the fake takes boto3's keyword names)
"""An in-memory Step Functions client for the deployment entry's tests: one state machine, its
executions' input, status and newest history events, and every call with a side effect."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from deployment_approvals.contract import APPROVAL_STATE, APPROVAL_TASK_TOKEN_FIELD

MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:stack-deployment"
REQUESTER = "arn:aws:sts::123456789012:assumed-role/Deployer/ana"
APPROVER = "arn:aws:sts::123456789012:assumed-role/Deployer/ben"
TOKEN = "AAAA-approval-token"


def execution_arn(name: str, machine: str = MACHINE) -> str:
    return machine.replace(":stateMachine:", ":execution:") + f":{name}"


def waiting_history(token: str = TOKEN) -> list[dict[str, Any]]:
    """Newest first, as ``reverseOrder=True`` returns them: the approval step waits for its answer."""
    parameters = {
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:t",
        "Message": {APPROVAL_TASK_TOKEN_FIELD: token},
    }
    return [
        {"id": 14, "type": "TaskSubmitted"},
        {
            "id": 13,
            "type": "TaskScheduled",
            "taskScheduledEventDetails": {"parameters": json.dumps(parameters)},
        },
        {"id": 12, "type": "TaskStateEntered", "stateEnteredEventDetails": {"name": APPROVAL_STATE}},
        {"id": 11, "type": "PassStateExited"},
    ]


@dataclass
class FakeExecution:
    input: dict[str, Any]
    status: str = "RUNNING"
    machine: str = MACHINE
    history: list[dict[str, Any]] = field(default_factory=waiting_history)


@dataclass
class FakeStates:
    executions: dict[str, FakeExecution] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answered_tokens: set[str] = field(default_factory=set)

    def add(self, name: str, execution: FakeExecution) -> str:
        arn = execution_arn(name, execution.machine)
        self.executions[arn] = execution
        return arn

    def side_effects(self) -> list[str]:
        return [name for name, _ in self.calls]

    def start_execution(self, *, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:
        self.calls.append(
            ("start_execution", {"stateMachineArn": stateMachineArn, "name": name, "input": input})
        )
        arn = execution_arn(name, stateMachineArn)
        self.executions.setdefault(arn, FakeExecution(input=json.loads(input), history=[]))
        return {"executionArn": arn}

    def describe_execution(self, *, executionArn: str) -> dict[str, Any]:
        found = self.executions.get(executionArn)
        if found is None:
            raise _error("ExecutionDoesNotExist", "DescribeExecution")
        return {
            "executionArn": executionArn,
            "stateMachineArn": found.machine,
            "status": found.status,
            "input": json.dumps(found.input),
        }

    def get_execution_history(
        self, *, executionArn: str, reverseOrder: bool, maxResults: int
    ) -> dict[str, Any]:
        assert reverseOrder, "the entry reads the newest events"
        return {"events": self.executions[executionArn].history[:maxResults]}

    def send_task_success(self, *, taskToken: str, output: str) -> dict[str, Any]:
        self._answer(taskToken)
        self.calls.append(("send_task_success", {"taskToken": taskToken, "output": json.loads(output)}))
        return {}

    def send_task_failure(self, *, taskToken: str, error: str, cause: str) -> dict[str, Any]:
        self._answer(taskToken)
        self.calls.append(("send_task_failure", {"taskToken": taskToken, "error": error, "cause": cause}))
        return {}

    def _answer(self, token: str) -> None:
        if token in self.answered_tokens:
            raise _error("TaskTimedOut", "SendTaskSuccess")
        self.answered_tokens.add(token)


def _error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, operation)
