"""``python -m workflow_review.diagrams``: regenerate (or ``--check``) the workflow diagram pages.

Reads a synthesized assembly (``make diagrams`` synthesizes first), writes one Mermaid page per
state machine into ``docs/workflows/`` and the list of them into the README. Where Graphviz is
installed it also draws SVG and PNG images into ``build/diagrams/`` (not committed); without it
those are skipped with a note. Exit status: 0 done or up to date, 1 out of date (``--check``), 2 error.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from workflow_constructs.definition import DefinitionError
from workflow_review.assembly import AssemblyError, load_assembly
from workflow_review.diagrams.graph import DiagramError
from workflow_review.diagrams.graphviz import render_images
from workflow_review.diagrams.pages import REGENERATE_HINT, plan, problems, write

EXIT_OK = 0
EXIT_OUT_OF_DATE = 1
EXIT_ERROR = 2


def diagrams_command(
    assembly: Annotated[Path, typer.Option(help="Synthesized cloud assembly to read.")] = Path("cdk.out"),
    docs: Annotated[Path, typer.Option(help="Where the workflow pages go.")] = Path("docs/workflows"),
    readme: Annotated[Path, typer.Option(help="README whose workflow list is kept current.")] = Path(
        "README.md"
    ),
    images: Annotated[
        Path, typer.Option(help="Where Graphviz SVG/PNG images go (skipped when `dot` is not installed).")
    ] = Path("build/diagrams"),
    no_images: Annotated[bool, typer.Option("--no-images", help="Do not draw images.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when a page or the README list is stale.")
    ] = False,
) -> None:
    """Mermaid diagrams of every workflow, from the synthesized definitions."""
    try:
        the_plan = plan(load_assembly(assembly), docs_dir=docs, readme=readme)
        if check:
            stale = problems(the_plan)
            for problem in stale:
                typer.echo(problem, err=True)
            if stale:
                typer.echo(f"Workflow diagrams are out of date: {REGENERATE_HINT}.", err=True)
                raise typer.Exit(EXIT_OUT_OF_DATE)
            typer.echo(f"{len(the_plan.pages)} workflow diagram(s) up to date.")
            raise typer.Exit(EXIT_OK)
        for line in write(the_plan) or [f"{len(the_plan.pages)} workflow diagram(s) already up to date."]:
            typer.echo(line)
        if not no_images:
            for page in the_plan.pages.values():
                result = render_images(page.graph, images, stem=page.stem)
                drawn = ", ".join(str(image) for image in result.images)
                typer.echo(f"{result.dot_file}: {drawn or f'no images: {result.skipped}'}")
    except (AssemblyError, DefinitionError, DiagramError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from error
    except subprocess.CalledProcessError as error:
        typer.echo(f"error: Graphviz failed: {error.stderr.decode(errors='replace').strip()}", err=True)
        raise typer.Exit(EXIT_ERROR) from error


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command on ``argv`` (default: ``sys.argv[1:]``) and return its exit status."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(diagrams_command)
    try:
        app(args=list(sys.argv[1:] if argv is None else argv), prog_name="python -m workflow_review.diagrams")
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_ERROR)
    return EXIT_OK
