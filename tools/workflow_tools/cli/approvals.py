"""``approve`` and ``reject``: answer the approval a stack deployment waits for.

The approval step hands Step Functions' task token to whoever approves; the token is in the
parameters of its ``TaskScheduled`` event, so the history says which token to answer.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from workflow_constructs.naming import logical_name

from workflow_tools.cli.errors import NotFoundError, UsageError
from workflow_tools.cli.executions import aws, stage
from workflow_tools.cli.history import PendingTask, current_state, pending_task
from workflow_tools.cli.render import consoles, workflow_of
from workflow_tools.cli.resolve import describe_execution, execution_history

APPROVAL_WORKFLOWS = frozenset({"stack-deployment"})
"""Workflows whose callback steps are human approvals. Elsewhere a callback waits for a system
(a payment provider, a directory), and answering it by hand would fake that system's answer."""
REJECTION_ERROR = "DeploymentRejected"

ExecutionArgument = Annotated[str, typer.Argument(help="Execution name or ARN of a stack-deployment run.")]


def approve(
    ctx: typer.Context,
    execution: ExecutionArgument,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why it is approved (recorded in the output).")
    ] = None,
) -> None:
    """Approve the pending approval: SendTaskSuccess {"approved": true, "approvedBy": <your AWS identity>}."""
    sfn, description, pending, user = _pending_approval(ctx, execution)
    output: dict[str, Any] = {"approved": True, "approvedBy": user}
    if reason:
        output["reason"] = reason
    sfn.send_task_success(taskToken=pending.token, output=json.dumps(output))
    out, _ = consoles()
    out.print(
        f"Approved {escape(description['name'])}: answered [bold]{escape(pending.state or '-')}[/] "
        f"as {escape(user)}"
    )


def reject(
    ctx: typer.Context,
    execution: ExecutionArgument,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why it is rejected (the failure's cause).")
    ] = None,
) -> None:
    """Reject the pending approval: SendTaskFailure with error DeploymentRejected and the reason as cause."""
    sfn, description, pending, user = _pending_approval(ctx, execution)
    sfn.send_task_failure(
        taskToken=pending.token, error=REJECTION_ERROR, cause=reason or f"Rejected by {user}"
    )
    out, _ = consoles()
    out.print(
        f"Rejected {escape(description['name'])}: answered [bold]{escape(pending.state or '-')}[/] "
        f"as {escape(user)}"
    )


def _pending_approval(ctx: typer.Context, execution: str) -> tuple[Any, dict[str, Any], PendingTask, str]:
    clients = aws(ctx)
    sfn = clients.client("stepfunctions")
    description = describe_execution(sfn, execution)
    name, workflow = description["name"], workflow_of(description)
    if logical_name(workflow, stage(ctx)) not in APPROVAL_WORKFLOWS:
        raise UsageError(
            f"approve/reject answer {', '.join(sorted(APPROVAL_WORKFLOWS))} approvals; "
            f"[{name}] is a {workflow} execution"
        )
    if description["status"] != "RUNNING":
        raise NotFoundError(f"no approval is pending: [{name}] is {description['status']}")
    events = execution_history(sfn, description["executionArn"])
    pending = pending_task(events)
    if pending is None:
        raise NotFoundError(
            f"no approval is pending on [{name}]: it is running in [{current_state(events) or '-'}]"
        )
    user = str(clients.client("sts").get_caller_identity()["Arn"])
    return sfn, description, pending, user
