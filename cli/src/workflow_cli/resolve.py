"""From what the operator types to AWS resources: workflow names to state machines, execution
names or ARNs to executions."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from workflow_cli.errors import NotFoundError, UsageError
from workflow_cli.naming import logical_name, physical_name


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def state_machines(sfn: Any, stage: str | None = None) -> dict[str, str]:
    """Every state machine of the account and region: name -> ARN.

    With a ``stage``, only that stage's machines, by their name without the stage
    (``dev-billing`` is ``billing``; see :func:`workflow_cli.naming.physical_name`).
    """
    machines: dict[str, str] = {}
    request: dict[str, Any] = {}
    while True:
        page = sfn.list_state_machines(**request)
        for item in page.get("stateMachines", []):
            name = logical_name(item["name"], stage)
            if name is not None:
                machines[name] = item["stateMachineArn"]
        if not page.get("nextToken"):
            return machines
        request["nextToken"] = page["nextToken"]


def state_machine_arn(sfn: Any, workflow: str, stage: str | None = None) -> str:
    """The ARN of ``stage``'s state machine for ``workflow``; a ``UsageError`` lists the known ones."""
    return pick_state_machine(state_machines(sfn, stage), workflow)


def pick_state_machine(machines: dict[str, str], workflow: str) -> str:
    """``machines[workflow]``; a ``UsageError`` lists the known ones when there is no such workflow."""
    if workflow in machines:
        return machines[workflow]
    known = ", ".join(sorted(machines)) or "none (is this the right account and region?)"
    raise UsageError(f"unknown workflow [{workflow}]; known workflows: {known}")


def execution_arn_for(state_machine: str, execution_name: str) -> str:
    """The ARN a standard execution named ``execution_name`` of ``state_machine`` has.

    >>> execution_arn_for("arn:aws:states:eu-west-1:111111111111:stateMachine:billing", "run-1")
    'arn:aws:states:eu-west-1:111111111111:execution:billing:run-1'
    """
    return f"{state_machine.replace(':stateMachine:', ':execution:', 1)}:{execution_name}"


def describe_execution(sfn: Any, execution: str, stage: str | None = None) -> dict[str, Any]:
    """``DescribeExecution`` of ``execution``: a full ARN, or a name looked up in every state machine
    (with a ``stage``, in that stage's machines only).

    Names made by ``execution_name`` start with their machine's name, so the state machines whose
    name prefixes ``execution`` are asked first.
    """
    if execution.startswith("arn:"):
        if ":execution:" not in execution and ":express:" not in execution:
            raise UsageError(f"not an execution ARN: [{execution}]")
        try:
            return dict(sfn.describe_execution(executionArn=execution))
        except ClientError as error:
            if _error_code(error) != "ExecutionDoesNotExist":
                raise
            raise NotFoundError(f"execution not found: [{execution}]") from None
    machines = state_machines(sfn, stage)
    likely_first = sorted(
        machines, key=lambda name: (not execution.startswith(f"{physical_name(name, stage)}-"), name)
    )
    for name in likely_first:
        try:
            return dict(sfn.describe_execution(executionArn=execution_arn_for(machines[name], execution)))
        except ClientError as error:
            if _error_code(error) not in ("ExecutionDoesNotExist", "InvalidArn"):
                raise
    raise NotFoundError(
        f"execution not found: no state machine has an execution named [{execution}] "
        f"(searched {len(machines)}{f' of stage {stage}' if stage else ''}: "
        f"{', '.join(sorted(machines)) or 'none'})"
    )


def execution_history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of an execution, oldest first (all pages)."""
    events: list[dict[str, Any]] = []
    request: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**request)
        events.extend(page.get("events", []))
        if not page.get("nextToken"):
            return events
        request["nextToken"] = page["nextToken"]


def recent_events(sfn: Any, execution_arn: str, count: int = 25) -> list[dict[str, Any]]:
    """The newest ``count`` events of an execution, newest first (one call)."""
    page = sfn.get_execution_history(executionArn=execution_arn, reverseOrder=True, maxResults=count)
    return list(page.get("events", []))
