"""A payment provider for demos and tests: no network, decisions by test card.

The test payment methods follow the well-known providers' test numbers:

======================================  ==========================================
payment method                          the sandbox's decision
======================================  ==========================================
``pm_card_visa``, ``pm_card_visa_debit``,
``pm_card_mastercard``, ``pm_card_amex``  authorised
``pm_card_chargeDeclined``              declined, ``card_declined``
``pm_card_chargeDeclinedInsufficientFunds``  declined, ``insufficient_funds``
``pm_card_chargeDeclinedExpiredCard``   declined, ``expired_card``
``pm_card_chargeDeclinedIncorrectCvc``  declined, ``incorrect_cvc``
anything else                           declined at once, ``payment_method_unknown``
======================================  ==========================================

Like a real provider, the sandbox answers a known card later, through the webhook: its decision is
kept with the authorisation (``provider_data``) and delivered, signed, by
``workflow_tools.payments_sandbox`` (the operator CLI's ``workflows pay`` / ``workflows decline``),
which may also overrule it. Ids are derived from the idempotency keys, so a repeated call returns
the same authorisation or capture.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from aws_lambda_powertools import Logger

from billing.providers import (
    AuthorisationDeclined,
    AuthorisationPending,
    AuthorisationRequest,
    Capture,
    CaptureRequest,
)

APPROVING_CARDS = frozenset({"pm_card_visa", "pm_card_visa_debit", "pm_card_mastercard", "pm_card_amex"})
DECLINING_CARDS: Mapping[str, tuple[str, str]] = {
    "pm_card_chargeDeclined": ("card_declined", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": ("insufficient_funds", "Your card has insufficient funds."),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "Your card has expired."),
    "pm_card_chargeDeclinedIncorrectCvc": ("incorrect_cvc", "Your card's security code is incorrect."),
}
AUTHORISATION_PREFIX = "sbx_auth_"
CAPTURE_PREFIX = "sbx_cap_"

_log = Logger(child=True)


def sandbox_id(prefix: str, key: str) -> str:
    """A provider id derived from an idempotency key: the same key always gives the same id."""
    return prefix + hashlib.sha256(key.encode()).hexdigest()[:24]


class SandboxPaymentProvider:
    """See the module docstring. Stateless: safe to use from any number of Lambda instances."""

    name = "sandbox"

    def request_authorisation(
        self, request: AuthorisationRequest
    ) -> AuthorisationPending | AuthorisationDeclined:
        card = request.payment_method_id
        if card not in APPROVING_CARDS and card not in DECLINING_CARDS:
            return AuthorisationDeclined(
                decline_code="payment_method_unknown",
                message=f"The sandbox has no test payment method [{card}]; use pm_card_visa or "
                "pm_card_chargeDeclined.",
            )
        decision = {"sandboxOutcome": "authorised"}
        if card in DECLINING_CARDS:
            code, message = DECLINING_CARDS[card]
            decision = {
                "sandboxOutcome": "declined",
                "sandboxDeclineCode": code,
                "sandboxDeclineMessage": message,
            }
        return AuthorisationPending(
            provider_authorisation_id=sandbox_id(AUTHORISATION_PREFIX, request.authorisation_id),
            provider_data=decision,
        )

    def capture(self, request: CaptureRequest) -> Capture:
        capture = Capture(
            capture_id=sandbox_id(CAPTURE_PREFIX, request.idempotency_key),
            amount_cents=request.amount_cents,
            currency=request.currency,
        )
        # One line per call that reaches the provider: how tests count captures.
        _log.info(
            "Sandbox captured payment",
            extra={"capture_id": capture.capture_id, "idempotency_key": request.idempotency_key},
        )
        return capture

    def void(self, provider_authorisation_id: str, *, idempotency_key: str) -> None:
        _log.info(
            "Sandbox voided authorisation",
            extra={
                "provider_authorisation_id": provider_authorisation_id,
                "idempotency_key": idempotency_key,
            },
        )
