"""The payment provider behind the workflow, as one small interface with two implementations.

- :class:`~billing.providers.http.HttpPaymentProvider`: a provider reached over HTTPS, endpoint and
  API key from Secrets Manager;
- :class:`~billing.providers.sandbox.SandboxPaymentProvider`: no network, decides by test card
  (``pm_card_visa`` approves, ``pm_card_chargeDeclined`` declines), for demos and tests.

Every call is idempotent at the provider: authorisation requests carry our authorisation id,
captures the invoice id, voids ``void-<authorisation id>`` as the idempotency key, so a retried call
never charges twice. A provider raises ``workflow_runtime.TransientError`` for what is worth retrying
and ``billing.errors.PaymentProviderRejected`` for what is not.

The provider answers an authorisation request later, through the signed webhook
(:mod:`billing.webhook`); a provider may also decline at once (``AuthorisationDeclined``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class AuthorisationRequest:
    """Ask the provider to hold ``amount_cents`` on the payment method until captured or voided."""

    authorisation_id: str
    """Ours; the provider echoes it in its webhook and uses it as the idempotency key."""
    invoice_id: str
    customer_id: str
    amount_cents: int
    currency: str
    payment_method_id: str
    expires_at: int
    """Unix seconds after which nobody waits for the answer any more."""


@dataclass(frozen=True)
class AuthorisationPending:
    """The provider accepted the request and will answer through the webhook."""

    provider_authorisation_id: str
    provider_data: Mapping[str, str] = field(default_factory=dict)
    """Anything the provider wants kept with the authorisation (the sandbox keeps its decision)."""


@dataclass(frozen=True)
class AuthorisationDeclined:
    """The provider declined at once; no webhook will follow."""

    decline_code: str
    message: str


@dataclass(frozen=True)
class CaptureRequest:
    """Take ``amount_cents`` of an authorised payment."""

    provider_authorisation_id: str
    amount_cents: int
    currency: str
    idempotency_key: str
    """The invoice id: one invoice is captured once, whoever asks how often."""


@dataclass(frozen=True)
class Capture:
    """A captured payment."""

    capture_id: str
    amount_cents: int
    currency: str


class PaymentProvider(Protocol):
    """What the workflow needs from a payment provider."""

    name: str

    def request_authorisation(
        self, request: AuthorisationRequest
    ) -> AuthorisationPending | AuthorisationDeclined: ...

    def capture(self, request: CaptureRequest) -> Capture: ...

    def void(self, provider_authorisation_id: str, *, idempotency_key: str) -> None:
        """Release the hold; voiding an authorisation that is already void or unknown is not an error."""
        ...
