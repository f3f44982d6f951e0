"""A consumer's CDK app, run from outside this repository against the installed wheel.

It uses the library's constructs only: the app's business workflows are in ``business_workflows``,
not in the wheel.
"""

from __future__ import annotations

import json
import sys

import aws_cdk as cdk
import workflow_constructs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs import PythonFunction, Workflow, add_checks, tasks


class ConsumerStack(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        topic = sns.Topic(self, "Alarms", enforce_ssl=True)
        function = PythonFunction(self, "Handler", handler="shared.errors.TransientError", service="consumer")
        first = tasks.invoke_lambda(self, "Ask the handler", function=function)
        second = tasks.publish_to_topic(
            self, "Announce the result", topic=topic, message=sfn.TaskInput.from_json_path_at("$")
        )
        Workflow(
            self, "Flow", workflow_name="consumer-flow", definition=first.next(second), alarm_topic=topic
        )


if __name__ == "__main__":
    app = cdk.App(outdir=sys.argv[1], context={"aws:cdk:version-reporting": False})
    ConsumerStack(app, "Consumer")
    add_checks(app)
    app.synth()
    print(json.dumps({"library": workflow_constructs.__file__}))
