"""The orders team's order logic: what a valid order is, and recording it once. Plain Python.

The handler module (``handler.py``) is the thin Lambda entry point; this module takes its DynamoDB
client as an argument, so it runs the same in Lambda, on the local cloud and in a unit test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from workflow_runtime import RequestInvalidError, transient_aws_errors

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
"""Order, customer and correlation ids: 1-64 letters, digits, '_' or '-', not starting with a sign."""
SKU_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
MAX_LINES = 50
MAX_QUANTITY = 100
REQUEST_FIELDS = frozenset({"correlationId", "orderId", "customerId", "lines"})
ACCEPTED = "ACCEPTED"


class OrderRequestInvalid(RequestInvalidError):  # noqa: N818  (the Step Functions error name)
    """The order request is malformed; the message lists every problem. Not retried."""


class OrderAlreadyPlaced(Exception):  # noqa: N818  (the Step Functions error name)
    """Another request (another correlation id) already placed an order with this id. Not retried."""


@dataclass(frozen=True)
class OrderLine:
    """One product of an order and how many of it."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class Order:
    """A valid order request."""

    correlation_id: str
    order_id: str
    customer_id: str
    lines: tuple[OrderLine, ...]

    def as_event(self) -> dict[str, Any]:
        """The order as the workflow's payload carries it (the request's own field names)."""
        return {
            "correlationId": self.correlation_id,
            "orderId": self.order_id,
            "customerId": self.customer_id,
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in self.lines],
        }


def _id_problem(request: dict[str, Any], field: str) -> str | None:
    value = request.get(field)
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        return f"{field} must be 1-64 letters, digits, '_' or '-'. Received: [{_shown(value)}]"
    return None


def _line_problems(index: int, line: Any) -> list[str]:
    if not isinstance(line, dict) or set(line) != {"sku", "quantity"}:
        return [f"lines[{index}] must be an object with exactly sku and quantity"]
    problems = []
    sku, quantity = line["sku"], line["quantity"]
    if not isinstance(sku, str) or not SKU_PATTERN.fullmatch(sku):
        problems.append(f"lines[{index}].sku must be 1-32 capitals, digits or '-'. Received: [{_shown(sku)}]")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        problems.append(f"lines[{index}].quantity must be a whole number from 1 to {MAX_QUANTITY}")
    return problems


def _shown(value: Any) -> str:
    """The offending value for an error message, cut short (a request may be anything)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def parse_order(request: Any) -> Order:
    """The order in ``request``, or ``OrderRequestInvalid`` listing every problem.

    >>> parse_order({"correlationId": "c-1", "orderId": "o-1", "customerId": "k-1",
    ...              "lines": [{"sku": "TEA-1", "quantity": 2}]}).order_id
    'o-1'
    """
    if not isinstance(request, dict):
        raise OrderRequestInvalid(
            [f"the request must be a JSON object. Received: [{type(request).__name__}]"]
        )
    problems = [f"unknown field [{name}]" for name in sorted(set(request) - REQUEST_FIELDS)]
    problems += [
        p for p in (_id_problem(request, f) for f in ("correlationId", "orderId", "customerId")) if p
    ]
    lines = request.get("lines")
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES:
        problems.append(f"lines must be a list of 1 to {MAX_LINES} order lines")
        lines = []
    else:
        for index, line in enumerate(lines):
            problems += _line_problems(index, line)
        skus = [line.get("sku") for line in lines if isinstance(line, dict)]
        if len(set(map(str, skus))) != len(skus):
            problems.append("lines must name each sku once")
    if problems:
        raise OrderRequestInvalid(problems)
    return Order(
        correlation_id=request["correlationId"],
        order_id=request["orderId"],
        customer_id=request["customerId"],
        lines=tuple(OrderLine(sku=line["sku"], quantity=line["quantity"]) for line in lines),
    )


def record_order(order: Order, *, dynamodb: Any, table_name: str) -> dict[str, Any]:
    """Write ``order`` as ``ACCEPTED``: once per order id, again only by the same request.

    The condition lets a retry of the same request (same correlation id) write again, so a step that
    failed after its write still succeeds on retry; another request for the same order id fails
    ``OrderAlreadyPlaced``. Throttling and other transient DynamoDB errors become ``TransientError``.
    """
    item = {
        "orderId": {"S": order.order_id},
        "customerId": {"S": order.customer_id},
        "correlationId": {"S": order.correlation_id},
        "status": {"S": ACCEPTED},
        "lines": {
            "L": [
                {"M": {"sku": {"S": line.sku}, "quantity": {"N": str(line.quantity)}}} for line in order.lines
            ]
        },
    }
    try:
        with transient_aws_errors("record the order"):
            dynamodb.put_item(
                TableName=table_name,
                Item=item,
                ConditionExpression="attribute_not_exists(orderId) OR correlationId = :correlationId",
                ExpressionAttributeValues={":correlationId": {"S": order.correlation_id}},
            )
    except dynamodb.exceptions.ConditionalCheckFailedException as error:
        raise OrderAlreadyPlaced(f"order [{order.order_id}] was placed by another request") from error
    return {**order.as_event(), "status": ACCEPTED}
