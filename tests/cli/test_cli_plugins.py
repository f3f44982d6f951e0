"""Command plugins of the generic ``workflows`` core: loading, errors, and the starters they register."""

from __future__ import annotations

import json
import re
from importlib.metadata import EntryPoint

import pytest
from typer.testing import CliRunner
from workflow_cli import plugins
from workflow_cli.plugins import ENTRY_POINT_GROUP, PluginError, load_plugins, register_starter

from tests.cli.sample_plugins import core_app

SAMPLE = "tests.cli.sample_plugins"
PASS = {"Done": {"Type": "Pass", "End": True}}


def _plugin(name: str, attribute: str, module: str = SAMPLE) -> EntryPoint:
    return EntryPoint(name=name, value=f"{module}:{attribute}", group=ENTRY_POINT_GROUP)


def test_a_plugin_command_runs_like_a_core_command():
    app = core_app()
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
        load_plugins(core_app(), [_plugin("broken", "register", module="no_such_module")])


def test_a_plugin_that_is_not_a_function_is_refused():
    with pytest.raises(
        PluginError, match=r"\[odd\] .* is not a function that takes the app. Received: \['greet'\]"
    ):
        load_plugins(core_app(), [_plugin("odd", "NOT_A_FUNCTION")])


def test_a_plugin_whose_registration_fails_is_named_with_the_cause():
    with pytest.raises(
        PluginError, match=r"\[failing\] .* failed to register: RuntimeError: no configuration"
    ):
        load_plugins(core_app(), [_plugin("failing", "register_failing")])


def test_a_plugin_may_not_replace_a_core_command():
    with pytest.raises(PluginError, match=r"\[clash\] .* adds commands that exist already: \[start\]"):
        load_plugins(core_app(), [_plugin("clash", "register_clashing")])


def test_two_plugins_may_not_add_the_same_command():
    app = core_app()
    with pytest.raises(PluginError, match=r"\[second\] .* adds commands that exist already: \[greet\]"):
        load_plugins(app, [_plugin("first", "register"), _plugin("second", "register")])


@pytest.fixture
def starters(monkeypatch) -> dict:
    """The starters plugins register, emptied for this test (the installed plugins' are put back)."""
    registry: dict = {}
    monkeypatch.setattr(plugins, "_STARTERS", registry)
    return registry


def test_a_registered_starter_starts_its_workflow_and_the_others_start_plainly(run, cloud, starters):
    # GIVEN two plain machines, and a plugin that starts "audited" itself (recording what it was given)
    audited = cloud.state_machine("audited", PASS, "Done")
    plain = cloud.state_machine("plain", PASS, "Done")
    calls = []

    def start_audited(clients, name, payload, stage):
        calls.append((name, payload, stage))
        arn = clients.client("stepfunctions").start_execution(
            stateMachineArn=audited, name=name, input=json.dumps({**payload, "audited": True})
        )["executionArn"]
        return str(arn)

    register_starter("audited", start_audited)
    # WHEN both are started
    through_plugin = run("start", "audited", "--reason", "x", "--input", "-", input='{"a": 1}')
    plainly = run("start", "plain", "--reason", "x", "--input", "-", input='{"a": 1}')
    # THEN the plugin started "audited", with the execution name and the input the CLI made
    assert through_plugin.exit_code == 0, through_plugin.stderr
    ((name, payload, stage),) = calls
    assert name.startswith("audited-x-")
    assert stage is None
    assert payload["a"] == 1
    assert "correlationId" in payload
    arn = re.search(r"execution ARN\s+(\S+)", through_plugin.stdout).group(1)
    assert json.loads(cloud.sfn.describe_execution(executionArn=arn)["input"])["audited"] is True
    # AND "plain" was started with StartExecution, the plugin not asked
    assert plainly.exit_code == 0, plainly.stderr
    assert len(calls) == 1
    assert f"{plain.replace(':stateMachine:', ':execution:')}:plain-x-" in plainly.stdout


def test_a_second_starter_for_the_same_workflow_is_refused(starters):
    def first(clients, name, payload, stage):
        return "arn:first"

    register_starter("audited", first)
    register_starter("audited", first)  # the same plugin loaded again is harmless
    with pytest.raises(PluginError, match=r"workflow \[audited\] has a starter already"):
        register_starter("audited", lambda clients, name, payload, stage: "arn:second")
    assert starters == {"audited": first}
