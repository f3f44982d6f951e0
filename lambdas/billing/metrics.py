"""Business metric names (Powertools Metrics, namespace = the workflow's, dimension ``service``).

The ``BillingWorkflow`` construct charts these on the workflow's dashboard under the same names.
"""

from __future__ import annotations

INVOICES_CREATED = "InvoicesCreated"
PAYMENTS_AUTHORISED = "PaymentsAuthorised"
PAYMENTS_DECLINED = "PaymentsDeclined"
AUTHORISATIONS_TIMED_OUT = "AuthorisationsTimedOut"
AMOUNT_CAPTURED = "AmountCapturedCents"
"""Captured amount in minor units, by ``currency`` (amounts of different currencies never add up)."""
