"""A team's handler that imports workflow_runtime runs on the local cloud, deployed by PythonFunction.

The app is another team's: its own handler folder (``tests/fixtures/greeter``), a ``PythonFunction``
that ships the task library inside the asset, a two-step ``Workflow``. The local cloud runs the asset
as Lambda would, with only the asset, the standard library and site-packages on ``sys.path``.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import uuid
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from workflow_constructs import PythonFunction, Workflow, tasks
from workflow_local_cloud import running_local_cloud

pytestmark = pytest.mark.behaviour

GREETER = Path(__file__).resolve().parents[1] / "fixtures" / "greeter"
RUNTIME_SOURCE = Path(__file__).resolve().parents[2] / "runtime" / "src"
WORKFLOW = "greeter-flow"


class GreeterStack(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str, *, entry: Path) -> None:
        super().__init__(scope, construct_id)
        topic = sns.Topic(self, "Alarms", enforce_ssl=True)
        greet = PythonFunction(self, "Greet", entry=entry, handler="greeting.greet", service="greeter")
        where = PythonFunction(self, "Where", entry=entry, handler="where.where", service="greeter")
        first = tasks.invoke_lambda(self, "Greet the caller", function=greet)
        second = tasks.invoke_lambda(
            self, "Say where the task library came from", function=where, result_path="$.origin"
        )
        Workflow(self, "Flow", workflow_name=WORKFLOW, definition=first.next(second), alarm_topic=topic)


@pytest.fixture(scope="module")
def greeter_cloud(tmp_path_factory):
    # GIVEN the team's handler folder, plus a module that reports where workflow_runtime was imported from
    entry = tmp_path_factory.mktemp("greeter") / "handlers"
    shutil.copytree(GREETER, entry, ignore=shutil.ignore_patterns("__pycache__"))
    (entry / "where.py").write_text(
        textwrap.dedent("""
        import sys

        import workflow_runtime
        from workflow_runtime import handler


        @handler
        def where(event, context):
            return {"runtime": workflow_runtime.__file__, "path": sys.path}
        """)
    )
    outdir = tmp_path_factory.mktemp("greeter.out")
    app = cdk.App(outdir=str(outdir), context={"aws:cdk:version-reporting": False})
    GreeterStack(app, "Greeter", entry=entry)
    app.synth()
    with running_local_cloud(outdir) as harness:
        yield harness


def test_a_handler_importing_the_task_library_runs_and_logs_with_the_correlation_id(greeter_cloud):
    correlation_id = f"c-{uuid.uuid4().hex[:8]}"

    # WHEN the workflow runs
    execution = greeter_cloud.start(WORKFLOW, {"correlationId": correlation_id, "name": "Ada"})
    result = greeter_cloud.wait(execution)

    # THEN the team's handler answered, and the decorator's lines carry the correlation id and the name
    assert result.succeeded, greeter_cloud.trace(execution).render()
    assert result.output["greeting"] == "Hello Ada"
    entries = [
        json.loads(line.message) for line in greeter_cloud.lambda_log_lines() if '"Step ' in line.message
    ]
    mine = [entry for entry in entries if entry.get("correlation_id") == correlation_id]
    assert [entry["message"] for entry in mine if entry["step"] == "greet"] == [
        "Step started",
        "Step finished",
    ]
    assert {entry["name"] for entry in mine if entry["step"] == "greet"} == {"Ada"}


def test_the_task_library_is_imported_from_the_asset_not_from_the_repository(greeter_cloud):
    execution = greeter_cloud.start(WORKFLOW, {"correlationId": "c-where", "name": "Bo"})
    result = greeter_cloud.wait(execution)

    assert result.succeeded, greeter_cloud.trace(execution).render()
    imported_from = Path(result.output["origin"]["runtime"])
    assert imported_from.name == "__init__.py"
    assert imported_from.parent.name == "workflow_runtime"
    # The asset's own copy: neither the repository's source folder nor an installed copy of it.
    assert RUNTIME_SOURCE not in imported_from.parents
    assert "site-packages" not in imported_from.parts
    assert str(imported_from.parent.parent) == result.output["origin"]["path"][0]


def test_the_teams_validation_error_fails_the_execution_with_its_own_name(greeter_cloud):
    execution = greeter_cloud.start(WORKFLOW, {"correlationId": "c-nobody", "name": ""})
    result = greeter_cloud.wait(execution)

    assert result.status == "FAILED"
    assert result.error == "GreetingRequestInvalid"
    assert "name must be a non-empty string" in (result.cause or "")
