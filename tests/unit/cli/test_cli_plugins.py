"""Command plugins: the generic ``workflows`` core, and this app's commands as entry-point plugins."""

from __future__ import annotations

import re
from importlib.metadata import EntryPoint

import pytest
import typer
from typer.testing import CliRunner
from workflow_tools.cli.plugins import ENTRY_POINT_GROUP, PluginError, installed_plugins, load_plugins

SAMPLE = "tests.unit.cli.sample_plugins"


def _plugin(name: str, attribute: str, module: str = SAMPLE) -> EntryPoint:
    return EntryPoint(name=name, value=f"{module}:{attribute}", group=ENTRY_POINT_GROUP)


def _core() -> typer.Typer:
    """A stand-in for the core: one command named like the real one."""
    app = typer.Typer()

    @app.command("start")
    def start() -> None:
        typer.echo("started")

    return app


def test_this_apps_commands_are_registered_as_entry_point_plugins():
    # GIVEN the app installed in this environment
    plugins = {plugin.name: plugin.value for plugin in installed_plugins()}
    # THEN its approve/reject and pay/decline come from its own pyproject's entry points
    assert plugins["approvals"] == "workflow_tools.cli.approval_commands:register"
    assert plugins["sandbox"] == "workflow_tools.cli.sandbox:register"


def test_the_core_has_only_generic_commands_and_the_plugins_add_the_apps():
    # GIVEN the core app without plugins, and then with this app's installed plugins
    app = _core()
    # WHEN the installed plugins are loaded
    loaded = load_plugins(app)
    # THEN they load by name, and add exactly the app's commands
    assert loaded[:2] == ["approvals", "sandbox"]
    names = [info.name for info in app.registered_commands]
    assert names[:5] == ["start", "approve", "reject", "pay", "decline"]


def test_a_plugin_command_runs_like_a_core_command():
    app = _core()
    load_plugins(app, [_plugin("greeting", "register")])
    result = CliRunner().invoke(app, ["greet", "ops"])
    assert result.exit_code == 0
    assert result.stdout == "hello ops\n"


def test_a_plugin_that_cannot_be_imported_is_named_in_the_error():
    with pytest.raises(
        PluginError,
        match=re.escape("command plugin [broken] ([no_such_module:register], group workflows.commands)")
        + " cannot be loaded: ModuleNotFoundError",
    ):
        load_plugins(_core(), [_plugin("broken", "register", module="no_such_module")])


def test_a_plugin_that_is_not_a_function_is_refused():
    with pytest.raises(
        PluginError, match=r"\[odd\] .* is not a function that takes the app. Received: \['greet'\]"
    ):
        load_plugins(_core(), [_plugin("odd", "NOT_A_FUNCTION")])


def test_a_plugin_whose_registration_fails_is_named_with_the_cause():
    with pytest.raises(
        PluginError, match=r"\[failing\] .* failed to register: RuntimeError: no configuration"
    ):
        load_plugins(_core(), [_plugin("failing", "register_failing")])


def test_a_plugin_may_not_replace_a_core_command():
    with pytest.raises(PluginError, match=r"\[clash\] .* adds commands that exist already: \[start\]"):
        load_plugins(_core(), [_plugin("clash", "register_clashing")])


def test_two_plugins_may_not_add_the_same_command():
    app = _core()
    with pytest.raises(PluginError, match=r"\[second\] .* adds commands that exist already: \[greet\]"):
        load_plugins(app, [_plugin("first", "register"), _plugin("second", "register")])
