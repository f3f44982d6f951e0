"""Another team's CDK app, outside this repository: one state machine that stores an order.

Plain aws-cdk-lib (no construct library): the local cloud deploys any synthesized app.
``python app.py [OUTDIR]`` synthesizes it; the CDK CLI runs it as ``--app "python app.py"``.
"""

from __future__ import annotations

import sys

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks


class OrdersStack(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        table = dynamodb.Table(
            self,
            "Orders",
            partition_key=dynamodb.Attribute(name="orderId", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        )
        store = tasks.DynamoPutItem(
            self,
            "Store the order",
            table=table,
            item={
                "orderId": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$.orderId")),
                "item": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$.item")),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        accepted = sfn.Pass(self, "Accept the order", parameters={"accepted.$": "$.orderId"})
        sfn.StateMachine(
            self,
            "Flow",
            state_machine_name="orders",
            definition_body=sfn.DefinitionBody.from_chainable(store.next(accepted)),
        )


if __name__ == "__main__":
    app = cdk.App(outdir=sys.argv[1]) if len(sys.argv) > 1 else cdk.App()
    OrdersStack(app, "Orders")
    app.synth()
