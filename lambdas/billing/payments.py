"""Capture an authorised payment (once per invoice) and void an authorisation nobody waits for.

Capture is idempotent twice over: Powertools idempotency (a DynamoDB record keyed by the invoice
id) returns the first capture's result to any repeat within ``CAPTURE_IDEMPOTENCY_SECONDS``, and the
provider receives the invoice id as its idempotency key, so even a capture that crashed before its
result was saved is not taken twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

from billing.authorisations import AuthorisationStatus, AuthorisationStore
from billing.contract import InvoiceStatus
from billing.errors import InvoiceNotPayable
from billing.invoices import InvoiceStore
from billing.providers import Capture, CaptureRequest, PaymentProvider

CAPTURE_IDEMPOTENCY_SECONDS = 7 * 24 * 60 * 60  # a week: longer than any execution retries a capture


def capture_payment(invoice_id: str, *, invoices: InvoiceStore, provider: PaymentProvider) -> Capture:
    """Capture the invoice's authorised amount; an invoice already PAID returns its capture unchanged."""
    invoice = invoices.get(invoice_id)
    if invoice is None:
        raise InvoiceNotPayable(f"invoice [{invoice_id}] does not exist")
    if invoice.status == InvoiceStatus.PAID and invoice.capture_id:
        return Capture(
            capture_id=invoice.capture_id, amount_cents=invoice.total_cents, currency=invoice.currency
        )
    if invoice.status != InvoiceStatus.AUTHORISED or not invoice.provider_authorisation_id:
        raise InvoiceNotPayable(
            f"invoice [{invoice_id}] is {invoice.status}, not AUTHORISED; nothing to capture"
        )
    return provider.capture(
        CaptureRequest(
            provider_authorisation_id=invoice.provider_authorisation_id,
            amount_cents=invoice.total_cents,
            currency=invoice.currency,
            idempotency_key=invoice_id,
        )
    )


def capture_once(
    *,
    invoices: InvoiceStore,
    provider: PaymentProvider,
    persistence_store: BasePersistenceLayer,
    lambda_context: Any = None,
    on_captured: Callable[[Capture], None] = lambda capture: None,
) -> Callable[[str], dict[str, Any]]:
    """A capture function guarded by Powertools idempotency on the invoice id.

    ``on_captured`` runs only when the capture really ran (not for a repeat answered from the
    idempotency record): count metrics there.
    """
    config = IdempotencyConfig(
        event_key_jmespath="invoiceId",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=CAPTURE_IDEMPOTENCY_SECONDS,
    )
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)

    # Powertools leaves the decorator untyped.
    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="command", persistence_store=persistence_store, config=config
    )
    def capture(command: dict[str, Any]) -> dict[str, Any]:
        captured = capture_payment(command["invoiceId"], invoices=invoices, provider=provider)
        on_captured(captured)
        return {
            "captureId": captured.capture_id,
            "amountCents": captured.amount_cents,
            "currency": captured.currency,
        }

    return lambda invoice_id: capture(command={"invoiceId": invoice_id})


@dataclass(frozen=True)
class VoidResult:
    """What voiding did: ``voided`` is False when this execution no longer owned the attempt."""

    authorisation_id: str | None
    voided: bool
    first_time: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"authorisationId": self.authorisation_id, "voided": self.voided}


def void_authorisation(
    invoice_id: str,
    execution_id: str,
    *,
    invoices: InvoiceStore,
    authorisations: AuthorisationStore,
    provider: PaymentProvider,
) -> VoidResult:
    """Void the authorisation this execution waited for when the wait timed out.

    Voids at the provider even when an answer raced the timeout: the execution has moved on, so a
    hold on the customer's card would only be released when it expires. An attempt another
    execution took over is left alone.
    """
    invoice = invoices.get(invoice_id)
    if invoice is None or not invoice.authorisation_id or invoice.execution_id != execution_id:
        return VoidResult(authorisation_id=None, voided=False)
    record = authorisations.get(invoice.authorisation_id)
    if record is None:  # the request never got as far as storing it: nothing was asked of the provider
        return VoidResult(authorisation_id=invoice.authorisation_id, voided=False)
    if record.provider_authorisation_id:
        provider.void(record.provider_authorisation_id, idempotency_key=f"void-{record.authorisation_id}")
    first = authorisations.close(record.authorisation_id, AuthorisationStatus.TIMED_OUT)
    return VoidResult(authorisation_id=record.authorisation_id, voided=True, first_time=first)
