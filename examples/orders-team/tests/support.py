"""What the orders team's tests share: the names of the workflow's parts and a valid request."""

from __future__ import annotations

import uuid
from typing import Any

STACK = "OrderFulfilment"
WORKFLOW = "order-fulfilment"
ACCEPT = "Accept the order"
ASK_WAREHOUSE = "Ask the warehouse to pack the order"
RECORD_PACKED = "Record the order as packed"


def order_request(**overrides: Any) -> dict[str, Any]:
    """A valid order request with fresh ids, changed by ``overrides``."""
    suffix = uuid.uuid4().hex[:12]
    return {
        "correlationId": f"c-{suffix}",
        "orderId": f"o-{suffix}",
        "customerId": "k-1",
        "lines": [{"sku": "TEA-1", "quantity": 2}, {"sku": "MUG-7", "quantity": 1}],
        **overrides,
    }
