"""``workflow-review diff BASE HEAD``: the readable diff of two synthesized assemblies.

Exit status, as ``diff`` and ``cdk diff --fail``: 0 no change, 1 changes, 2 error (a missing or
malformed assembly, a bad argument).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from workflow_review.assembly import AssemblyError
from workflow_review.diff.compare import DiffError, diff_directories
from workflow_review.diff.render import DEFAULT_TITLE, render_markdown, render_text

EXIT_NO_CHANGES = 0
EXIT_CHANGES = 1
EXIT_ERROR = 2


class OutputFormat(StrEnum):
    """How the diff is written."""

    text = "text"
    markdown = "markdown"


def diff_command(
    old: Annotated[
        Path,
        typer.Argument(
            metavar="BASE_ASSEMBLY",
            help="Assembly before the change, e.g. the base branch's cdk.out.",
            show_default=False,
        ),
    ],
    new: Annotated[
        Path,
        typer.Argument(
            metavar="HEAD_ASSEMBLY",
            help="Assembly after the change, e.g. this branch's cdk.out.",
            show_default=False,
        ),
    ],
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="text for a terminal, markdown for a pull-request comment."),
    ] = OutputFormat.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the diff to this file instead of stdout.")
    ] = None,
    title: Annotated[
        str, typer.Option(help="Heading of the diff.", envvar="WORKFLOWS_DIFF_TITLE")
    ] = DEFAULT_TITLE,
) -> None:
    """Compare two synthesized cloud assemblies offline: resources per stack, state machines state by state.

    Warns loudly when a stateful resource (table, bucket, log group, key, ...) would be replaced or
    deleted. Exit status: 0 no change, 1 changes, 2 error.
    """
    try:
        diff = diff_directories(old, new)
    except (AssemblyError, DiffError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from error
    render = render_markdown if output_format is OutputFormat.markdown else render_text
    rendered = render(diff, title=title)
    if output is None:
        typer.echo(rendered, nl=False)
    else:
        try:
            output.write_text(rendered, encoding="utf-8")
        except OSError as error:
            typer.echo(f"error: cannot write [{output}]: {error.strerror}", err=True)
            raise typer.Exit(EXIT_ERROR) from error
    raise typer.Exit(EXIT_CHANGES if diff.has_changes else EXIT_NO_CHANGES)
