"""The billing request: what an execution is started with, validated in full before anything happens.

Example input::

    {"correlationId": "order-4711", "customerId": "cus_123", "billingPeriod": "2026-01",
     "currency": "EUR", "paymentMethodId": "pm_card_visa", "customerEmail": "ada@example.com",
     "lineItems": [{"description": "Pro plan", "quantity": 1, "unitPriceCents": 4900}]}

``unitPriceCents`` is in the currency's minor unit (cents of EUR, yen of JPY). Every problem is
reported at once, so a caller fixes the input in one go.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from billing.currencies import is_currency
from billing.errors import BillingRequestInvalid

MAX_ID_LENGTH = 128
MAX_DESCRIPTION_LENGTH = 500
MAX_LINE_ITEMS = 100
MAX_QUANTITY = 1_000_000
MAX_UNIT_PRICE_CENTS = 10**10  # 100 million in a two-decimal currency: above that, invoice by hand

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
# Deliberately simple: SES rejects what it cannot deliver; this catches typos and wrong fields.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class LineItem:
    """One line of the invoice: ``quantity`` times ``unit_price_cents``."""

    description: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class BillingRequest:
    """A validated billing request."""

    correlation_id: str
    customer_id: str
    billing_period: str
    currency: str
    line_items: tuple[LineItem, ...]
    payment_method_id: str
    customer_email: str

    def to_json(self) -> dict[str, Any]:
        """The request as the workflow carries it on (camelCase, like the input)."""
        return {
            "correlationId": self.correlation_id,
            "customerId": self.customer_id,
            "billingPeriod": self.billing_period,
            "currency": self.currency,
            "lineItems": [
                {"description": i.description, "quantity": i.quantity, "unitPriceCents": i.unit_price_cents}
                for i in self.line_items
            ],
            "paymentMethodId": self.payment_method_id,
            "customerEmail": self.customer_email,
        }


def _is_int(value: object) -> bool:
    # bool is an int subclass, and JSON true must not pass for a quantity of 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _identifier_problem(field: str, value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return f"{field} must be a non-empty string. Received: [{value!r}]"
    if len(value) > MAX_ID_LENGTH or not _IDENTIFIER.match(value):
        return (
            f"{field} must be 1-{MAX_ID_LENGTH} characters of letters, digits and '_.:-'. Received: [{value}]"
        )
    return None


def _line_item_problems(index: int, item: object) -> list[str]:
    where = f"lineItems[{index}]"
    if not isinstance(item, Mapping):
        return [f"{where} must be an object. Received: [{item!r}]"]
    problems = []
    description = item.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append(f"{where}.description must be a non-empty string. Received: [{description!r}]")
    elif len(description) > MAX_DESCRIPTION_LENGTH:
        problems.append(
            f"{where}.description must be at most {MAX_DESCRIPTION_LENGTH} characters. "
            f"Received: [{len(description)} characters]"
        )
    quantity = item.get("quantity")
    if not _is_int(quantity) or not 0 < quantity <= MAX_QUANTITY:  # type: ignore[operator]
        problems.append(
            f"{where}.quantity must be a whole number from 1 to {MAX_QUANTITY}. Received: [{quantity!r}]"
        )
    price = item.get("unitPriceCents")
    if not _is_int(price) or not 0 <= price <= MAX_UNIT_PRICE_CENTS:  # type: ignore[operator]
        problems.append(
            f"{where}.unitPriceCents must be a whole number of minor units from 0 to "
            f"{MAX_UNIT_PRICE_CENTS}. Received: [{price!r}]"
        )
    return problems


def request_problems(document: object) -> list[str]:
    """Every reason ``document`` is not a valid billing request; empty when it is one."""
    if not isinstance(document, Mapping):
        return [f"input must be a JSON object. Received: [{type(document).__name__}]"]
    problems = []
    correlation_id = document.get("correlationId")
    if not isinstance(correlation_id, str) or not correlation_id.strip():
        problems.append(f"correlationId must be a non-empty string. Received: [{correlation_id!r}]")
    for field in ("customerId", "paymentMethodId"):
        problem = _identifier_problem(field, document.get(field))
        if problem:
            problems.append(problem)
    period = document.get("billingPeriod")
    if not isinstance(period, str) or not _PERIOD.match(period):
        problems.append(f"billingPeriod must be a month as YYYY-MM (e.g. 2026-01). Received: [{period!r}]")
    currency = document.get("currency")
    if not is_currency(currency):
        problems.append(
            f"currency must be an upper-case ISO 4217 currency code (e.g. EUR). Received: [{currency!r}]"
        )
    email = document.get("customerEmail")
    if not isinstance(email, str) or len(email) > 254 or not _EMAIL.match(email):
        problems.append(f"customerEmail must be an email address. Received: [{email!r}]")
    items = document.get("lineItems")
    if not isinstance(items, list) or not items:
        problems.append(f"lineItems must be a non-empty list. Received: [{items!r}]")
    elif len(items) > MAX_LINE_ITEMS:
        problems.append(f"lineItems must hold at most {MAX_LINE_ITEMS} items. Received: [{len(items)} items]")
    else:
        item_problems = [p for index, item in enumerate(items) for p in _line_item_problems(index, item)]
        problems.extend(item_problems)
        if not item_problems and sum(i["quantity"] * i["unitPriceCents"] for i in items) == 0:
            problems.append("lineItems must add up to more than 0; there is nothing to charge")
    return problems


def parse_request(document: object) -> BillingRequest:
    """The validated request; raises ``BillingRequestInvalid`` listing every problem otherwise."""
    problems = request_problems(document)
    if problems:
        raise BillingRequestInvalid(problems)
    assert isinstance(document, Mapping)
    return BillingRequest(
        correlation_id=document["correlationId"],
        customer_id=document["customerId"],
        billing_period=document["billingPeriod"],
        currency=document["currency"],
        line_items=tuple(
            LineItem(
                description=item["description"].strip(),
                quantity=item["quantity"],
                unit_price_cents=item["unitPriceCents"],
            )
            for item in document["lineItems"]
        ),
        payment_method_id=document["paymentMethodId"],
        customer_email=document["customerEmail"],
    )
