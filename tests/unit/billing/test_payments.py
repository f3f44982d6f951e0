"""Capture once per invoice (Powertools idempotency + provider idempotency key); void on timeout."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from billing.authorisations import AuthorisationStatus
from billing.authorise import AuthorisationCommand, request_authorisation
from billing.errors import InvoiceNotPayable
from billing.invoice import calculate_invoice
from billing.payments import capture_once, capture_payment, void_authorisation
from billing.request import parse_request
from workflow_runtime.errors import TransientError

from tests.unit.billing.fakes import billing_input

NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:billing:run-1"


def _set(tables, invoice_id, **attributes):
    names = {f"#{k}": k for k in attributes}
    tables.invoices.update_item(
        Key={"invoiceId": invoice_id},
        UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in attributes),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={f":{k}": v for k, v in attributes.items()},
    )


@pytest.fixture
def waiting_invoice(tables, provider, states):
    """An invoice whose execution waits for authorisation attempt 1."""
    invoice = calculate_invoice(parse_request(billing_input()))
    tables.invoice_store.create_or_continue(invoice, now=NOW)
    request_authorisation(
        AuthorisationCommand(
            invoice_id=invoice.invoice_id, execution_id=EXECUTION, payment_method_id="pm_card_visa"
        ),
        task_token="token-1",
        invoices=tables.invoice_store,
        authorisations=tables.authorisation_store,
        provider=provider,
        states_client=states,
        now=NOW,
        timeout_seconds=86_400,
    )
    return invoice


@pytest.fixture
def authorised_invoice(tables, waiting_invoice):
    """The state machine has marked it AUTHORISED with the provider's id."""
    _set(tables, waiting_invoice.invoice_id, status="AUTHORISED", providerAuthorisationId="prov_auth_1")
    return waiting_invoice


class LambdaContext:
    """What Powertools idempotency reads of the context: how long the invocation may still run."""

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _capture(tables, provider, on_captured=lambda capture: None):
    return capture_once(
        invoices=tables.invoice_store,
        provider=provider,
        persistence_store=DynamoDBPersistenceLayer(table_name="idempotency"),
        lambda_context=LambdaContext(),
        on_captured=on_captured,
    )


def test_capturing_twice_takes_the_money_once(tables, provider, authorised_invoice):
    # GIVEN an authorised invoice
    counted = []
    capture = _capture(tables, provider, counted.append)

    # WHEN the capture step runs twice (a retry after its answer was lost)
    first = capture(authorised_invoice.invoice_id)
    second = capture(authorised_invoice.invoice_id)

    # THEN the provider was asked once, with the invoice id as idempotency key, and counted once
    assert (
        first
        == second
        == {"captureId": f"cap_{authorised_invoice.invoice_id}", "amountCents": 8650, "currency": "EUR"}
    )
    assert [(c.provider_authorisation_id, c.amount_cents, c.idempotency_key) for c in provider.captures] == [
        ("prov_auth_1", 8650, authorised_invoice.invoice_id)
    ]
    assert len(counted) == 1


def test_a_transient_fault_after_the_provider_call_retries_without_a_second_charge(
    tables, provider, authorised_invoice
):
    # GIVEN a capture that fails transiently after the provider took the money
    faults = [TransientError("lost the answer")]

    def crash_once(capture):
        if faults:
            raise faults.pop()

    capture = _capture(tables, provider, crash_once)

    # WHEN the step fails and Step Functions retries it
    with pytest.raises(TransientError):
        capture(authorised_invoice.invoice_id)
    retried = capture(authorised_invoice.invoice_id)

    # THEN the retry asks the provider again under the same idempotency key, which the provider
    # deduplicates (one charge), and gets the same capture back
    assert [c.idempotency_key for c in provider.captures] == [authorised_invoice.invoice_id] * 2
    assert retried["captureId"] == f"cap_{authorised_invoice.invoice_id}"


def test_capture_of_a_paid_invoice_returns_its_capture_without_the_provider(
    tables, provider, authorised_invoice
):
    _set(tables, authorised_invoice.invoice_id, status="PAID", captureId="cap_earlier")

    captured = capture_payment(
        authorised_invoice.invoice_id, invoices=tables.invoice_store, provider=provider
    )

    assert captured.capture_id == "cap_earlier"
    assert provider.captures == []


@pytest.mark.parametrize(
    "status", ["PENDING", "AWAITING_AUTHORISATION", "PAYMENT_FAILED", "AUTHORISATION_TIMED_OUT"]
)
def test_nothing_is_captured_before_authorisation(tables, provider, waiting_invoice, status):
    _set(tables, waiting_invoice.invoice_id, status=status)

    with pytest.raises(InvoiceNotPayable, match=rf"is {status}, not AUTHORISED"):
        capture_payment(waiting_invoice.invoice_id, invoices=tables.invoice_store, provider=provider)
    assert provider.captures == []


def _void(tables, provider, invoice_id, execution=EXECUTION):
    return void_authorisation(
        invoice_id,
        execution,
        invoices=tables.invoice_store,
        authorisations=tables.authorisation_store,
        provider=provider,
    )


def test_void_releases_the_hold_and_closes_the_authorisation_once(tables, provider, waiting_invoice):
    first = _void(tables, provider, waiting_invoice.invoice_id)
    again = _void(tables, provider, waiting_invoice.invoice_id)

    authorisation_id = f"{waiting_invoice.invoice_id}-a1"
    assert (first.voided, first.first_time, again.first_time) == (True, True, False)
    assert provider.voids == [("prov_auth_1", f"void-{authorisation_id}")] * 2  # idempotent at the provider
    record = tables.authorisation_store.get(authorisation_id)
    assert (record.status, record.task_token) == (AuthorisationStatus.TIMED_OUT, None)


def test_void_leaves_an_attempt_another_execution_took_over_alone(tables, provider, waiting_invoice):
    result = _void(
        tables,
        provider,
        waiting_invoice.invoice_id,
        "arn:aws:states:eu-west-1:123456789012:execution:billing:other",
    )

    assert (result.voided, provider.voids) == (False, [])
