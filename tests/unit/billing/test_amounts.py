"""Invoice maths: integer minor units only, exact totals, deterministic ids (with property tests)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from billing.currencies import MINOR_UNIT_DIGITS, format_amount
from billing.invoice import calculate_invoice, content_hash, invoice_id
from billing.request import MAX_QUANTITY, MAX_UNIT_PRICE_CENTS, BillingRequest, LineItem, parse_request
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.billing.fakes import billing_input

line_items = st.lists(
    st.builds(
        LineItem,
        description=st.text(min_size=1, max_size=20).filter(str.strip),
        quantity=st.integers(min_value=1, max_value=MAX_QUANTITY),
        unit_price_cents=st.integers(min_value=0, max_value=MAX_UNIT_PRICE_CENTS),
    ),
    min_size=1,
    max_size=100,
)
periods = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(2000, 2999), st.integers(1, 12))
customers = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,40}", fullmatch=True)


def _request(items: list[LineItem], currency: str = "EUR", customer: str = "cus_1", period: str = "2026-01"):
    return BillingRequest(
        correlation_id="c",
        customer_id=customer,
        billing_period=period,
        currency=currency,
        line_items=tuple(items),
        payment_method_id="pm_card_visa",
        customer_email="a@example.com",
    )


def _floats(document: Any) -> list[Any]:
    if isinstance(document, float):
        return [document]
    if isinstance(document, dict):
        return [f for value in document.values() for f in _floats(value)]
    if isinstance(document, list):
        return [f for value in document for f in _floats(value)]
    return []


def test_invoice_of_the_sample_request():
    # GIVEN one plan at 49.00 and three seats at 12.50
    request = parse_request(billing_input())

    # WHEN it is priced
    invoice = calculate_invoice(request).to_json()

    # THEN every amount is an exact integer and the receipt shows the currency's precision
    assert [line["amountCents"] for line in invoice["lines"]] == [4900, 3750]
    assert invoice["totalCents"] == 8650
    assert invoice["receipt"]["total"] == "86.50 EUR"
    assert invoice["receipt"]["lines"][1] == {
        "description": "Extra seats",
        "quantity": "3",
        "unitPrice": "12.50 EUR",
        "amount": "37.50 EUR",
    }
    assert invoice["invoiceId"] == invoice_id("cus_123", "2026-01")


@pytest.mark.parametrize(
    ("minor_units", "currency", "shown"),
    [
        (0, "EUR", "0.00 EUR"),
        (5, "EUR", "0.05 EUR"),
        (123456, "EUR", "1234.56 EUR"),
        (1500, "JPY", "1500 JPY"),
        (1, "BHD", "0.001 BHD"),
        (-250, "USD", "-2.50 USD"),
    ],
)
def test_amounts_are_shown_in_the_currency_precision(minor_units, currency, shown):
    assert format_amount(minor_units, currency) == shown


@given(items=line_items, currency=st.sampled_from(sorted(MINOR_UNIT_DIGITS)))
def test_total_is_the_exact_integer_sum_of_the_lines(items, currency):
    invoice = calculate_invoice(_request(items, currency))

    assert invoice.total_cents == sum(i.quantity * i.unit_price_cents for i in items)
    assert type(invoice.total_cents) is int
    assert _floats(invoice.to_json()) == []


@given(items=line_items, data=st.data())
def test_total_does_not_depend_on_the_order_of_the_lines(items, data):
    shuffled = data.draw(st.permutations(items))

    assert calculate_invoice(_request(shuffled)).total_cents == calculate_invoice(_request(items)).total_cents


@given(
    minor_units=st.integers(min_value=-(10**15), max_value=10**15),
    currency=st.sampled_from(sorted(MINOR_UNIT_DIGITS)),
)
def test_shown_amount_reads_back_to_the_same_minor_units(minor_units, currency):
    # GIVEN an amount shown for people
    number, code = format_amount(minor_units, currency).split(" ")

    # THEN it names the currency, has exactly its digits, and reads back without loss
    digits = MINOR_UNIT_DIGITS[currency]
    assert code == currency
    assert len(number.partition(".")[2]) == digits
    assert int(number.replace(".", "")) == minor_units


@given(customer=customers, period=periods)
def test_invoice_id_is_deterministic_and_well_formed(customer, period):
    first = invoice_id(customer, period)

    assert first == invoice_id(customer, period)
    assert re.fullmatch(rf"inv-{period}-[0-9a-f]{{20}}", first)


@given(a=st.tuples(customers, periods), b=st.tuples(customers, periods))
def test_different_customers_or_periods_get_different_invoices(a, b):
    if a != b:
        assert invoice_id(*a) != invoice_id(*b)


def test_invoice_id_fields_cannot_run_into_each_other():
    # "a-1" in period "2" must not be "a" in period "1-2": the fields are separated before hashing
    assert invoice_id("a-1", "2026-01") != invoice_id("a", "1-2026-01")


@given(items=line_items)
def test_content_hash_tells_same_invoice_from_changed_one(items):
    same = content_hash("EUR", tuple(items))
    changed_price = (
        LineItem(items[0].description, items[0].quantity, items[0].unit_price_cents + 1),
        *items[1:],
    )

    assert same == content_hash("EUR", tuple(items))
    assert same != content_hash("USD", tuple(items))
    assert same != content_hash("EUR", changed_price)
