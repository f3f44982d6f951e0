"""``why``: the failing state, its error and cause, the retries, the last events, whether it can be
redriven, and the request's logs."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from botocore.exceptions import BotoCoreError, ClientError

from workflow_cli.aws import ClientFactory
from workflow_cli.errors import from_aws_error
from workflow_cli.executions import aws, stage
from workflow_cli.history import explain
from workflow_cli.logs import (
    DEFAULT_LINE_LIMIT,
    LogSearch,
    default_log_group,
    function_names,
    log_group_of,
    search,
)
from workflow_cli.redrive import print_redrivability
from workflow_cli.render import consoles, correlation_id_of, print_explanation, print_logs
from workflow_cli.resolve import describe_execution, execution_history

DEFAULT_TAIL = 10


def why(
    ctx: typer.Context,
    execution: Annotated[str, typer.Argument(help="Execution name or ARN.")],
    tail: Annotated[
        int, typer.Option("--tail", min=0, help="How many of the last history events to show.")
    ] = (DEFAULT_TAIL),
    logs: Annotated[
        bool,
        typer.Option("--logs/--no-logs", help="Search the workflow's function logs for its correlation id."),
    ] = True,
    log_lines: Annotated[int, typer.Option("--log-lines", min=1, help="At most this many log lines.")] = (
        DEFAULT_LINE_LIMIT
    ),
) -> None:
    """Explain an execution: the state it failed in, error, cause, retries, last events and log lines."""
    clients = aws(ctx)
    sfn = clients.client("stepfunctions")
    description = describe_execution(sfn, execution, stage(ctx))
    events = execution_history(sfn, description["executionArn"])
    out, _ = consoles()
    print_explanation(
        out,
        description,
        explain(description["status"], events),
        events,
        tail,
        after_failure=lambda console: print_redrivability(console, description),
    )
    if logs:
        correlation_id = correlation_id_of(description)
        found, reason = request_logs(clients, description, correlation_id, log_lines)
        print_logs(out, correlation_id, found, reason)


def request_logs(
    clients: ClientFactory, description: dict[str, Any], correlation_id: str | None, limit: int
) -> tuple[LogSearch | None, str | None]:
    """The log lines of ``correlation_id`` from the execution's functions, or why there are none.

    Never raises for AWS trouble: logs are a bonus to the explanation, not a reason to fail it.
    """
    if not correlation_id:
        return None, "the execution input has no correlationId"
    try:
        sfn = clients.client("stepfunctions")
        # The definition this execution ran, which may be an older version than the current one.
        definition = sfn.describe_state_machine_for_execution(executionArn=description["executionArn"])[
            "definition"
        ]
        functions = function_names(json.loads(definition))
        if not functions:
            return None, "the workflow invokes no Lambda functions"
        lambda_client = clients.client("lambda")
        found = search(
            clients.client("logs"),
            # Each function's own group, and Lambda's default one: where a function without a
            # LoggingConfig logs, and where a moto-based local cloud puts every function's lines.
            [
                group
                for function in functions
                for group in (log_group_of(lambda_client, function), default_log_group(function))
            ],
            correlation_id,
            started=description["startDate"],
            stopped=description.get("stopDate"),
            limit=limit,
        )
    except (ClientError, BotoCoreError) as error:
        return None, from_aws_error(error).message
    return found, None
