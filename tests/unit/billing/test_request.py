"""Validation of the execution input: every problem at once, named ``BillingRequestInvalid``."""

from __future__ import annotations

import pytest
from billing.errors import BillingRequestInvalid
from billing.request import MAX_LINE_ITEMS, parse_request, request_problems

from tests.unit.billing.fakes import billing_input


def test_valid_request_is_normalised():
    request = parse_request(
        billing_input(
            lineItems=[
                {"description": "  Pro plan ", "quantity": 2, "unitPriceCents": 0},
                {"description": "Seat", "quantity": 1, "unitPriceCents": 1},
            ]
        )
    )

    assert request.line_items[0].description == "Pro plan"
    assert request.to_json()["lineItems"][0] == {
        "description": "Pro plan",
        "quantity": 2,
        "unitPriceCents": 0,
    }
    assert request.to_json()["correlationId"] == "order-4711"


def test_every_problem_is_listed_in_one_error():
    # GIVEN an input wrong in many places
    document = {
        "correlationId": "",
        "customerId": "cus 123",
        "billingPeriod": "2026-13",
        "currency": "eur",
        "paymentMethodId": None,
        "customerEmail": "ada.example.com",
        "lineItems": [
            {"description": "", "quantity": 0, "unitPriceCents": -1},
            {"description": "Seat", "quantity": True, "unitPriceCents": 12.5},
            "not an item",
        ],
    }

    # WHEN it is validated
    with pytest.raises(BillingRequestInvalid) as raised:
        parse_request(document)

    # THEN the error lists each problem, in input order, echoing what was received
    assert raised.value.problems == [
        "correlationId must be a non-empty string. Received: ['']",
        "customerId must be 1-128 characters of letters, digits and '_.:-'. Received: [cus 123]",
        "paymentMethodId must be a non-empty string. Received: [None]",
        "billingPeriod must be a month as YYYY-MM (e.g. 2026-01). Received: ['2026-13']",
        "currency must be an upper-case ISO 4217 currency code (e.g. EUR). Received: ['eur']",
        "customerEmail must be an email address. Received: ['ada.example.com']",
        "lineItems[0].description must be a non-empty string. Received: ['']",
        "lineItems[0].quantity must be a whole number from 1 to 1000000. Received: [0]",
        "lineItems[0].unitPriceCents must be a whole number of minor units from 0 to 10000000000. "
        "Received: [-1]",
        "lineItems[1].quantity must be a whole number from 1 to 1000000. Received: [True]",
        "lineItems[1].unitPriceCents must be a whole number of minor units from 0 to 10000000000. "
        "Received: [12.5]",
        "lineItems[2] must be an object. Received: ['not an item']",
    ]
    assert str(raised.value) == "; ".join(raised.value.problems)
    assert type(raised.value).__name__ == "BillingRequestInvalid"  # the execution's error name


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        (
            {"currency": "XAU"},
            "currency must be an upper-case ISO 4217 currency code (e.g. EUR). Received: ['XAU']",
        ),
        ({"lineItems": []}, "lineItems must be a non-empty list. Received: [[]]"),
        (
            {"lineItems": [{"description": "Free", "quantity": 3, "unitPriceCents": 0}]},
            "lineItems must add up to more than 0; there is nothing to charge",
        ),
        (
            {"lineItems": [{"description": "x", "quantity": 1, "unitPriceCents": 1}] * (MAX_LINE_ITEMS + 1)},
            "lineItems must hold at most 100 items. Received: [101 items]",
        ),
        (
            {"billingPeriod": "2026-1"},
            "billingPeriod must be a month as YYYY-MM (e.g. 2026-01). Received: ['2026-1']",
        ),
    ],
)
def test_single_problem(overrides, problem):
    assert request_problems(billing_input(**overrides)) == [problem]


def test_missing_fields_are_each_named():
    problems = request_problems({"correlationId": "c"})

    assert [p.split(" ")[0] for p in problems] == [
        "customerId",
        "paymentMethodId",
        "billingPeriod",
        "currency",
        "customerEmail",
        "lineItems",
    ]


def test_input_that_is_not_an_object():
    assert request_problems(["a"]) == ["input must be a JSON object. Received: [list]"]
