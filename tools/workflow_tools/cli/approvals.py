"""``approve`` and ``reject``: answer the approval a stack deployment waits for, as yourself.

The answer goes through the stack-deployment entry (``workflow_tools.deployment_entry``): a
SigV4-signed POST to the ``EntryUrl`` output on AWS, or, when ``--endpoint-url`` points at the
local cloud (which serves no HTTPS API), an invoke of the entry function with the request API
Gateway would pass it. The entry records your authenticated identity as the approver and refuses
when you requested the deployment yourself (``SelfApprovalDenied``). There is no ``--approved-by``:
who approves is whoever signs the request. ``start_deployment`` is what ``workflows start
stack-deployment`` uses, so that the entry records the requester.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from workflow_cli.aws import Aws, ClientFactory
from workflow_cli.errors import AwsError, NotFoundError, UsageError
from workflow_cli.executions import aws, stage
from workflow_cli.history import current_state, pending_task
from workflow_cli.render import consoles, workflow_of
from workflow_cli.resolve import describe_execution, execution_history
from workflow_constructs.naming import logical_name, physical_name

from workflow_tools.deployment_entry import (
    APPROVALS_ROUTE,
    DEPLOYMENTS_ROUTE,
    STACK_NAME,
    EntryAnswer,
    EntryCallError,
    EntryClients,
    Transport,
    call_entry,
)

DEPLOYMENT_WORKFLOW = "stack-deployment"
"""Started through its entry (`workflows start`, :func:`start_deployment`), answered by approve/reject."""
APPROVAL_WORKFLOWS = frozenset({DEPLOYMENT_WORKFLOW})
"""Workflows whose callback steps are human approvals. Elsewhere a callback waits for a system
(a payment provider, a directory), and answering it by hand would fake that system's answer."""
NOT_PENDING_ERRORS = frozenset({"ApprovalNotPending"})

ExecutionArgument = Annotated[str, typer.Argument(help="Execution name or ARN of a stack-deployment run.")]
TransportOption = Annotated[
    str | None,
    typer.Option(
        "--transport",
        help="post (SigV4 to the EntryUrl) or invoke (the entry function); "
        "default: invoke with --endpoint-url, else post.",
    ),
]
StackOption = Annotated[
    str | None,
    typer.Option(
        "--stack", help=f"The stack-deployment stack's name (default: {STACK_NAME}, after --stage)."
    ),
]


def approve(
    ctx: typer.Context,
    execution: ExecutionArgument,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why it is approved (recorded in the output).")
    ] = None,
    transport: TransportOption = None,
    stack: StackOption = None,
) -> None:
    """Approve the pending approval through the deployment entry, as your AWS identity (not your own)."""
    _decide(ctx, execution, "approve", reason, transport, stack)


def reject(
    ctx: typer.Context,
    execution: ExecutionArgument,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why it is rejected (the failure's cause).")
    ] = None,
    transport: TransportOption = None,
    stack: StackOption = None,
) -> None:
    """Reject the pending approval through the deployment entry: DeploymentRejected, the reason as cause."""
    _decide(ctx, execution, "reject", reason, transport, stack)


def start_deployment(clients: ClientFactory, name: str, payload: dict[str, Any], stage: str | None) -> str:
    """Request a deployment through the entry (it records you as ``requestedBy``); its execution ARN."""
    body = {"name": name, "input": payload}
    answer = _call(clients, DEPLOYMENTS_ROUTE, body, None, physical_name(STACK_NAME, stage))
    if answer.error is not None:
        raise AwsError(f"the deployment entry refused: {answer.error}: {answer.body.get('message', '')}")
    return str(answer.body["executionArn"])


def _decide(
    ctx: typer.Context,
    execution: str,
    decision: str,
    reason: str | None,
    transport: str | None,
    stack: str | None,
) -> None:
    clients = aws(ctx)
    sfn = clients.client("stepfunctions")
    description = describe_execution(sfn, execution, stage(ctx))
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
    body: dict[str, Any] = {"execution": description["executionArn"], "decision": decision}
    if reason:
        body["reason"] = reason
    stack_name = stack or physical_name(STACK_NAME, stage(ctx))
    answer = _call(clients, APPROVALS_ROUTE, body, transport, stack_name)
    message = str(answer.body.get("message", ""))
    if answer.error in NOT_PENDING_ERRORS:
        raise NotFoundError(message)
    if answer.error is not None:
        raise AwsError(f"the deployment entry refused: {answer.error}: {message}")
    out, _ = consoles()
    verb = "Approved" if decision == "approve" else "Rejected"
    out.print(
        f"{verb} {escape(name)}: answered [bold]{escape(pending.state or '-')}[/] "
        f"as {escape(str(answer.body.get('decidedBy')))}"
    )


def _call(
    clients: ClientFactory, route: str, body: dict[str, Any], transport: str | None, stack: str
) -> EntryAnswer:
    session = clients.session() if isinstance(clients, Aws) else None
    entry = EntryClients(
        cloudformation=clients.client("cloudformation"),
        sts=clients.client("sts"),
        lambda_=clients.client("lambda"),
        credentials=session.get_credentials() if session is not None else None,
        region=session.region_name if session is not None else None,
    )
    try:
        return call_entry(entry, route, body, transport=_transport(clients, transport), stack_name=stack)
    except EntryCallError as error:
        raise AwsError(str(error)) from None


def _transport(clients: ClientFactory, given: str | None) -> Transport:
    if given is None:
        return "invoke" if isinstance(clients, Aws) and clients.endpoint_url else "post"
    if given not in ("post", "invoke"):
        raise UsageError(f"--transport must be post or invoke. Received: [{given}]")
    return "post" if given == "post" else "invoke"
