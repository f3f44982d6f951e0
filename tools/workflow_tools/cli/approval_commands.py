"""This app's ``approve`` and ``reject`` as a ``workflows`` command plugin (see :mod:`.plugins`).

The commands themselves are in :mod:`workflow_tools.cli.approvals`; the app's ``pyproject.toml``
names :func:`register` under the ``workflows.commands`` entry-point group.
"""

from __future__ import annotations

import typer

from workflow_tools.cli import approvals


def register(app: typer.Typer) -> None:
    """Add ``approve`` and ``reject`` (stack-deployment approvals) to the ``workflows`` app."""
    app.command("approve")(approvals.approve)
    app.command("reject")(approvals.reject)
