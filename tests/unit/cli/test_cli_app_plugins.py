"""This app's commands of the generic ``workflows`` CLI, as entry-point plugins of the root project."""

from __future__ import annotations

from workflow_cli.plugins import installed_plugins, load_plugins, starter_for
from workflow_tools.cli import approvals

from tests.cli.sample_plugins import core_app


def test_this_apps_commands_are_registered_as_entry_point_plugins():
    # GIVEN the app installed in this environment
    plugins = {plugin.name: plugin.value for plugin in installed_plugins()}
    # THEN its approve/reject and pay/decline come from its own pyproject's entry points
    assert plugins["approvals"] == "workflow_tools.cli.approval_commands:register"
    assert plugins["sandbox"] == "workflow_tools.cli.sandbox:register"


def test_the_core_has_only_generic_commands_and_the_plugins_add_the_apps():
    # GIVEN the core app without plugins, and then with this app's installed plugins
    app = core_app()
    # WHEN the installed plugins are loaded
    loaded = load_plugins(app)
    # THEN they load by name, and add exactly the app's commands
    assert loaded[:2] == ["approvals", "sandbox"]
    names = [info.name for info in app.registered_commands]
    assert names[:5] == ["start", "approve", "reject", "pay", "decline"]


def test_stack_deployment_starts_through_its_entry():
    # GIVEN the installed plugins (the CLI loaded them on import)
    # THEN `workflows start stack-deployment` goes through the entry, and other workflows do not
    assert starter_for("stack-deployment") is approvals.start_deployment
    assert starter_for("billing") is None
