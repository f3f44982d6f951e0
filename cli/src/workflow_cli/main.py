"""The ``workflows`` command: the Typer app, its global options, its error handling and its plugins.

The core commands are generic; an application's own commands come from command plugins
(:mod:`workflow_cli.plugins`, entry-point group ``workflows.commands``).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from botocore.exceptions import BotoCoreError, ClientError

# Typer 0.29 vendors click: its parser raises these, not the `click` package's classes.
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from workflow_cli import diagnose, executions, redrive
from workflow_cli.aws import Aws
from workflow_cli.errors import EXIT_CODE_MEANINGS, CliError, ExitCode, from_aws_error
from workflow_cli.errors import UsageError as CliUsageError
from workflow_cli.executions import STAGE_META
from workflow_cli.naming import STAGE_ENV_VAR, InvalidStageError, parse_stage
from workflow_cli.plugins import load_plugins

EPILOG = (
    "Exit codes: " + "; ".join(f"{int(code)} {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items()) + "."
)


class WorkflowsGroup(TyperGroup):
    """Turns every expected failure into one ``error: ...`` line on stderr and its exit code."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra
            )
            code = result if isinstance(result, int) else ExitCode.OK
        except CliError as error:
            code = _fail(error.message, error.exit_code)
        except (BotoCoreError, ClientError) as error:
            translated = from_aws_error(error)
            code = _fail(translated.message, translated.exit_code)
        except NoArgsIsHelpError as error:
            typer.echo(error.format_message(), err=True)  # the message is the help text
            code = ExitCode.USAGE
        except UsageError as error:
            command = error.ctx.command_path if error.ctx else "workflows"
            code = _fail(f"{error.format_message()} See '{command} --help'.", ExitCode.USAGE)
        except typer.TyperException as error:
            code = _fail(error.format_message(), ExitCode.USAGE)
        except typer.Abort:
            code = _fail("aborted", ExitCode.INTERRUPTED)
        if standalone_mode:
            sys.exit(int(code))
        return int(code)


def _fail(message: str, code: ExitCode) -> ExitCode:
    typer.echo(f"error: {message}", err=True)
    return code


app = typer.Typer(
    name="workflows",
    cls=WorkflowsGroup,
    help="Start, find and explain workflow executions (and whatever the installed command plugins add).",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _options(
    ctx: typer.Context,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url", envvar="AWS_ENDPOINT_URL", help="Send every AWS call here (a local cloud, say)."
        ),
    ] = None,
    region: Annotated[
        str | None,
        # boto3 reads only AWS_DEFAULT_REGION; AWS_REGION is what the other SDKs and Lambda use.
        typer.Option(
            "--region", envvar="AWS_REGION", help="AWS region (else AWS_DEFAULT_REGION, the profile's)."
        ),
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="AWS profile (default: AWS_PROFILE).")
    ] = None,
    stage: Annotated[
        str | None,
        typer.Option(
            "--stage",
            envvar=STAGE_ENV_VAR,
            help="Only the workflows of this stage, named <stage>-<workflow> (default: unstaged).",
        ),
    ] = None,
) -> None:
    """Global options; AWS credentials come from the normal chain (environment, profile, SSO, role)."""
    try:
        ctx.meta[STAGE_META] = parse_stage(stage)
    except InvalidStageError as error:
        raise CliUsageError(f"--stage: {error}") from None
    if ctx.obj is None:  # tests hand in their own clients
        ctx.obj = Aws(profile=profile, region=region, endpoint_url=endpoint_url)


app.command("start")(executions.start)
app.command("status")(executions.status)
app.command("list")(executions.list_executions)
app.command("why")(diagnose.why)
app.command("redrive")(redrive.redrive)
# An application's own commands come in here (its [project.entry-points."workflows.commands"]).
load_plugins(app)


def main() -> None:
    """Console entry point (``workflows``, the ``[project.scripts]`` of workflow-cli)."""
    app()
