"""A consumer's CDK app, run from outside this repository against the installed wheel.

It uses the library's constructs only (the app's business workflows are in ``business_workflows``,
not in the wheel), with a Lambda step of its own: ``handlers/greeting.py`` (copied beside this file by
the test), written with the installed ``workflow_runtime``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import aws_cdk as cdk
import workflow_constructs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs import PythonFunction, Workflow, add_checks, tasks

HANDLERS = Path(__file__).resolve().parent / "handlers"


class ConsumerStack(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        topic = sns.Topic(self, "Alarms", enforce_ssl=True)
        function = PythonFunction(
            self, "Handler", entry=HANDLERS, handler="greeting.greet", service="consumer"
        )
        first = tasks.invoke_lambda(self, "Greet the customer", function=function)
        second = tasks.publish_to_topic(
            self, "Announce the result", topic=topic, message=sfn.TaskInput.from_json_path_at("$")
        )
        Workflow(
            self, "Flow", workflow_name="consumer-flow", definition=first.next(second), alarm_topic=topic
        )


def _runtime_origin() -> str | None:
    spec = importlib.util.find_spec("workflow_runtime")  # where PythonFunction copied it from
    return spec.origin if spec else None


if __name__ == "__main__":
    app = cdk.App(outdir=sys.argv[1], context={"aws:cdk:version-reporting": False})
    ConsumerStack(app, "Consumer")
    add_checks(app)
    app.synth()
    print(json.dumps({"library": workflow_constructs.__file__, "runtime": _runtime_origin()}))
