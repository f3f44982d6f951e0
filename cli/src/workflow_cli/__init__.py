"""``workflows``: the operator CLI for AWS Step Functions. Start, find and explain executions from a
terminal, against AWS or any endpoint that speaks its API (``--endpoint-url``).

Core commands: ``start``, ``status``, ``list``, ``why``, ``redrive``. An application adds its own commands as
command plugins (entry-point group ``workflows.commands``, see :mod:`workflow_cli.plugins`).
Exit codes: :class:`ExitCode`; a command fails with a :class:`CliError` (one ``error:`` line).
"""

from workflow_cli.errors import CliError, ExitCode
from workflow_cli.plugins import ENTRY_POINT_GROUP, register_starter

# isort: split
# Last: importing main loads the installed plugins, and they may import the names above.
from workflow_cli.main import app, main

__all__ = ["ENTRY_POINT_GROUP", "CliError", "ExitCode", "app", "main", "register_starter"]
