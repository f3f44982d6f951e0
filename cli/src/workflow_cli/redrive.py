"""``redrive``: continue a failed, timed-out or aborted execution from the state that did not succeed.

Step Functions' RedriveExecution (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html):
the same execution (same name, ARN and input) goes on from the state that failed; the states that
succeeded are not run again. It can be done within 14 days of the stop, up to 1000 times. This
product's steps are idempotent, so a redrive after the cause is fixed does nothing twice.

``why`` prints :func:`redrivability` too, so an operator reads whether (and why not) next to the failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError
from rich.console import Console
from rich.markup import escape

from workflow_cli.errors import CliError, ExitCode
from workflow_cli.executions import DEFAULT_POLL_SECONDS, Progress, aws, stage, wait_until_ended
from workflow_cli.render import consoles, field, status_text
from workflow_cli.resolve import describe_execution

REDRIVE_WINDOW = timedelta(days=14)
"""How long after its stop Step Functions redrives an execution."""
MAX_REDRIVES = 1000
"""How many times Step Functions redrives one execution."""
REDRIVABLE_STATUSES = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})


class RedriveRefusedError(CliError):
    """The execution cannot be redriven (succeeded, running, too old, redrive limit); nothing was done."""

    exit_code = ExitCode.REFUSED


@dataclass(frozen=True)
class Redrivability:
    """Whether an execution can be redriven now, and why (not), in an operator's words."""

    redrivable: bool
    reason: str


def redrivability(description: dict[str, Any], *, now: datetime | None = None) -> Redrivability:
    """Read it from a ``DescribeExecution`` answer: our rules first, then Step Functions' own verdict.

    Example: a SUCCEEDED execution gives ``Redrivability(False, "it succeeded: there is nothing to
    redrive (start a new execution to run it again)")``.
    """
    now = now or datetime.now(UTC)
    status = str(description["status"])
    count = int(description.get("redriveCount") or 0)
    stopped = description.get("stopDate")
    if status == "SUCCEEDED":
        return Redrivability(
            False, "it succeeded: there is nothing to redrive (start a new execution to run it again)"
        )
    if status not in REDRIVABLE_STATUSES:
        return Redrivability(
            False, f"it is {status}: only a FAILED, TIMED_OUT or ABORTED execution can be redriven"
        )
    if count >= MAX_REDRIVES:
        return Redrivability(
            False, f"redrive limit: it was redriven {count} times, the most Step Functions allows"
        )
    if isinstance(stopped, datetime) and now - stopped > REDRIVE_WINDOW:
        days = (now - stopped).days
        return Redrivability(
            False,
            f"too old: it stopped {days} days ago ({stopped:%Y-%m-%d %H:%M} UTC); Step Functions redrives "
            f"only within {REDRIVE_WINDOW.days} days of the stop (start a new execution instead)",
        )
    if description.get("redriveStatus") == "NOT_REDRIVABLE":
        reason = description.get("redriveStatusReason") or "no reason given"
        return Redrivability(False, f"Step Functions says: {reason}")
    until = f" until {stopped + REDRIVE_WINDOW:%Y-%m-%d %H:%M} UTC" if isinstance(stopped, datetime) else ""
    done = f", redriven {count} time{'s' if count != 1 else ''} so far" if count else ""
    return Redrivability(True, f"it can be redriven from the state that did not succeed{until}{done}")


def print_redrivability(console: Console, description: dict[str, Any]) -> None:
    """``why``'s redrive line: whether, and the command to do it (or why not)."""
    verdict = redrivability(description)
    if verdict.redrivable:
        field(console, "redrive", f"yes: {verdict.reason}")
        console.print(f"  Once the cause is fixed: workflows redrive {escape(description['name'])}")
    else:
        field(console, "redrive", f"no: {verdict.reason}")


def redrive(
    ctx: typer.Context,
    execution: Annotated[str, typer.Argument(help="Execution name or ARN.")],
    wait: Annotated[bool, typer.Option("--wait", help="Show progress until the execution ends.")] = False,
    poll_seconds: Annotated[
        float, typer.Option("--poll-seconds", min=0.0, help="With --wait: seconds between checks.")
    ] = DEFAULT_POLL_SECONDS,
) -> None:
    """Redrive a FAILED, TIMED_OUT or ABORTED execution from the state that did not succeed.

    Refused (exit 5, nothing done) when it succeeded, is running, stopped more than 14 days ago or was
    redriven 1000 times. With --wait, exit 0 if it then succeeds and 1 if it fails, times out or is aborted.
    """
    sfn = aws(ctx).client("stepfunctions")
    description = describe_execution(sfn, execution, stage(ctx))
    name, arn = description["name"], description["executionArn"]
    verdict = redrivability(description)
    if not verdict.redrivable:
        raise RedriveRefusedError(f"cannot redrive [{name}]: {verdict.reason}")
    try:
        redriven = sfn.redrive_execution(executionArn=arn)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ExecutionNotRedrivable":
            raise
        message = error.response["Error"].get("Message", "")
        raise RedriveRefusedError(f"cannot redrive [{name}]: Step Functions says: {message}") from None
    out, err = consoles()
    out.print(f"Redrove {escape(name)}")
    field(out, "execution ARN", arn)
    field(out, "redriven at", f"{redriven['redriveDate']:%Y-%m-%d %H:%M:%S} UTC")
    if not wait:
        return
    try:
        with Progress(err) as progress:
            ended = wait_until_ended(sfn, arn, poll_seconds=poll_seconds, report=progress)
    except KeyboardInterrupt:
        err.print(f"Stopped waiting; the execution keeps running: workflows status {escape(name)}")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    out.print(f"{status_text(ended['status'])} after the redrive")
    if ended["status"] != "SUCCEEDED":
        out.print(f"  Explain: workflows why {escape(name)}")
        raise typer.Exit(ExitCode.EXECUTION_UNSUCCESSFUL)
