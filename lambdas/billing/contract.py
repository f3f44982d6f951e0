"""The billing workflow's contract: the names its construct, its handlers and its tests share.

Pure Python, no third-party import: the Lambda asset (built from ``lambdas/``) ships it as
``billing.contract`` for the handlers, and the construct (``business_workflows.billing``) imports
the same file as ``lambdas.billing.contract`` from the repository root. One definition of each
state, status, error and metric name; changing one here changes the definition, the handlers and
the tests together.
"""

from __future__ import annotations

from enum import StrEnum

DEFAULT_WORKFLOW_NAME = "billing"

# States other code finds by name (the local cloud's task tokens and faults, the operator CLI).
REQUEST_AUTHORISATION_STATE = "Request payment authorisation"
"""The callback step: waits for the provider's decision, delivered by the webhook."""
CAPTURE_STATE = "Capture the payment"
STATE_NAMES = (REQUEST_AUTHORISATION_STATE, CAPTURE_STATE)


class InvoiceStatus(StrEnum):
    """Where an invoice stands (the invoice record's ``status``).

    PENDING -> AWAITING_AUTHORISATION -> AUTHORISED -> PAID, or PAYMENT_FAILED /
    AUTHORISATION_TIMED_OUT from which a new run may try again.
    """

    PENDING = "PENDING"
    AWAITING_AUTHORISATION = "AWAITING_AUTHORISATION"
    AUTHORISED = "AUTHORISED"
    PAID = "PAID"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    AUTHORISATION_TIMED_OUT = "AUTHORISATION_TIMED_OUT"


# The receipt email's outcome, kept in the execution state (``$.receiptEmail.status``).
RECEIPT_SENT = "SENT"
RECEIPT_PENDING = "PENDING"
"""The invoice is PAID but its receipt was not sent; a new billing run for the period sends it."""


# Step Functions errors the workflow fails with (a Fail state's Error; handler class names).
REQUEST_INVALID = "BillingRequestInvalid"
"""The execution input is no billing request (``billing.errors.BillingRequestInvalid``)."""
PAYMENT_DECLINED = "PaymentDeclined"
"""The provider declined: the callback step fails with it (``SendTaskFailure``), so does the run."""
AUTHORISATION_TIMED_OUT = "AuthorisationTimedOut"
"""No decision arrived before the authorisation timeout."""
BUSINESS_OUTCOMES = (REQUEST_INVALID, PAYMENT_DECLINED, AUTHORISATION_TIMED_OUT)
"""How a billing run may end without anything being wrong; counted on the dashboard, paging nobody."""

# Business metrics (Powertools Metrics names), emitted by the handlers, charted by the construct.
METRIC_INVOICES_CREATED = "InvoicesCreated"
METRIC_PAYMENTS_AUTHORISED = "PaymentsAuthorised"
METRIC_PAYMENTS_DECLINED = "PaymentsDeclined"
METRIC_AUTHORISATIONS_TIMED_OUT = "AuthorisationsTimedOut"
METRIC_AMOUNT_CAPTURED = "AmountCapturedCents"
"""Captured amount in minor units, by ``currency`` (amounts of different currencies never add up)."""
METRIC_NAMES = (
    METRIC_INVOICES_CREATED,
    METRIC_PAYMENTS_AUTHORISED,
    METRIC_PAYMENTS_DECLINED,
    METRIC_AUTHORISATIONS_TIMED_OUT,
    METRIC_AMOUNT_CAPTURED,
)

# The schedule's function (business_workflows.billing_schedule): its environment variables.
STATE_MACHINE_ARN_ENV = "STATE_MACHINE_ARN"
"""The billing state machine the period's runs are started on."""
WORKFLOW_NAME_ENV = "WORKFLOW_NAME"
"""The workflow's name, the first part of each run's execution name."""
