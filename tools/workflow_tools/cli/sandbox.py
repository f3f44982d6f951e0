"""``workflows sandbox ...``: demo-only commands that play an outside party in a sandbox account.

Planned: ``pay``/``decline EXECUTION`` for billing demos, delivering the payment provider's signed
webhook through ``workflow_tools.payments_sandbox``. That module is not in this repository yet, so
the group has no commands and stays hidden from ``workflows --help`` (``main`` adds it only
once it has one). To wire them, add here (and nowhere else)::

    from workflow_tools.payments_sandbox import deliver_payment_webhook  # its real name and signature

    @sandbox.command()
    def pay(ctx: typer.Context, execution: Annotated[str, typer.Argument()]) -> None:
        \"\"\"Play the payment provider: the payment of EXECUTION succeeded.\"\"\"
        description = describe_execution(aws(ctx).client("stepfunctions"), execution)
        deliver_payment_webhook(...)  # from the execution's input (invoice, correlation id)

``describe_execution`` (names or ARNs) and ``aws(ctx)`` (the clients, honouring --endpoint-url)
are what such a command needs; raise ``UsageError``/``NotFoundError`` for one-line errors.
"""

from __future__ import annotations

import typer

sandbox = typer.Typer(
    name="sandbox",
    help="Demo-only: play an outside party (payment provider, ...) against a sandbox deployment.",
    no_args_is_help=True,
)
