"""The invoice: what a billing request comes to, in integer minor units, under a deterministic id.

The id depends only on the customer and the billing period, so every run for the same customer and
month finds the same invoice (and the conditional write in :mod:`billing.invoices` keeps it single).
The content hash covers what is charged (currency and lines), so a re-run can tell "the same invoice
again" from "a different invoice for a month that already has one".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from billing.currencies import format_amount
from billing.request import BillingRequest, LineItem

INVOICE_ID_PREFIX = "inv"


def invoice_id(customer_id: str, billing_period: str) -> str:
    """The one invoice id of a customer's billing period: ``inv-<period>-<20 hex>``.

    The customer id is hashed, not embedded, so the id has a fixed shape whatever the customer id.

    >>> invoice_id("cus_123", "2026-01")
    'inv-2026-01-d4ff6b536b25a28b3dda'
    """
    # A unit separator between the fields: ("a-1", "2") and ("a", "1-2") must not collide.
    digest = hashlib.sha256(f"{customer_id}\x1f{billing_period}".encode()).hexdigest()
    return f"{INVOICE_ID_PREFIX}-{billing_period}-{digest[:20]}"


def line_amount(item: LineItem) -> int:
    """What one line comes to, in minor units: quantity times unit price, exactly."""
    return item.quantity * item.unit_price_cents


@dataclass(frozen=True)
class Invoice:
    """An invoice as calculated from a request; ``total_cents`` is the sum of the line amounts."""

    invoice_id: str
    customer_id: str
    billing_period: str
    currency: str
    line_items: tuple[LineItem, ...]
    total_cents: int
    content_hash: str

    def to_json(self) -> dict[str, Any]:
        """The invoice as the workflow carries it, with a ``receipt`` block ready for the email template."""
        return {
            "invoiceId": self.invoice_id,
            "customerId": self.customer_id,
            "billingPeriod": self.billing_period,
            "currency": self.currency,
            "lines": [
                {
                    "description": item.description,
                    "quantity": item.quantity,
                    "unitPriceCents": item.unit_price_cents,
                    "amountCents": line_amount(item),
                }
                for item in self.line_items
            ],
            "totalCents": self.total_cents,
            "contentHash": self.content_hash,
            "receipt": {
                "invoiceId": self.invoice_id,
                "billingPeriod": self.billing_period,
                "total": format_amount(self.total_cents, self.currency),
                # Display strings only: what the email template shows, formatted once, here.
                "lines": [
                    {
                        "description": item.description,
                        "quantity": str(item.quantity),
                        "unitPrice": format_amount(item.unit_price_cents, self.currency),
                        "amount": format_amount(line_amount(item), self.currency),
                    }
                    for item in self.line_items
                ],
            },
        }


def content_hash(currency: str, line_items: tuple[LineItem, ...]) -> str:
    """A stable hash of what is charged: currency and lines, in order."""
    canonical = json.dumps(
        {
            "currency": currency,
            "lines": [[i.description, i.quantity, i.unit_price_cents] for i in line_items],
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def calculate_invoice(request: BillingRequest) -> Invoice:
    """Price ``request``: every amount an integer number of minor units, no rounding anywhere."""
    return Invoice(
        invoice_id=invoice_id(request.customer_id, request.billing_period),
        customer_id=request.customer_id,
        billing_period=request.billing_period,
        currency=request.currency,
        line_items=request.line_items,
        total_cents=sum(line_amount(item) for item in request.line_items),
        content_hash=content_hash(request.currency, request.line_items),
    )
