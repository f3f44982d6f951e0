"""``workflows``: the operator CLI. Start, find and explain workflow executions from a terminal,
and answer stack-deployment approvals, against AWS or the local cloud (``--endpoint-url``).

Commands: ``start``, ``status``, ``list``, ``why``, ``approve``, ``reject`` (see
docs/operations.md). Exit codes: ``workflow_tools.cli.errors.ExitCode``.
"""

from workflow_tools.cli.main import app, main

__all__ = ["app", "main"]
