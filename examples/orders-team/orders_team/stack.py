"""The order fulfilment workflow: accept an order, have the warehouse pack it, record that it was packed.

States (each a sentence a person on call understands):

1. "Accept the order" (Lambda, ``handlers/handler.py``): checks the request, fails
   ``OrderRequestInvalid`` before anything is written, and records the order ``ACCEPTED`` once.
2. "Ask the warehouse to pack the order" (SQS, callback): a message with the task token goes to the
   warehouse's queue; the warehouse heartbeats while it packs and answers SendTaskSuccess with
   ``{"parcelId": ...}`` or SendTaskFailure. No answer in ``PACKING_TIMEOUT`` (or no heartbeat in
   ``PACKING_HEARTBEAT``) is a timeout.
3. "Record the order as packed" (DynamoDB): status ``PACKED`` and the parcel id.

A refusal or a timeout at step 2 records the order ``NOT_PACKED`` and ends in ``OrderNotPacked``,
a business outcome (counted, not paged).
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct
from workflow_constructs import AlarmTopic, PythonFunction, Workflow, tasks

HANDLERS = Path(__file__).resolve().parents[1] / "handlers"
"""The team's handler folder: ``PythonFunction`` deploys it with ``workflow_runtime`` beside it."""

WORKFLOW_NAME = "order-fulfilment"
NOT_PACKED_ERROR = "OrderNotPacked"
PACKING_TIMEOUT = cdk.Duration.days(2)  # the warehouse packs within a working day, weekends aside
PACKING_HEARTBEAT = cdk.Duration.hours(6)  # the warehouse heartbeats while the order is being packed
WORKFLOW_TIMEOUT = cdk.Duration.days(3)  # longer than the packing wait and every retry
DEAD_LETTER_RETENTION = cdk.Duration.days(14)  # the longest SQS keeps a message
POINT_IN_TIME_RECOVERY = dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)


class OrderFulfilmentStack(cdk.Stack):
    """The ``order-fulfilment`` workflow and its resources, exposed as attributes.

    Outputs: ``OrdersTableName`` and ``WarehouseQueueUrl``, for the warehouse and for the tests.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        order_id = dynamodb.Attribute(name="orderId", type=dynamodb.AttributeType.STRING)
        self.orders_table = dynamodb.TableV2(
            self,
            "Orders",
            partition_key=order_id,
            point_in_time_recovery_specification=POINT_IN_TIME_RECOVERY,
        )
        # Powertools idempotency's own layout: the key in "id", expiry (TTL) in "expiration".
        self.idempotency_table = dynamodb.TableV2(
            self,
            "Idempotency",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            time_to_live_attribute="expiration",
            point_in_time_recovery_specification=POINT_IN_TIME_RECOVERY,
        )
        self.warehouse_dead_letters = sqs.Queue(
            self,
            "WarehouseDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        cdk.Validations.of(self.warehouse_dead_letters).acknowledge(
            cdk.Acknowledgment(
                id="Serverless-SQSRedrivePolicy",
                reason="It is the warehouse queue's dead-letter queue: what lands here is kept for an "
                "operator to read, not redriven to another queue.",
            )
        )
        self.warehouse_queue = sqs.Queue(
            self,
            "WarehouseRequests",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=5, queue=self.warehouse_dead_letters),
        )
        self.accept_function = PythonFunction(
            self,
            "AcceptOrder",
            entry=HANDLERS,
            handler="handler.accept_order",
            service=WORKFLOW_NAME,
            include_runtime=True,
            description="Checks an order request and records the order once",
            environment={
                "ORDERS_TABLE": self.orders_table.table_name,
                "IDEMPOTENCY_TABLE": self.idempotency_table.table_name,
            },
        )
        self.orders_table.grant(self.accept_function, "dynamodb:PutItem")
        # Exactly what Powertools idempotency does with its table.
        self.idempotency_table.grant(
            self.accept_function,
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        )
        self.alarm_topic = AlarmTopic(self, "Alarms", display_name="Orders team alarms")
        self.workflow = Workflow(
            self,
            "OrderFulfilment",
            workflow_name=WORKFLOW_NAME,
            definition=self._definition(),
            timeout=WORKFLOW_TIMEOUT,
            alarm_topic=self.alarm_topic,
            business_outcomes=[NOT_PACKED_ERROR],
        )
        cdk.CfnOutput(self, "OrdersTableName", value=self.orders_table.table_name)
        cdk.CfnOutput(self, "WarehouseQueueUrl", value=self.warehouse_queue.queue_url)

    def _definition(self) -> sfn.IChainable:
        accept = tasks.invoke_lambda(
            self, "Accept the order", function=self.accept_function, result_path="$.order"
        )
        ask_warehouse = tasks.send_message(
            self,
            "Ask the warehouse to pack the order",
            queue=self.warehouse_queue,
            message_body=sfn.TaskInput.from_object(
                {
                    "correlationId": sfn.JsonPath.string_at(tasks.CORRELATION_ID_PATH),
                    "orderId": sfn.JsonPath.string_at("$.order.orderId"),
                    "lines": sfn.JsonPath.list_at("$.order.lines"),
                    "taskToken": sfn.JsonPath.task_token,
                }
            ),
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            task_timeout=sfn.Timeout.duration(PACKING_TIMEOUT),
            heartbeat_timeout=sfn.Timeout.duration(PACKING_HEARTBEAT),
            result_path="$.packing",
        )
        record_packed = self._record_status(
            "Record the order as packed", "PACKED", field="parcelId", value_path="$.packing.parcelId"
        )
        record_not_packed = self._record_status(
            "Record the order as not packed", "NOT_PACKED", field="failedWith", value_path="$.failure.Error"
        )
        not_packed = sfn.Fail(
            self,
            "Order not packed",
            error=NOT_PACKED_ERROR,
            cause="The warehouse refused the order or did not answer in time; the order is NOT_PACKED",
        )
        ask_warehouse.add_catch(
            record_not_packed.next(not_packed), errors=["States.ALL"], result_path="$.failure"
        )
        return accept.next(ask_warehouse).next(record_packed)

    def _record_status(self, name: str, status: str, *, field: str, value_path: str) -> sfn.TaskStateBase:
        """A DynamoDB step moving the order from ``ACCEPTED`` to ``status``, with ``field`` set from
        ``value_path``; writing the same status again (a retry) is allowed, any other move is not."""
        return tasks.dynamodb_update_item(
            self,
            name,
            table=self.orders_table,
            key={"orderId": tasks.ddb_string(sfn.JsonPath.string_at("$.order.orderId"))},
            update_expression=f"SET #status = :status, {field} = :value",
            condition_expression="#status IN (:accepted, :status)",
            expression_attribute_names={"#status": "status"},
            expression_attribute_values={
                ":status": tasks.ddb_string(status),
                ":accepted": tasks.ddb_string("ACCEPTED"),
                ":value": tasks.ddb_string(sfn.JsonPath.string_at(value_path)),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
