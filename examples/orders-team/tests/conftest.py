"""Shared helpers of the orders team's tests. The local cloud itself comes from the
``workflow-local-cloud`` pytest plugin (fixtures ``local_cloud_assembly`` and ``local_cloud``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from workflow_local_cloud import LocalCloudHarness

from tests.support import STACK


@pytest.fixture
def outputs(local_cloud: LocalCloudHarness) -> dict[str, str]:
    """The stack's outputs, as the warehouse would read them: ``OrdersTableName``, ``WarehouseQueueUrl``."""
    (stack,) = local_cloud.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


@pytest.fixture
def stored_order(local_cloud: LocalCloudHarness, outputs: dict[str, str]) -> Any:
    """``stored_order(order_id)``: the order's item in the orders table (plain values), or None."""

    def read(order_id: str) -> dict[str, Any] | None:
        item = local_cloud.client("dynamodb").get_item(
            TableName=outputs["OrdersTableName"], Key={"orderId": {"S": order_id}}, ConsistentRead=True
        )
        found = item.get("Item")
        return None if found is None else {key: next(iter(value.values())) for key, value in found.items()}

    return read


@pytest.fixture
def warehouse(local_cloud: LocalCloudHarness, outputs: dict[str, str]) -> Any:
    """``warehouse(order_id)``: the packing request the warehouse receives for the order (deleted from the
    queue, as the warehouse would), parsed. Fails the test if none arrives."""
    sqs = local_cloud.client("sqs")
    queue = outputs["WarehouseQueueUrl"]

    def receive(order_id: str) -> dict[str, Any]:
        for _ in range(10):
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in messages.get("Messages", []):
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
                body: dict[str, Any] = json.loads(message["Body"])
                if body.get("orderId") == order_id:
                    return body
        raise AssertionError(f"no packing request for [{order_id}] reached the warehouse queue")

    return receive
