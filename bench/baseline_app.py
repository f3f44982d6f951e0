#!/usr/bin/env python3
"""Benchmark baseline: the smallest app built the way ``app.py`` builds the real one.

One workflow with one Lambda step, on the same construct library, with the same synth-time checks
(workflow guards, cdk-nag AwsSolutions and Serverless), the same operations stack and the same CDK
CLI and cdk.json context. ``make bench`` synthesizes it next to the real app and reports the real
app's synth time as a ratio of this one, which cancels out most of a noisy machine's noise and
every fixed cost (Node and Python start-up, loading aws-cdk-lib): what is left is what the real
app's size costs. Never deployed.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Stack
from aws_cdk import aws_sns as sns
from workflow_constructs import PythonFunction, Workflow, add_checks, tasks

from business_workflows.handler_code import app_handler_code
from constructs import Construct
from stacks.operations import OperationsStack


class BaselineStack(Stack):
    """One state machine with one Lambda step: the least a workflow stack can be."""

    def __init__(self, scope: Construct, construct_id: str, *, alarm_topic: sns.ITopic) -> None:
        super().__init__(scope, construct_id)
        # Synth never runs the handler; any function of the app's handler folder or the task library does.
        function = PythonFunction(
            self,
            "Step",
            entry=app_handler_code(),
            handler="workflow_runtime.observability.service_name",
            service="baseline",
        )
        step = tasks.invoke_lambda(self, "Run the only step", function=function)
        self.workflow = Workflow(
            self, "Baseline", workflow_name="bench-baseline", definition=step, alarm_topic=alarm_topic
        )


def build_app(**app_props: Any) -> App:
    """Build the baseline app; like ``app.build_app`` it accepts ``outdir`` and ``context``."""
    app = App(**app_props)
    operations = OperationsStack(app, "Operations")
    BaselineStack(app, "Baseline", alarm_topic=operations.operations_topic)
    add_checks(app)
    return app


if __name__ == "__main__":
    build_app().synth()
