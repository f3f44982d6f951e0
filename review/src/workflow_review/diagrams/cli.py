"""``workflow-review diagrams ASSEMBLY --out DIR``: write (or ``--check``) the workflow diagram pages.

Reads a synthesized assembly and writes one Mermaid page per state machine into ``--out``; with
``--readme`` also the list of them between that README's markers. With ``--images DIR`` and Graphviz
installed it also draws SVG and PNG images there (without ``dot`` those are skipped with a note).
Exit status: 0 done or up to date, 1 out of date (``--check``), 2 error.
"""

from __future__ import annotations

import subprocess
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
    assembly: Annotated[
        Path,
        typer.Argument(metavar="ASSEMBLY", help="Synthesized cloud assembly to read.", show_default=False),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where the workflow pages go.", show_default=False)],
    readme: Annotated[
        Path | None,
        typer.Option(help="README whose list of workflow pages is kept current between its markers."),
    ] = None,
    images: Annotated[
        Path | None,
        typer.Option(help="Also draw Graphviz DOT/SVG/PNG images here (SVG/PNG need `dot` installed)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when a page or the README list is stale.")
    ] = False,
) -> None:
    """Mermaid diagrams of every workflow, from the synthesized definitions."""
    try:
        the_plan = plan(load_assembly(assembly), docs_dir=out, readme=readme)
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
        if images is not None:
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
