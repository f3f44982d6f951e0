"""Command plugins of the ``workflows`` CLI: each application adds its own commands.

The core (``start``, ``status``, ``list``, ``why``) knows no particular workflow. An application adds
commands from its own ``pyproject.toml``, under the entry-point group :data:`ENTRY_POINT_GROUP`; each
entry point names a function that takes the Typer app and registers commands on it::

    [project.entry-points."workflows.commands"]
    approvals = "my_app.cli:register"

    # my_app/cli.py
    def register(app: typer.Typer) -> None:
        app.command("approve")(approve)

Plugins load in the order of their entry-point names, so ``workflows --help`` lists them the same
way every time. A plugin may also say how ``workflows start`` starts one of its workflows, when
that is not a plain ``StartExecution`` (say, through an entry that records who asked):
:func:`register_starter`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import typer

from workflow_cli.aws import ClientFactory

ENTRY_POINT_GROUP = "workflows.commands"

Starter = Callable[[ClientFactory, str, dict[str, Any], str | None], str]
"""Starts an execution of one workflow: ``(clients, execution name, input, stage) -> execution ARN``."""

_STARTERS: dict[str, Starter] = {}


class PluginError(Exception):
    """A command plugin could not be loaded, or clashes with a command that is already there."""


def register_starter(workflow: str, starter: Starter) -> None:
    """Make ``workflows start <workflow>`` call ``starter`` instead of ``StartExecution``.

    ``workflow`` is the name without the stage. Raises :class:`PluginError` when another starter
    has that workflow already.
    """
    known = _STARTERS.setdefault(workflow, starter)
    if known is not starter:
        raise PluginError(f"workflow [{workflow}] has a starter already: [{known!r}]")


def starter_for(workflow: str) -> Starter | None:
    """The starter a plugin registered for ``workflow``, if any."""
    return _STARTERS.get(workflow)


def installed_plugins() -> list[EntryPoint]:
    """The command plugins installed in this environment, by entry-point name."""
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda entry_point: entry_point.name)


def command_names(app: typer.Typer) -> list[str]:
    """The names of the commands registered on ``app``, as a user types them."""
    names = []
    for info in app.registered_commands:
        if info.name:
            names.append(info.name)
        elif info.callback is not None:
            names.append(info.callback.__name__.lower().replace("_", "-"))
    return names


def load_plugins(app: typer.Typer, plugins: Iterable[EntryPoint] | None = None) -> list[str]:
    """Let every plugin (default: :func:`installed_plugins`) register its commands on ``app``.

    Returns the names of the plugins loaded. Raises :class:`PluginError`, naming the entry point,
    when one cannot be imported, is not callable, fails, or adds a command name that exists already.
    """
    loaded = []
    for plugin in installed_plugins() if plugins is None else plugins:
        where = f"command plugin [{plugin.name}] ([{plugin.value}], group {ENTRY_POINT_GROUP})"
        try:
            register = plugin.load()
        except Exception as error:  # an import error of any kind: say which plugin it was
            raise PluginError(f"{where} cannot be loaded: {type(error).__name__}: {error}") from error
        if not callable(register):
            raise PluginError(f"{where} is not a function that takes the app. Received: [{register!r}]")
        before = command_names(app)
        _register(register, app, where)
        added = command_names(app)[len(before) :]
        clashes = sorted(set(added) & set(before)) + sorted({n for n in added if added.count(n) > 1})
        if clashes:
            raise PluginError(f"{where} adds commands that exist already: [{', '.join(clashes)}]")
        loaded.append(plugin.name)
    return loaded


def _register(register: Callable[[typer.Typer], object], app: typer.Typer, where: str) -> None:
    try:
        register(app)
    except Exception as error:
        raise PluginError(f"{where} failed to register: {type(error).__name__}: {error}") from error
