"""Validating the onboarding request: every problem reported at once, a stable customer id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from onboarding.request import OnboardingRequestInvalid, derive_customer_id, validate_request
from workflow_runtime.errors import RequestInvalidError

from business_workflows.onboarding import DEFAULT_PLANS

PLANS = ("starter", "team")


def _request(**overrides):
    customer = overrides.pop("customer", {})
    if isinstance(customer, dict):
        customer = {"name": "Ada Lovelace", "email": "ada@example.com", "plan": "team", **customer}
    return {"correlationId": "req-1", "customer": customer, "requestedBy": "signup-portal", **overrides}


def _problems(event) -> list[str]:
    with pytest.raises(OnboardingRequestInvalid) as raised:
        validate_request(event, plans=PLANS)
    return raised.value.problems


def test_a_valid_request_is_normalised_and_gets_a_derived_customer_id():
    # GIVEN a request with spaces and capitals in the email, no customer id, and an extra key
    event = _request(customer={"name": "  Ada Lovelace ", "email": " Ada@Example.COM "}, extraKey=1)

    # WHEN it is validated
    state = validate_request(event, plans=PLANS).to_state()

    # THEN the workflow gets a normalised request with the id derived from the email
    assert state == {
        "correlationId": "req-1",
        "customer": {
            "id": derive_customer_id("ada@example.com"),
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "plan": "team",
        },
        "requestedBy": "signup-portal",
    }


def test_a_given_customer_id_is_kept():
    state = validate_request(_request(customer={"id": "acme-ltd"}), plans=PLANS).to_state()
    assert state["customer"]["id"] == "acme-ltd"


def test_the_derived_id_is_the_same_for_every_spelling_of_the_address():
    assert derive_customer_id("ADA@example.com ") == derive_customer_id("ada@example.com")
    assert derive_customer_id("ada@example.com") != derive_customer_id("bob@example.com")
    assert derive_customer_id("ada@example.com").startswith("cus-")
    assert len(derive_customer_id("ada@example.com")) == 24


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        (_request(correlationId=None), "correlationId: must be a string"),
        (_request(correlationId=""), "correlationId: must not be empty"),
        (_request(correlationId="   "), "correlationId: must not be empty"),
        (_request(correlationId="x" * 129), "correlationId: must be at most 128 characters"),
        (_request(customer={"name": ""}), "customer.name: must not be empty"),
        (_request(customer={"name": "x" * 201}), "customer.name: must be at most 200 characters"),
        (_request(customer={"name": 7}), "customer.name: must be a string"),
        (
            _request(customer={"email": "ada.example.com"}),
            "customer.email: must be an email address like name@example.com",
        ),
        (
            _request(customer={"email": "ada@localhost"}),
            "customer.email: must be an email address like name@example.com",
        ),
        (
            _request(customer={"email": "a" * 250 + "@x.io"}),
            "customer.email: must be at most 254 characters",
        ),
        (_request(customer={"plan": "gold"}), "customer.plan: must be one of ['starter', 'team']"),
        (
            _request(customer={"id": "Acme Ltd"}),
            "customer.id: must be 3-40 lowercase letters, digits or '-', starting and ending with a "
            "letter or digit",
        ),
        (
            _request(customer={"id": "-acme"}),
            "customer.id: must be 3-40 lowercase letters, digits or '-', starting and ending with a "
            "letter or digit",
        ),
        (_request(customer="Ada"), "customer: must be an object"),
        (_request(requestedBy=""), "requestedBy: must not be empty"),
        (_request(requestedBy=["portal"]), "requestedBy: must be a string"),
        ("not an object", "request: must be an object"),
    ],
)
def test_each_invalid_field_is_named_with_what_is_wrong(event, problem):
    assert _problems(event) == [problem]


@pytest.mark.parametrize("missing", ["correlationId", "customer", "requestedBy"])
def test_each_missing_top_level_field_is_named(missing):
    event = _request()
    del event[missing]
    assert _problems(event) == [f"{missing}: is required"]


@pytest.mark.parametrize("missing", ["name", "email", "plan"])
def test_each_missing_customer_field_is_named(missing):
    event = _request()
    del event["customer"][missing]
    assert _problems(event) == [f"customer.{missing}: is required"]


def test_every_problem_is_reported_at_once_in_field_order():
    # GIVEN a request wrong in five places
    event = {"correlationId": "", "customer": {"email": "nope", "plan": "gold"}, "requestedBy": 3}

    # WHEN it is validated
    with pytest.raises(OnboardingRequestInvalid) as raised:
        validate_request(event, plans=PLANS)

    # THEN one error lists them all, and its class name is the workflow's error name
    assert raised.value.problems == [
        "correlationId: must not be empty",
        "customer.name: is required",
        "customer.email: must be an email address like name@example.com",
        "customer.plan: must be one of ['starter', 'team']",
        "requestedBy: must be a string",
    ]
    assert str(raised.value) == "; ".join(raised.value.problems)
    assert isinstance(raised.value, RequestInvalidError)
    assert type(raised.value).__name__ == "OnboardingRequestInvalid"


SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "customer-onboarding"


def test_the_happy_path_sample_is_a_valid_request():
    request = validate_request(json.loads((SAMPLES / "happy-path.json").read_text()), plans=DEFAULT_PLANS)
    assert request.customer_id == derive_customer_id("ada@example.com")


def test_the_invalid_sample_fails_with_the_problems_its_readme_promises():
    event = json.loads((SAMPLES / "invalid-request.json").read_text())
    with pytest.raises(OnboardingRequestInvalid) as raised:
        validate_request(event, plans=DEFAULT_PLANS)
    assert [problem.split(":")[0] for problem in raised.value.problems] == [
        "customer.name",
        "customer.email",
        "customer.plan",
        "requestedBy",
    ]
