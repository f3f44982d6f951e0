"""The payment providers: the sandbox's test cards, the HTTP provider's protocol, configuration."""

from __future__ import annotations

import json

import pytest
from billing.errors import PaymentProviderRejected
from billing.providers import (
    AuthorisationDeclined,
    AuthorisationPending,
    AuthorisationRequest,
    CaptureRequest,
)
from billing.providers.config import ProviderConfigError, provider_from_secret, signing_secret
from billing.providers.http import HttpPaymentProvider, HttpResponse
from billing.providers.sandbox import SandboxPaymentProvider
from workflow_runtime.errors import TransientError

REQUEST = AuthorisationRequest(
    authorisation_id="inv-2026-01-abc-a1",
    invoice_id="inv-2026-01-abc",
    customer_id="cus_123",
    amount_cents=8650,
    currency="EUR",
    payment_method_id="pm_card_visa",
    expires_at=1_767_312_000,
)


def _ask(card: str):
    return SandboxPaymentProvider().request_authorisation(
        AuthorisationRequest(**{**REQUEST.__dict__, "payment_method_id": card})
    )


@pytest.mark.parametrize("card", ["pm_card_visa", "pm_card_visa_debit", "pm_card_mastercard", "pm_card_amex"])
def test_sandbox_approving_cards(card):
    answer = _ask(card)

    assert isinstance(answer, AuthorisationPending)
    assert answer.provider_data == {"sandboxOutcome": "authorised"}


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ("pm_card_chargeDeclined", "card_declined"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc"),
    ],
)
def test_sandbox_declining_cards_answer_later_through_the_webhook(card, code):
    answer = _ask(card)

    assert isinstance(answer, AuthorisationPending)
    assert answer.provider_data["sandboxOutcome"] == "declined"
    assert answer.provider_data["sandboxDeclineCode"] == code


def test_sandbox_declines_an_unknown_card_at_once():
    answer = _ask("pm_card_made_up")

    assert isinstance(answer, AuthorisationDeclined)
    assert answer.decline_code == "payment_method_unknown"


def test_sandbox_ids_follow_the_idempotency_keys():
    sandbox = SandboxPaymentProvider()
    capture = CaptureRequest(
        provider_authorisation_id="sbx_auth_1", amount_cents=1, currency="EUR", idempotency_key="inv-1"
    )

    assert _ask("pm_card_visa").provider_authorisation_id == _ask("pm_card_visa").provider_authorisation_id
    assert _ask("pm_card_visa").provider_authorisation_id.startswith("sbx_auth_")
    assert sandbox.capture(capture).capture_id == sandbox.capture(capture).capture_id
    assert (
        sandbox.capture(capture).capture_id
        != sandbox.capture(
            CaptureRequest(
                provider_authorisation_id="sbx_auth_1",
                amount_cents=1,
                currency="EUR",
                idempotency_key="inv-2",
            )
        ).capture_id
    )


class Transport:
    """Records each POST and answers with the next prepared response."""

    def __init__(self, *responses: HttpResponse) -> None:
        self.responses = list(responses)
        self.sent: list[tuple[str, dict, dict]] = []

    def __call__(self, url, headers, body, timeout):
        self.sent.append((url, dict(headers), json.loads(body)))
        return self.responses.pop(0)


def _http(*responses: HttpResponse) -> tuple[HttpPaymentProvider, Transport]:
    transport = Transport(*responses)
    return HttpPaymentProvider(
        endpoint="https://pay.example.com/v1/", api_key="sk_live_1", transport=transport
    ), transport


def _ok(document: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(status=status, body=json.dumps(document).encode())


def test_http_authorisation_request_is_idempotent_and_authenticated():
    provider, transport = _http(_ok({"providerAuthorisationId": "pa_1", "status": "pending"}, 201))

    answer = provider.request_authorisation(REQUEST)

    assert answer == AuthorisationPending(provider_authorisation_id="pa_1")
    ((url, headers, body),) = transport.sent
    assert url == "https://pay.example.com/v1/authorisations"
    assert headers["Idempotency-Key"] == "inv-2026-01-abc-a1"
    assert headers["Authorization"] == "Bearer sk_live_1"
    assert body == {
        "authorisationId": "inv-2026-01-abc-a1",
        "invoiceId": "inv-2026-01-abc",
        "customerId": "cus_123",
        "amountCents": 8650,
        "currency": "EUR",
        "paymentMethodId": "pm_card_visa",
        "expiresAt": 1_767_312_000,
    }


@pytest.mark.parametrize(
    "response",
    [
        _ok({"status": "declined", "declineCode": "do_not_honor", "declineMessage": "No."}),
        _ok({"declineCode": "do_not_honor", "declineMessage": "No."}, 402),
    ],
)
def test_http_immediate_decline(response):
    provider, _ = _http(response)

    assert provider.request_authorisation(REQUEST) == AuthorisationDeclined(
        decline_code="do_not_honor", message="No."
    )


@pytest.mark.parametrize("status", [408, 425, 429, 500, 503])
def test_http_answers_worth_retrying_are_transient(status):
    provider, _ = _http(HttpResponse(status=status, body=b""))

    with pytest.raises(TransientError, match=rf"answered {status}"):
        provider.request_authorisation(REQUEST)


@pytest.mark.parametrize(
    "response",
    [
        HttpResponse(status=400, body=b'{"message": "bad currency"}'),
        _ok({"status": "pending"}),
        HttpResponse(200, b"<html>"),
    ],
    ids=["client error", "no provider id", "not json"],
)
def test_http_refusals_are_final(response):
    provider, _ = _http(response)

    with pytest.raises(PaymentProviderRejected):
        provider.request_authorisation(REQUEST)


def test_http_capture_uses_the_invoice_as_idempotency_key():
    provider, transport = _http(_ok({"captureId": "cap_1"}))

    capture = provider.capture(
        CaptureRequest(
            provider_authorisation_id="pa/1", amount_cents=8650, currency="EUR", idempotency_key="inv-1"
        )
    )

    assert capture.capture_id == "cap_1"
    ((url, headers, body),) = transport.sent
    assert url == "https://pay.example.com/v1/authorisations/pa%2F1/capture"
    assert (headers["Idempotency-Key"], body) == ("inv-1", {"amountCents": 8650, "currency": "EUR"})


@pytest.mark.parametrize("status", [200, 204, 404])
def test_http_void_of_a_gone_authorisation_is_fine(status):
    provider, transport = _http(HttpResponse(status=status, body=b""))

    provider.void("pa_1", idempotency_key="void-inv-1-a1")

    assert transport.sent[0][1]["Idempotency-Key"] == "void-inv-1-a1"


def test_http_provider_refuses_plain_http():
    with pytest.raises(
        ValueError, match=r"endpoint must be an https:// URL. Received: \[http://pay.example.com\]"
    ):
        HttpPaymentProvider(endpoint="http://pay.example.com", api_key="k")


def test_configuration_builds_the_named_provider():
    assert isinstance(provider_from_secret("sandbox", None), SandboxPaymentProvider)
    http = provider_from_secret(
        "http", {"endpoint": "https://pay.example.com", "apiKey": "k", "signingSecret": "s"}
    )
    assert isinstance(http, HttpPaymentProvider)


@pytest.mark.parametrize(
    ("kind", "secret", "message"),
    [
        ("http", {"signingSecret": "s"}, "must hold 'endpoint' and 'apiKey'"),
        ("stripe", None, r"PAYMENT_PROVIDER must be one of \['sandbox', 'http'\]. Received: \[stripe\]"),
    ],
)
def test_configuration_errors_say_what_is_missing(kind, secret, message):
    with pytest.raises(ProviderConfigError, match=message):
        provider_from_secret(kind, secret)


def test_a_short_signing_secret_is_refused():
    with pytest.raises(ProviderConfigError, match="at least 32 characters"):
        signing_secret({"signingSecret": "short"})
