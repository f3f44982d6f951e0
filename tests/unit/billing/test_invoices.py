"""The invoice record: one per customer and period; a re-run continues it, never changes it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from billing.contract import InvoiceStatus
from billing.errors import InvoiceConflict
from billing.invoice import calculate_invoice
from billing.request import parse_request

from tests.unit.billing.fakes import billing_input

NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def _invoice(**overrides):
    return calculate_invoice(parse_request(billing_input(**overrides)))


def test_first_run_creates_the_invoice_as_pending(tables):
    stored = tables.invoice_store.create_or_continue(_invoice(), now=NOW)

    assert (stored.created, stored.status) == (True, InvoiceStatus.PENDING)
    item = tables.invoices.get_item(Key={"invoiceId": stored.invoice_id})["Item"]
    assert (item["totalCents"], item["currency"], item["status"], item["authorisationAttempt"]) == (
        8650,
        "EUR",
        "PENDING",
        0,
    )
    assert [line["amountCents"] for line in item["lines"]] == [4900, 3750]


def test_a_rerun_continues_the_same_invoice(tables):
    first = tables.invoice_store.create_or_continue(_invoice(), now=NOW)
    tables.invoices.update_item(
        Key={"invoiceId": first.invoice_id},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "PAID"},
    )

    # A new correlation id, payment method and email do not make it another invoice
    again = tables.invoice_store.create_or_continue(
        _invoice(correlationId="retry-1", paymentMethodId="pm_card_amex", customerEmail="b@example.com"),
        now=NOW,
    )

    assert (again.invoice_id, again.created, again.status) == (first.invoice_id, False, InvoiceStatus.PAID)
    assert tables.invoices.scan()["Count"] == 1


def test_a_rerun_with_other_line_items_is_a_conflict(tables):
    tables.invoice_store.create_or_continue(_invoice(), now=NOW)

    with pytest.raises(
        InvoiceConflict,
        match=r"already exists with other line items or currency .*\[8650 EUR\].*\[9999 EUR\]",
    ):
        tables.invoice_store.create_or_continue(
            _invoice(lineItems=[{"description": "Pro plan", "quantity": 1, "unitPriceCents": 9999}]), now=NOW
        )
    assert tables.invoices.scan()["Count"] == 1
