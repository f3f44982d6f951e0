"""``workflows pay`` and ``workflows decline``: play the sandbox payment provider in billing demos.

A billing execution waits for its payment provider to answer through a signed webhook. With the
sandbox provider (the default until a real one is configured) nobody answers on their own: these
commands deliver the answer, signed with the provider secret, through
``workflow_tools.payments_sandbox``. That tool refuses authorisations of a real provider, so they
can never mark a real payment as paid.

Delivery: to the stack's ``WebhookUrl`` over HTTPS on AWS; by invoking the webhook function
directly when ``--endpoint-url`` points at the local cloud (which serves no HTTPS API); or as
``--transport`` says. Everything sandbox-only lives in this module; ``register`` adds it to the app.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from workflow_cli.aws import Aws, ClientFactory
from workflow_cli.errors import AwsError, NotFoundError, UsageError
from workflow_cli.executions import aws, stage
from workflow_cli.render import consoles, workflow_of
from workflow_cli.resolve import describe_execution
from workflow_constructs.naming import logical_name, physical_name

from workflow_tools.payments_sandbox import (
    STACK_NAME,
    AuthorisationNotFoundError,
    NotASandboxAuthorisationError,
    Outcome,
    SandboxClients,
    SandboxWebhookError,
    Transport,
    WebhookDelivery,
    deliver_sandbox_webhook,
)

BILLING_WORKFLOW = "billing"
DEFAULT_WAIT_SECONDS = 10.0

ExecutionArgument = Annotated[str, typer.Argument(help="Execution name or ARN of a billing run.")]
WaitOption = Annotated[
    float,
    typer.Option("--wait-seconds", min=0.0, help="How long to wait for the run to ask the provider."),
]
TransportOption = Annotated[
    str | None,
    typer.Option(
        "--transport",
        help="post (HTTPS to the WebhookUrl) or invoke (the webhook function); "
        "default: invoke with --endpoint-url, else post.",
    ),
]
StackOption = Annotated[
    str | None,
    typer.Option(
        "--stack",
        help=f"The billing stack's name (default: {STACK_NAME}; with --stage, <stage>-{STACK_NAME}).",
    ),
]


def pay(
    ctx: typer.Context,
    execution: ExecutionArgument,
    wait_seconds: WaitOption = DEFAULT_WAIT_SECONDS,
    transport: TransportOption = None,
    stack: StackOption = None,
) -> None:
    """Sandbox only: the provider authorises the payment a billing run waits for."""
    _deliver(ctx, execution, "authorised", None, None, wait_seconds, transport, stack)


def decline(
    ctx: typer.Context,
    execution: ExecutionArgument,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Decline code, e.g. insufficient_funds (default card_declined)."),
    ] = None,
    message: Annotated[str | None, typer.Option("--message", help="Shown to the customer.")] = None,
    wait_seconds: WaitOption = DEFAULT_WAIT_SECONDS,
    transport: TransportOption = None,
    stack: StackOption = None,
) -> None:
    """Sandbox only: the provider declines the payment a billing run waits for."""
    _deliver(ctx, execution, "declined", reason, message, wait_seconds, transport, stack)


def _deliver(
    ctx: typer.Context,
    execution: str,
    outcome: Outcome,
    reason: str | None,
    message: str | None,
    wait_seconds: float,
    transport: str | None,
    stack: str | None,
) -> None:
    clients = aws(ctx)
    chosen = _transport(clients, transport)
    description = describe_execution(clients.client("stepfunctions"), execution, stage(ctx))
    name = description["name"]
    if logical_name(workflow_of(description), stage(ctx)) != BILLING_WORKFLOW:
        raise UsageError(
            f"pay/decline answer billing payments; [{name}] is a {workflow_of(description)} execution"
        )
    if description["status"] != "RUNNING":
        raise NotFoundError(f"no payment is waiting: [{name}] is {description['status']}")
    try:
        delivery = deliver_sandbox_webhook(
            execution_arn=description["executionArn"],
            outcome=outcome,
            decline_reason=reason,
            decline_message=message,
            transport=chosen,
            stack_name=stack or physical_name(STACK_NAME, stage(ctx)),
            clients=SandboxClients(
                cloudformation=clients.client("cloudformation"),
                dynamodb=clients.client("dynamodb"),
                secretsmanager=clients.client("secretsmanager"),
                lambda_=clients.client("lambda"),
            ),
            wait_seconds=wait_seconds,
        )
    except AuthorisationNotFoundError as error:
        raise NotFoundError(str(error)) from None
    except NotASandboxAuthorisationError as error:
        raise UsageError(str(error)) from None
    except SandboxWebhookError as error:
        raise AwsError(str(error)) from None
    _report(name, delivery)


def _transport(clients: ClientFactory, given: str | None) -> Transport:
    if given is None:
        return "invoke" if isinstance(clients, Aws) and clients.endpoint_url else "post"
    if given not in ("post", "invoke"):
        raise UsageError(f"--transport must be post or invoke. Received: [{given}]")
    return "post" if given == "post" else "invoke"


def _report(name: str, delivery: WebhookDelivery) -> None:
    if not delivery.accepted:
        event = delivery.event["type"]
        raise AwsError(
            f"the webhook refused the {event} event: HTTP {delivery.status_code} {delivery.response}"
        )
    out, _ = consoles()
    what = "Paid" if delivery.event["type"] == "authorisation.succeeded" else "Declined"
    status = delivery.response.get("status")
    note = " (it had this answer already)" if status == "duplicate" else ""
    out.print(
        f"{what} {escape(name)}: delivered {escape(delivery.event['type'])} for authorisation "
        f"{escape(delivery.authorisation_id)} by {delivery.transport}{note}"
    )


def register(app: typer.Typer) -> None:
    """Add the sandbox commands to the ``workflows`` app."""
    app.command("pay")(pay)
    app.command("decline")(decline)
