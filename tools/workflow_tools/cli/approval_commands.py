"""This app's ``approve`` and ``reject`` as a ``workflows`` command plugin (see :mod:`workflow_cli.plugins`).

The commands themselves are in :mod:`workflow_tools.cli.approvals`; the app's ``pyproject.toml``
names :func:`register` under the ``workflows.commands`` entry-point group.
"""

from __future__ import annotations

import typer
from workflow_cli import register_starter

from workflow_tools.cli import approvals


def register(app: typer.Typer) -> None:
    """Add ``approve`` and ``reject`` (stack-deployment approvals) to the ``workflows`` app, and start
    stack-deployment through its IAM-authorised entry, which records who asked (the requester)."""
    app.command("approve")(approvals.approve)
    app.command("reject")(approvals.reject)
    register_starter(approvals.DEPLOYMENT_WORKFLOW, approvals.start_deployment)
