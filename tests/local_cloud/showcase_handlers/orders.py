"""Handlers of the local cloud's own showcase workflows (test-only code, deployed as a Lambda asset).

They use Powertools like the real handlers and call DynamoDB through boto3, which proves that a
handler's AWS calls reach the local cloud that runs it.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger

logger = Logger()


class OrderInvalid(Exception):  # noqa: N818 - the class name is the Step Functions error name
    """The order cannot be processed as given."""


@logger.inject_lambda_context(correlation_id_path="correlationId")
def validate_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    items = event.get("order", {}).get("items", [])
    if not items:
        raise OrderInvalid("order has no items")
    logger.info("Order validated", extra={"item_count": len(items)})
    return {
        "valid": True,
        "itemCount": len(items),
        "memoryMb": context.memory_limit_in_mb,
        "remainingMs": context.get_remaining_time_in_millis(),
        "function": context.function_name,
    }


@logger.inject_lambda_context(correlation_id_path="correlationId")
def pack_item(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.info("Item packed", extra={"sku": event["sku"]})
    return {"sku": event["sku"], "packed": True}


@logger.inject_lambda_context(correlation_id_path="correlationId")
def request_payment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # The task token is a credential: log that one arrived, never its value.
    logger.info("Payment requested", extra={"has_task_token": "taskToken" in event})
    return {"requested": True}


@logger.inject_lambda_context(correlation_id_path="correlationId")
def book_shipment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    tracking_id = f"track-{event['orderId']}"
    table.put_item(Item={"pk": f"shipment#{event['orderId']}", "trackingId": tracking_id})
    logger.info("Shipment booked")
    return {"trackingId": tracking_id, "region": os.environ["AWS_REGION"]}
