"""``workflows``: the operator CLI. Start, find and explain workflow executions from a terminal,
and answer stack-deployment approvals, against AWS or the local cloud (``--endpoint-url``).

Core commands: ``start``, ``status``, ``list``, ``why``, ``redrive``; this app's plugins add
``approve``, ``reject``, ``pay`` and ``decline`` (see docs/operations.md and
:mod:`workflow_tools.cli.plugins`). Exit codes: ``workflow_tools.cli.errors.ExitCode``.
"""

from workflow_tools.cli.main import app, main

__all__ = ["app", "main"]
