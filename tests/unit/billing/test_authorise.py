"""Requesting authorisation: the token is stored first, one attempt per invoice, retries reuse it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from billing.authorisations import AuthorisationStatus, Decision, decide_and_deliver
from billing.authorise import AuthorisationCommand, request_authorisation
from billing.contract import InvoiceStatus
from billing.errors import InvoiceNotPayable, PaymentAlreadyInProgress
from billing.invoice import calculate_invoice
from billing.providers.sandbox import SandboxPaymentProvider
from billing.request import parse_request
from workflow_runtime.errors import TransientError

from tests.unit.billing.fakes import billing_input

NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:billing:run-1"
OTHER_EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:billing:run-2"
DAY = 24 * 60 * 60


@pytest.fixture
def invoice(tables):
    """A stored PENDING invoice of 86.50 EUR."""
    invoice = calculate_invoice(parse_request(billing_input()))
    tables.invoice_store.create_or_continue(invoice, now=NOW)
    return invoice


def _request(tables, provider, states, invoice, *, execution=EXECUTION, token="token-1", card="pm_card_visa"):
    return request_authorisation(
        AuthorisationCommand(invoice_id=invoice.invoice_id, execution_id=execution, payment_method_id=card),
        task_token=token,
        invoices=tables.invoice_store,
        authorisations=tables.authorisation_store,
        provider=provider,
        states_client=states,
        now=NOW,
        timeout_seconds=DAY,
    )


def test_first_request_stores_the_token_then_asks_the_provider(tables, provider, states, invoice):
    # WHEN the callback step runs for a PENDING invoice
    started = _request(tables, provider, states, invoice)

    # THEN attempt 1 waits, the token is stored against it, and the provider was asked once
    assert started.authorisation_id == f"{invoice.invoice_id}-a1"
    stored = tables.invoice_store.get(invoice.invoice_id)
    assert (stored.status, stored.authorisation_attempt, stored.execution_id) == (
        InvoiceStatus.AWAITING_AUTHORISATION,
        1,
        EXECUTION,
    )
    record = tables.authorisation_store.get(started.authorisation_id)
    assert (record.status, record.task_token, record.provider_authorisation_id) == (
        AuthorisationStatus.REQUESTED,
        "token-1",
        "prov_auth_1",
    )
    (asked,) = provider.requests
    assert (asked.authorisation_id, asked.amount_cents, asked.currency, asked.payment_method_id) == (
        started.authorisation_id,
        8650,
        "EUR",
        "pm_card_visa",
    )
    assert asked.expires_at == int(NOW.timestamp()) + DAY
    assert states.calls == []


def test_a_retried_step_reuses_its_attempt_with_the_new_token(tables, provider, states, invoice):
    # GIVEN the step ran once
    first = _request(tables, provider, states, invoice, token="token-1")

    # WHEN Step Functions retries it (a new token for the new try)
    again = _request(tables, provider, states, invoice, token="token-2")

    # THEN it is the same attempt, the newest token waits, and the provider was not asked twice
    assert again.authorisation_id == first.authorisation_id
    assert tables.authorisation_store.get(first.authorisation_id).task_token == "token-2"
    assert len(provider.requests) == 1


def test_another_running_execution_cannot_take_a_waiting_invoice(tables, provider, states, invoice):
    _request(tables, provider, states, invoice)
    states.execution_status[EXECUTION] = "RUNNING"

    with pytest.raises(PaymentAlreadyInProgress, match=r"still running"):
        _request(tables, provider, states, invoice, execution=OTHER_EXECUTION)

    assert len(provider.requests) == 1


@pytest.mark.parametrize("holder_status", ["ABORTED", "FAILED", None], ids=["aborted", "failed", "gone"])
def test_an_abandoned_attempt_is_voided_and_superseded(tables, provider, states, invoice, holder_status):
    # GIVEN an attempt whose execution stopped without an answer
    first = _request(tables, provider, states, invoice)
    if holder_status:
        states.execution_status[EXECUTION] = holder_status

    # WHEN a new run asks
    second = _request(tables, provider, states, invoice, execution=OTHER_EXECUTION, token="token-9")

    # THEN the old authorisation is voided and closed, and attempt 2 waits for the new run
    assert second.authorisation_id == f"{invoice.invoice_id}-a2"
    assert second.superseded_authorisation_id == first.authorisation_id
    assert provider.voids == [("prov_auth_1", f"void-{first.authorisation_id}")]
    assert tables.authorisation_store.get(first.authorisation_id).status == AuthorisationStatus.SUPERSEDED
    assert tables.authorisation_store.get(first.authorisation_id).task_token is None
    assert tables.invoice_store.get(invoice.invoice_id).execution_id == OTHER_EXECUTION


@pytest.mark.parametrize("previous", [InvoiceStatus.PAYMENT_FAILED, InvoiceStatus.AUTHORISATION_TIMED_OUT])
def test_a_failed_or_timed_out_invoice_is_asked_again(tables, provider, states, invoice, previous):
    _request(tables, provider, states, invoice)
    tables.invoices.update_item(
        Key={"invoiceId": invoice.invoice_id},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": str(previous)},
    )

    again = _request(tables, provider, states, invoice, execution=OTHER_EXECUTION)

    assert again.authorisation_id == f"{invoice.invoice_id}-a2"
    assert len(provider.requests) == 2


@pytest.mark.parametrize("settled", [InvoiceStatus.AUTHORISED, InvoiceStatus.PAID])
def test_a_settled_invoice_is_never_authorised_again(tables, provider, states, invoice, settled):
    tables.invoices.update_item(
        Key={"invoiceId": invoice.invoice_id},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": str(settled)},
    )

    with pytest.raises(InvoiceNotPayable, match=rf"is {settled}"):
        _request(tables, provider, states, invoice)
    assert provider.requests == []


def test_an_immediate_decline_fails_the_step_at_once(tables, states, invoice):
    # GIVEN the sandbox, which declines an unknown payment method at once
    started = _request(tables, SandboxPaymentProvider(), states, invoice, card="pm_unknown")

    # THEN the step is failed with PaymentDeclined through its own token, like a webhook would
    ((kind, call),) = states.calls
    assert (kind, call["taskToken"], call["error"]) == ("failure", "token-1", "PaymentDeclined")
    assert json.loads(call["cause"])["code"] == "payment_method_unknown"
    assert started.delivery.first_delivery
    assert tables.authorisation_store.get(started.authorisation_id).status == AuthorisationStatus.DELIVERED


def test_an_answer_that_raced_a_retry_is_handed_to_the_new_try(tables, provider, states, invoice):
    # GIVEN the provider answered while the step's first try had already lost its token
    first = _request(tables, provider, states, invoice, token="token-1")
    states.fail_with = "InvalidToken"
    decided = decide_and_deliver(
        tables.authorisation_store,
        states,
        first.authorisation_id,
        Decision(outcome="authorised", provider_event_id="evt_1", provider_authorisation_id="prov_auth_1"),
    )
    assert decided.status == "not-waiting"
    states.fail_with = None

    # WHEN the step's next try runs
    again = _request(tables, provider, states, invoice, token="token-2")

    # THEN it receives the recorded answer straight away
    ((kind, call),) = states.calls
    assert (kind, call["taskToken"]) == ("success", "token-2")
    assert again.delivery.status == "delivered"
    assert tables.authorisation_store.get(first.authorisation_id).task_token is None


def test_a_concurrent_attempt_makes_the_step_retry(tables, provider, states, invoice):
    # GIVEN another run started an attempt after this one read the invoice
    stale = tables.invoice_store.get(invoice.invoice_id)
    _request(tables, provider, states, invoice, execution=OTHER_EXECUTION)

    # WHEN this one tries to start its attempt from what it read
    with pytest.raises(TransientError, match="changed while starting"):
        tables.invoice_store.start_attempt(stale, authorisation_id="x", execution_id=EXECUTION, now=NOW)


def test_the_sandbox_keeps_its_decision_with_the_authorisation(tables, states, invoice):
    started = _request(
        tables, SandboxPaymentProvider(), states, invoice, card="pm_card_chargeDeclinedInsufficientFunds"
    )

    record = tables.authorisation_store.get(started.authorisation_id)
    assert record.provider_authorisation_id.startswith("sbx_auth_")
    assert dict(record.provider_data) == {
        "sandboxOutcome": "declined",
        "sandboxDeclineCode": "insufficient_funds",
        "sandboxDeclineMessage": "Your card has insufficient funds.",
    }
    assert states.calls == []  # a known card is answered later, through the webhook


def test_payload_without_the_invoice_is_refused():
    with pytest.raises(ValueError, match=r"lacks \['invoiceId'\]"):
        AuthorisationCommand.from_event({"executionId": "e", "paymentMethodId": "pm", "taskToken": "t"})
