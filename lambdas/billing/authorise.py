"""Ask for a payment authorisation and leave the task token where the webhook will find it.

Runs as the callback step (``.waitForTaskToken``): whatever this returns is ignored, the step waits
until the webhook (or this function, for an immediate decline) answers the token. Safe to run
again: each invoice has at most one authorisation attempt in flight, owned by one execution.

- a new attempt starts when the invoice is PENDING, PAYMENT_FAILED or AUTHORISATION_TIMED_OUT;
- the execution that owns the current attempt continues it (a retried step reuses the attempt);
- another execution that is still running owns it: ``PaymentAlreadyInProgress``;
- the owner stopped without finishing (aborted, failed): its attempt is voided and superseded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from billing.authorisations import (
    AuthorisationRecord,
    AuthorisationStatus,
    AuthorisationStore,
    Decision,
    DeliveryResult,
    decide_and_deliver,
    deliver_recorded,
)
from billing.contract import InvoiceStatus
from billing.errors import InvoiceNotPayable, PaymentAlreadyInProgress
from billing.invoices import (
    PAYABLE_STATUSES,
    InvoiceRecord,
    InvoiceStore,
    authorisation_id_for,
)
from billing.providers import AuthorisationDeclined, AuthorisationRequest, PaymentProvider


@dataclass(frozen=True)
class AuthorisationCommand:
    """The callback step's payload, without the task token."""

    invoice_id: str
    execution_id: str
    payment_method_id: str

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> AuthorisationCommand:
        missing = [key for key in ("invoiceId", "executionId", "paymentMethodId") if not event.get(key)]
        if missing:
            raise ValueError(f"the callback step's payload lacks {missing}")
        return cls(
            invoice_id=str(event["invoiceId"]),
            execution_id=str(event["executionId"]),
            payment_method_id=str(event["paymentMethodId"]),
        )


@dataclass(frozen=True)
class AuthorisationStarted:
    """What the request did: which authorisation the step waits for, and any decision already handed over."""

    authorisation_id: str
    superseded_authorisation_id: str | None = None
    delivery: DeliveryResult | None = None


def execution_is_running(states_client: Any, execution_arn: str) -> bool:
    """Whether the execution that owns an attempt still runs (and so may still be answered)."""
    try:
        status = states_client.describe_execution(executionArn=execution_arn)["status"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
            return False
        raise
    return bool(status == "RUNNING")


def _supersede(
    record: AuthorisationRecord | None, *, authorisations: AuthorisationStore, provider: PaymentProvider
) -> None:
    """Void an abandoned attempt at the provider and close it, so a late answer moves nothing."""
    if record is None:
        return
    if record.provider_authorisation_id:
        provider.void(record.provider_authorisation_id, idempotency_key=f"void-{record.authorisation_id}")
    authorisations.close(record.authorisation_id, AuthorisationStatus.SUPERSEDED)


def _attempt_for(
    command: AuthorisationCommand,
    invoice: InvoiceRecord,
    *,
    invoices: InvoiceStore,
    authorisations: AuthorisationStore,
    provider: PaymentProvider,
    states_client: Any,
    now: datetime,
) -> tuple[str, str | None]:
    """(the authorisation id this execution waits for, the id of an attempt it superseded)."""
    superseded = None
    if invoice.status == InvoiceStatus.AWAITING_AUTHORISATION and invoice.authorisation_id:
        if invoice.execution_id == command.execution_id:
            return invoice.authorisation_id, None
        if invoice.execution_id and execution_is_running(states_client, invoice.execution_id):
            raise PaymentAlreadyInProgress(
                f"invoice [{invoice.invoice_id}] is waiting for authorisation [{invoice.authorisation_id}] "
                f"in execution [{invoice.execution_id}], which is still running"
            )
        superseded = invoice.authorisation_id
        _supersede(authorisations.get(superseded), authorisations=authorisations, provider=provider)
    elif invoice.status not in PAYABLE_STATUSES:
        raise InvoiceNotPayable(
            f"invoice [{invoice.invoice_id}] is {invoice.status}; there is nothing to authorise"
        )
    authorisation_id = authorisation_id_for(invoice.invoice_id, invoice.authorisation_attempt + 1)
    invoices.start_attempt(
        invoice, authorisation_id=authorisation_id, execution_id=command.execution_id, now=now
    )
    return authorisation_id, superseded


def request_authorisation(
    command: AuthorisationCommand,
    *,
    task_token: str,
    invoices: InvoiceStore,
    authorisations: AuthorisationStore,
    provider: PaymentProvider,
    states_client: Any,
    now: datetime,
    timeout_seconds: int,
) -> AuthorisationStarted:
    """Start (or continue) this execution's authorisation attempt and ask the provider.

    The token is stored before the provider is called, so an answer can never arrive for a token
    nobody knows about.
    """
    invoice = invoices.get(command.invoice_id)
    if invoice is None:
        raise InvoiceNotPayable(f"invoice [{command.invoice_id}] does not exist")
    authorisation_id, superseded = _attempt_for(
        command,
        invoice,
        invoices=invoices,
        authorisations=authorisations,
        provider=provider,
        states_client=states_client,
        now=now,
    )
    requested_at = int(now.timestamp())
    record = authorisations.open(
        authorisation_id=authorisation_id,
        invoice_id=invoice.invoice_id,
        execution_id=command.execution_id,
        customer_id=invoice.customer_id,
        amount_cents=invoice.total_cents,
        currency=invoice.currency,
        payment_method_id=command.payment_method_id,
        task_token=task_token,
        requested_at=requested_at,
        expires_at=requested_at + timeout_seconds,
    )
    if record.status in (AuthorisationStatus.DECIDED, AuthorisationStatus.DELIVERED):
        # The answer came while an earlier try of this step was waiting: hand it to this one.
        return AuthorisationStarted(
            authorisation_id, superseded, deliver_recorded(authorisations, states_client, record)
        )
    if record.provider_authorisation_id:
        return AuthorisationStarted(authorisation_id, superseded)
    answer = provider.request_authorisation(
        AuthorisationRequest(
            authorisation_id=authorisation_id,
            invoice_id=invoice.invoice_id,
            customer_id=invoice.customer_id,
            amount_cents=invoice.total_cents,
            currency=invoice.currency,
            payment_method_id=command.payment_method_id,
            expires_at=requested_at + timeout_seconds,
        )
    )
    if isinstance(answer, AuthorisationDeclined):
        decision = Decision(
            outcome="declined",
            provider_event_id=f"immediate-decline-{authorisation_id}",
            decline_code=answer.decline_code,
            decline_message=answer.message,
        )
        return AuthorisationStarted(
            authorisation_id,
            superseded,
            decide_and_deliver(authorisations, states_client, authorisation_id, decision),
        )
    authorisations.set_provider_reference(
        authorisation_id, answer.provider_authorisation_id, answer.provider_data
    )
    return AuthorisationStarted(authorisation_id, superseded)
