"""Lambda entry points of the order fulfilment workflow: the runtime's decorators and one call each.

Environment (set by the stack): ``ORDERS_TABLE`` (the orders) and ``IDEMPOTENCY_TABLE`` (the
runtime's idempotency records).
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3
from workflow_runtime import handler, idempotent_handler, logger

import orders

# One answer per order and request: a retried step (the Lambda timed out after writing, say) returns
# the first answer instead of writing again.
ACCEPT_IDEMPOTENCY_KEY = "[orderId, correlationId]"


@functools.cache
def _dynamodb() -> Any:
    return boto3.client("dynamodb")


@handler(log_keys=lambda event: {"order_id": event.get("orderId")})
def accept_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Step "Accept the order": the order as recorded, or ``OrderRequestInvalid`` / ``OrderAlreadyPlaced``.

    The request is checked before anything is written or remembered: bad input fails with the named
    error, and leaves neither an order nor an idempotency record behind.
    """
    order = orders.parse_order(event)
    recorded: dict[str, Any] = _record_once(order.as_event(), context)
    return recorded


@idempotent_handler(event_key_jmespath=ACCEPT_IDEMPOTENCY_KEY)
def _record_once(event: dict[str, Any], context: Any) -> dict[str, Any]:
    recorded = orders.record_order(
        orders.parse_order(event), dynamodb=_dynamodb(), table_name=os.environ["ORDERS_TABLE"]
    )
    logger.info("Order accepted", extra={"lines": len(recorded["lines"])})
    return recorded
