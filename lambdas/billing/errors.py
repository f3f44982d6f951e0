"""The errors the billing workflow fails with. Each class name is the Step Functions error name."""

from __future__ import annotations

from workflow_runtime import RequestInvalidError


class BillingRequestInvalid(RequestInvalidError):  # noqa: N818  (the workflow's error name)
    """The execution input is not a billing request; the message lists every problem."""


class InvoiceConflict(Exception):  # noqa: N818
    """The customer already has an invoice for the period, with other contents.

    A re-run for the same customer and period continues the stored invoice; it never changes what
    is charged. Correct the invoice by hand (or credit it) instead of re-running with new items.
    """


class PaymentAlreadyInProgress(Exception):  # noqa: N818
    """Another, still running execution is waiting for this invoice's payment authorisation."""


class InvoiceNotPayable(Exception):  # noqa: N818
    """The invoice is in a state where a payment cannot be asked for or captured (for example PAID)."""


class PaymentProviderRejected(Exception):  # noqa: N818
    """The payment provider refused a request for good (not worth retrying); the message says why."""
