"""A test-only CDK app that exercises everything the local cloud must run, built with the library.

Two stacks, so that a cross-stack reference (Export / Fn::ImportValue) is part of every load:

- ``LocalCloudShared``: the orders table.
- ``LocalCloudShowcase``: three workflows using that table.

``showcase-shipping`` books a shipment through the full Lambda integration (``lambda:invoke``, the
Invoke response as result), archives it in S3 and reads it back (``aws-sdk:s3``), and marks the
order shipped in DynamoDB.

``showcase-orders`` (JSONPath, with one JSONata state) validates an order in Lambda (Catch:
rejected), computes the total and assigns a variable in JSONata, records the order in DynamoDB,
waits an hour, packs each item in an inline Map, waits for a payment callback (Catch on
``States.Timeout``: cancel the order), ships it through the nested ``showcase-shipping`` workflow
(``startExecution.sync:2``), announces it on SNS, SQS and EventBridge in a Parallel, emails the
customer through SES v2 with a template, reads the order back, and checks the shared stack
(``aws-sdk:cloudformation:describeStacks``).

``showcase-batch`` is a distributed Map reading its items from S3.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as sfn_tasks
from workflow_constructs import NoRetry, Workflow, tasks

from constructs import Construct

HANDLERS = Path(__file__).with_name("showcase_handlers")
ORDERS = "showcase-orders"
SHIPPING = "showcase-shipping"
BATCH = "showcase-batch"
SENDER = "orders@example.com"
EMAIL_TEMPLATE = "showcase-order-confirmation"
BATCH_ITEMS_KEY = "batch/items.json"


class SharedStack(cdk.Stack):
    """The table the showcase workflows share, in its own stack."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.TableV2(
            self,
            "Orders",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )


class ShowcaseStack(cdk.Stack):
    """The showcase workflows."""

    def __init__(self, scope: Construct, construct_id: str, *, table: dynamodb.ITableV2) -> None:
        super().__init__(scope, construct_id)
        self.table = table
        self.shipping = self._shipping_workflow()
        self.orders = self._orders_workflow()
        self.batch = self._batch_workflow()

    def _function(self, construct_id: str, handler: str) -> lambda_.Function:
        function = lambda_.Function(
            self,
            construct_id,
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler=handler,
            code=lambda_.Code.from_asset(str(HANDLERS), exclude=["__pycache__", "*.pyc"]),
            memory_size=256,
            timeout=cdk.Duration.seconds(10),
            environment={
                "TABLE_NAME": self.table.table_name,
                "POWERTOOLS_SERVICE_NAME": "showcase",
                "POWERTOOLS_METRICS_NAMESPACE": "Showcase",
            },
        )
        self.table.grant_read_write_data(function)
        return function

    def _set_status(self, name: str, order_id_path: str, status: str) -> sfn_tasks.DynamoUpdateItem:
        return tasks.dynamodb_update_item(
            self,
            name,
            table=self.table,
            key={"pk": tasks.ddb_string(sfn.JsonPath.string_at(order_id_path))},
            update_expression="SET orderStatus = :status",
            expression_attribute_values={":status": tasks.ddb_string(status)},
            result_path=sfn.JsonPath.DISCARD,
        )

    def _shipping_workflow(self) -> Workflow:
        # The full Lambda integration (arn:aws:states:::lambda:invoke): the result is the Invoke response.
        book = tasks.invoke_lambda(
            self,
            "Book the shipment",
            function=self._function("BookShipment", "orders.book_shipment"),
            payload_response_only=False,
            result_selector={"trackingId.$": "$.Payload.trackingId"},
            result_path="$.booking",
        )
        archive = s3.Bucket(self, "Archive", removal_policy=cdk.RemovalPolicy.DESTROY)
        key = sfn.JsonPath.format("bookings/{}.json", sfn.JsonPath.string_at("$.orderId"))
        store = tasks.aws_sdk_call(
            self,
            "Archive the booking",
            service="s3",
            action="putObject",
            parameters={
                "Bucket": archive.bucket_name,
                "Key": key,
                "Body": sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$.booking")),
            },
            iam_resources=[archive.arn_for_objects("*")],
            idempotent=True,  # the same booking under the same key
            result_path=sfn.JsonPath.DISCARD,
        )
        read = tasks.aws_sdk_call(
            self,
            "Read the archived booking",
            service="s3",
            action="getObject",
            parameters={"Bucket": archive.bucket_name, "Key": key},
            iam_resources=[archive.arn_for_objects("*")],
            result_selector={"booking.$": "States.StringToJson($.Body)"},
            result_path="$.archived",
        )
        mark = self._set_status("Mark the order shipped", "$.orderId", "shipped")
        done = sfn.Pass(
            self, "Hand back the tracking id", parameters={"trackingId.$": "$.archived.booking.trackingId"}
        )
        definition = book.next(store).next(read).next(mark).next(done)
        return Workflow(self, "Shipping", workflow_name=SHIPPING, definition=definition)

    def _orders_workflow(self) -> Workflow:
        validate = tasks.invoke_lambda(
            self,
            "Validate the order",
            function=self._function("ValidateOrder", "orders.validate_order"),
            result_path="$.validation",
        )
        rejected = sfn.Fail(self, "Reject the order", error="OrderRejected", cause="The order is invalid")
        validate.add_catch(rejected, errors=["OrderInvalid"])

        total = sfn.Pass.jsonata(
            self,
            "Compute the order total",
            assign={"customerEmail": "{% $states.input.order.email %}"},
            outputs="{% $merge([$states.input, {'total': $sum($states.input.order.items.price)}]) %}",
        )
        record = tasks.dynamodb_put_item(
            self,
            "Record the order",
            table=self.table,
            item={
                "pk": tasks.ddb_string(sfn.JsonPath.string_at("$.correlationId")),
                "orderStatus": tasks.ddb_string("received"),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        wait = sfn.Wait(
            self, "Wait for the warehouse to open", time=sfn.WaitTime.duration(cdk.Duration.hours(1))
        )
        pack = sfn.Map(
            self,
            "Pack each item",
            items_path="$.order.items",
            result_path="$.packed",
            item_selector={"sku.$": "$$.Map.Item.Value.sku", "correlationId.$": "$.correlationId"},
        )
        pack.item_processor(
            tasks.invoke_lambda(
                self, "Pack the item", function=self._function("PackItem", "orders.pack_item")
            )
        )
        payment = tasks.wait_for_callback(
            self,
            "Collect the payment",
            function=self._function("RequestPayment", "orders.request_payment"),
            payload={"orderId.$": "$.correlationId", "correlationId.$": "$.correlationId"},
            timeout=cdk.Duration.days(1),
            result_path="$.payment",
        )
        cancel = self._set_status("Cancel the order", "$.correlationId", "cancelled")
        payment.add_catch(
            cancel.next(sfn.Fail(self, "Order cancelled", error="PaymentNotReceived")),
            errors=["States.Timeout"],
            result_path="$.failure",
        )
        ship = tasks.start_workflow(
            self,
            "Ship the order",
            state_machine=self.shipping.state_machine,
            input={"orderId.$": "$.correlationId"},
            result_path="$.shipment",
            result_selector={"trackingId.$": "$.Output.trackingId"},
        )
        announce = sfn.Parallel(self, "Announce the order", result_path=sfn.JsonPath.DISCARD)
        announce.branch(
            tasks.publish_to_topic(
                self,
                "Tell operations",
                topic=sns.Topic(self, "OrderEvents"),
                message=sfn.TaskInput.from_json_path_at("$.correlationId"),
            )
        )
        announce.branch(
            tasks.send_message(
                self,
                "Queue the invoice",
                queue=sqs.Queue(self, "Invoices"),
                message_body=sfn.TaskInput.from_object({"orderId.$": "$.correlationId"}),
            )
        )
        announce.branch(
            tasks.put_events(
                self,
                "Publish the order shipped event",
                entries=[
                    sfn_tasks.EventBridgePutEventsEntry(
                        detail=sfn.TaskInput.from_object({"orderId.$": "$.correlationId"}),
                        detail_type="OrderShipped",
                        source="showcase.orders",
                    )
                ],
            )
        )
        identity = ses.EmailIdentity(self, "Sender", identity=ses.Identity.email(SENDER))
        template = ses.CfnTemplate(
            self,
            "Confirmation",
            template=ses.CfnTemplate.TemplateProperty(
                template_name=EMAIL_TEMPLATE,
                subject_part="Order {{orderId}} is on its way",
                text_part="Hello, your order {{orderId}} ships with tracking id {{trackingId}}.",
            ),
        )
        email = tasks.send_email(
            self,
            "Email the customer",
            from_address=SENDER,
            to_address_path="$.order.email",
            template_name=EMAIL_TEMPLATE,
            template_data=sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$.emailData")),
            identity_arn=self.format_arn(service="ses", resource="identity", resource_name=SENDER),
            template_arn=self.format_arn(service="ses", resource="template", resource_name=EMAIL_TEMPLATE),
            result_path=sfn.JsonPath.DISCARD,
        )
        email.node.add_dependency(identity, template)
        email_data = sfn.Pass(
            self,
            "Prepare the email",
            result_path="$.emailData",
            parameters={"orderId.$": "$.correlationId", "trackingId.$": "$.shipment.trackingId"},
        )
        read_back = tasks.dynamodb_get_item(
            self,
            "Read the order back",
            table=self.table,
            key={"pk": tasks.ddb_string(sfn.JsonPath.string_at("$.correlationId"))},
            result_selector={"orderStatus.$": "$.Item.orderStatus.S"},
            result_path="$.stored",
            retry=NoRetry(reason="A read that fails here is a bug in the test, not a transient error"),
        )
        check_stack = tasks.aws_sdk_call(
            self,
            "Check the shared stack",
            service="cloudformation",
            action="describeStacks",
            parameters={"StackName": "LocalCloudShared"},
            iam_resources=[
                self.format_arn(
                    service="cloudformation", resource="stack", resource_name="LocalCloudShared/*"
                )
            ],
            result_selector={"status.$": "$.Stacks[0].StackStatus"},
            result_path="$.sharedStack",
        )
        definition = (
            validate.next(total)
            .next(record)
            .next(wait)
            .next(pack)
            .next(payment)
            .next(ship)
            .next(announce)
            .next(email_data)
            .next(email)
            .next(read_back)
            .next(check_stack)
            .next(sfn.Succeed(self, "Order complete"))
        )
        # Longer than its waits: a day for the payment plus the hour until the warehouse opens (on AWS
        # the default hour would time the execution out in "Wait for the warehouse to open").
        return Workflow(
            self, "Orders", workflow_name=ORDERS, definition=definition, timeout=cdk.Duration.days(2)
        )

    def _batch_workflow(self) -> Workflow:
        self.bucket = s3.Bucket(self, "BatchItems", removal_policy=cdk.RemovalPolicy.DESTROY)
        each = sfn.DistributedMap(
            self,
            "Check every line",
            item_reader=sfn.S3JsonItemReader(bucket=self.bucket, key=BATCH_ITEMS_KEY),
            result_path="$.checked",
            item_selector={"line.$": "$$.Map.Item.Value.line"},
        )
        each.item_processor(sfn.Pass(self, "Check the line", parameters={"ok": True, "line.$": "$.line"}))
        return Workflow(self, "Batch", workflow_name=BATCH, definition=each)


def build_showcase(outdir: Path) -> cdk.cx_api.CloudAssembly:
    """Synthesize the showcase app into ``outdir``."""
    app = cdk.App(outdir=str(outdir), context={"aws:cdk:version-reporting": False})
    shared = SharedStack(app, "LocalCloudShared")
    ShowcaseStack(app, "LocalCloudShowcase", table=shared.table)
    return app.synth()
