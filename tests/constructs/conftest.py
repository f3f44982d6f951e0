"""A small stack built with every library construct, synthesized once for the construct tests."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template
from workflow_constructs import PythonFunction, Workflow, add_checks, tasks

GREETER = Path(__file__).resolve().parents[1] / "fixtures" / "greeter"
"""Another team's handler folder (``greeting.greet``), deployed by the tests' functions."""


class LibraryShowcase(cdk.Stack):
    def __init__(self, scope, construct_id):
        super().__init__(scope, construct_id)
        self.topic = topic = sns.Topic(self, "Alarms", enforce_ssl=True)
        table = dynamodb.TableV2(
            self,
            "Records",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
        )
        self.function = PythonFunction(
            self, "Greeter", entry=GREETER, handler="greeting.greet", service="showcase"
        )
        greet = tasks.invoke_lambda(self, "Greet the customer", function=self.function)
        record = tasks.dynamodb_put_item(
            self,
            "Record the greeting",
            table=table,
            item={"pk": tasks.ddb_string(sfn.JsonPath.string_at("$.correlationId"))},
            condition_expression="attribute_not_exists(pk)",
            result_path=sfn.JsonPath.DISCARD,
        )
        self.workflow = Workflow(
            self,
            "Showcase",
            workflow_name="showcase",
            definition=greet.next(record),
            alarm_topic=topic,
            business_metrics=[self.function.business_metric("GreetingsSent")],
        )


@pytest.fixture(scope="session")
def showcase(tmp_path_factory) -> tuple[LibraryShowcase, Template]:
    app = cdk.App(
        outdir=str(tmp_path_factory.mktemp("showcase")), context={"aws:cdk:version-reporting": False}
    )
    stack = LibraryShowcase(app, "Showcase")
    add_checks(app)
    app.synth()  # raises when a guard or a cdk-nag rule finds anything unacknowledged
    return stack, Template.from_stack(stack)
