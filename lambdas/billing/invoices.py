"""The invoice record: one per customer and billing period, moved through its statuses by conditions.

Statuses (attribute ``status``)::

    PENDING -> AWAITING_AUTHORISATION -> AUTHORISED -> PAID
                        |
                        +-> PAYMENT_FAILED            (declined; a re-run asks again)
                        +-> AUTHORISATION_TIMED_OUT   (no answer in time; a re-run asks again)

``AWAITING_AUTHORISATION`` names the execution that waits (``executionId``) and the authorisation
it waits for (``authorisationId``, ``<invoice id>-a<attempt>``). The state machine writes
``AUTHORISED``, ``PAID``, ``PAYMENT_FAILED`` and ``AUTHORISATION_TIMED_OUT`` itself (direct DynamoDB
updates); this module creates the record and starts authorisation attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from workflow_runtime import TransientError

from billing.contract import InvoiceStatus
from billing.errors import InvoiceConflict
from billing.invoice import Invoice, line_amount

PAYABLE_STATUSES = frozenset(
    {InvoiceStatus.PENDING, InvoiceStatus.PAYMENT_FAILED, InvoiceStatus.AUTHORISATION_TIMED_OUT}
)
"""Statuses from which a new authorisation attempt may start."""


def is_conditional_check_failure(error: ClientError) -> bool:
    """Whether a DynamoDB call failed only because its condition did not hold."""
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


@dataclass(frozen=True)
class InvoiceRecord:
    """The fields of a stored invoice that the handlers read."""

    invoice_id: str
    customer_id: str
    currency: str
    total_cents: int
    content_hash: str
    status: InvoiceStatus
    authorisation_attempt: int
    authorisation_id: str | None
    execution_id: str | None
    provider_authorisation_id: str | None
    capture_id: str | None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> InvoiceRecord:
        return cls(
            invoice_id=str(item["invoiceId"]),
            customer_id=str(item["customerId"]),
            currency=str(item["currency"]),
            total_cents=int(item["totalCents"]),
            content_hash=str(item["contentHash"]),
            status=InvoiceStatus(item["status"]),
            authorisation_attempt=int(item.get("authorisationAttempt", 0)),
            authorisation_id=item.get("authorisationId"),
            execution_id=item.get("executionId"),
            provider_authorisation_id=item.get("providerAuthorisationId"),
            capture_id=item.get("captureId"),
        )


@dataclass(frozen=True)
class StoredInvoice:
    """The outcome of storing an invoice: whether this run created it, and where it stands."""

    invoice_id: str
    created: bool
    status: InvoiceStatus

    def to_json(self) -> dict[str, Any]:
        return {"invoiceId": self.invoice_id, "created": self.created, "status": str(self.status)}


class InvoiceStore:
    """The invoices table (partition key ``invoiceId``), as a boto3 ``Table`` resource."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, invoice_id: str) -> InvoiceRecord | None:
        item = self._table.get_item(Key={"invoiceId": invoice_id}, ConsistentRead=True).get("Item")
        return InvoiceRecord.from_item(item) if item else None

    def create_or_continue(self, invoice: Invoice, *, now: datetime) -> StoredInvoice:
        """Store ``invoice`` as PENDING unless the period has one; a re-run continues the stored one.

        Raises ``InvoiceConflict`` when the stored invoice charges something else.
        """
        item = {
            "invoiceId": invoice.invoice_id,
            "customerId": invoice.customer_id,
            "billingPeriod": invoice.billing_period,
            "currency": invoice.currency,
            "lines": [
                {
                    "description": line.description,
                    "quantity": line.quantity,
                    "unitPriceCents": line.unit_price_cents,
                    "amountCents": line_amount(line),
                }
                for line in invoice.line_items
            ],
            "totalCents": invoice.total_cents,
            "contentHash": invoice.content_hash,
            "status": str(InvoiceStatus.PENDING),
            "authorisationAttempt": 0,
            "createdAt": now.isoformat(),
        }
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(invoiceId)")
            return StoredInvoice(invoice_id=invoice.invoice_id, created=True, status=InvoiceStatus.PENDING)
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
        stored = self.get(invoice.invoice_id)
        if stored is None:  # deleted between the two calls: let the step retry and create it
            raise TransientError(f"invoice [{invoice.invoice_id}] vanished while being stored")
        if stored.content_hash != invoice.content_hash:
            raise InvoiceConflict(
                f"invoice [{invoice.invoice_id}] for customer [{invoice.customer_id}] and period "
                f"[{invoice.billing_period}] already exists with other line items or currency (stored total "
                f"[{stored.total_cents} {stored.currency}], requested "
                f"[{invoice.total_cents} {invoice.currency}]); "
                "a re-run continues the stored invoice and never changes it"
            )
        return StoredInvoice(invoice_id=invoice.invoice_id, created=False, status=stored.status)

    def start_attempt(
        self, invoice: InvoiceRecord, *, authorisation_id: str, execution_id: str, now: datetime
    ) -> None:
        """Make ``execution_id`` the one waiting for the invoice's next authorisation attempt.

        Optimistic: it succeeds only if nobody started an attempt since ``invoice`` was read;
        otherwise ``TransientError`` makes the step run again and look afresh.
        """
        try:
            self._table.update_item(
                Key={"invoiceId": invoice.invoice_id},
                UpdateExpression=(
                    "SET #status = :awaiting, authorisationAttempt = :next, authorisationId = :auth, "
                    "executionId = :execution, authorisationRequestedAt = :now"
                ),
                ConditionExpression="authorisationAttempt = :seen AND #status = :seenStatus",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":awaiting": str(InvoiceStatus.AWAITING_AUTHORISATION),
                    ":next": invoice.authorisation_attempt + 1,
                    ":auth": authorisation_id,
                    ":execution": execution_id,
                    ":now": now.isoformat(),
                    ":seen": invoice.authorisation_attempt,
                    ":seenStatus": str(invoice.status),
                },
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise TransientError(
                    f"invoice [{invoice.invoice_id}] changed while starting an authorisation attempt"
                ) from error
            raise


def authorisation_id_for(invoice_id: str, attempt: int) -> str:
    """Our id of an invoice's n-th authorisation attempt: stable, so retries reuse it."""
    return f"{invoice_id}-a{attempt}"
