"""``workflow-review``: the readable diff and the diagrams of synthesized cloud assemblies.

Both commands read only what is given on the command line, so any CDK app's CI can run them::

    workflow-review diff base/cdk.out cdk.out --format markdown --output diff.md
    workflow-review diagrams cdk.out --out docs/workflows --check

Exit status: 0 no change / up to date, 1 changes / out of date, 2 error (bad input or argument).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from workflow_review.diagrams.cli import diagrams_command
from workflow_review.diff.cli import diff_command

EXIT_OK = 0
EXIT_ERROR = 2

app = typer.Typer(
    name="workflow-review",
    help="Review synthesized CDK cloud assemblies: a readable diff, and diagrams of the state machines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("diff")(diff_command)
app.command("diagrams")(diagrams_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``workflow-review`` on ``argv`` (default: ``sys.argv[1:]``) and return its exit status.

    >>> main(["diff", "base/cdk.out", "cdk.out"])  # doctest: +SKIP
    1
    """
    try:
        app(args=list(sys.argv[1:] if argv is None else argv), prog_name="workflow-review")
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_ERROR)
    return EXIT_OK


def run() -> None:
    """Console entry point (``[project.scripts] workflow-review``)."""
    sys.exit(main())
