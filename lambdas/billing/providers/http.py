"""A payment provider reached over HTTPS.

The provider's API, as this client speaks it (JSON bodies, ``Authorization: Bearer <api key>``,
``Idempotency-Key`` on every POST):

- ``POST {endpoint}/authorisations`` with ``authorisationId, invoiceId, customerId, amountCents,
  currency, paymentMethodId, expiresAt`` -> ``{"providerAuthorisationId", "status": "pending"}``, or
  ``"status": "declined"`` with ``declineCode`` and ``declineMessage`` (also as HTTP 402);
- ``POST {endpoint}/authorisations/{providerAuthorisationId}/capture`` with ``amountCents, currency``
  -> ``{"captureId"}``;
- ``POST {endpoint}/authorisations/{providerAuthorisationId}/void`` -> any 2xx; 404 means there is
  nothing to void.

Its answers come back through the signed webhook (:mod:`billing.webhook`). Endpoint and API key
come from the provider secret in Secrets Manager (``endpoint``, ``apiKey``; see
:func:`billing.providers.config.provider_from_secret`).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from workflow_runtime import TransientError

from billing.errors import PaymentProviderRejected
from billing.providers import (
    AuthorisationDeclined,
    AuthorisationPending,
    AuthorisationRequest,
    Capture,
    CaptureRequest,
)

DEFAULT_TIMEOUT_SECONDS = 10.0  # well inside the 30 s the function has
# Statuses worth asking again: request timeout, too early, throttled, and every server error.
RETRYABLE_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class HttpResponse:
    """What came back: the status and the raw body."""

    status: int
    body: bytes


Transport = Callable[[str, Mapping[str, str], bytes, float], HttpResponse]
"""``(url, headers, body, timeout) -> response`` for a POST; tests pass a fake."""


def urllib_transport(url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> HttpResponse:
    """POST with the standard library. Network failures are ``TransientError``."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310 (https only, checked)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return HttpResponse(status=response.status, body=response.read())
    except urllib.error.HTTPError as error:
        return HttpResponse(status=error.code, body=error.read() or b"")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise TransientError(f"payment provider unreachable: {error}") from error


class HttpPaymentProvider:
    """The HTTPS provider client; see the module docstring for the API it speaks."""

    name = "http"

    def __init__(
        self,
        *,
        endpoint: str,
        api_key: str,
        transport: Transport = urllib_transport,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if not endpoint.startswith("https://"):
            raise ValueError(f"endpoint must be an https:// URL. Received: [{endpoint}]")
        if not api_key:
            raise ValueError("api_key must not be empty")
        self._endpoint = endpoint.rstrip("/")
        self._api_key = api_key
        self._transport = transport
        self._timeout = timeout_seconds

    def _post(self, path: str, document: Mapping[str, Any], *, idempotency_key: str) -> HttpResponse:
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": idempotency_key,
        }
        body = json.dumps(document, separators=(",", ":")).encode()
        response = self._transport(f"{self._endpoint}{path}", headers, body, self._timeout)
        if response.status in RETRYABLE_STATUSES or response.status >= 500:
            raise TransientError(f"payment provider answered {response.status} for POST {path}")
        return response

    @staticmethod
    def _json(response: HttpResponse, path: str) -> dict[str, Any]:
        try:
            document = json.loads(response.body or b"{}")
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise PaymentProviderRejected(
                f"payment provider answered {response.status} for POST {path} without a JSON object"
            )
        return document

    def _rejected(self, response: HttpResponse, path: str) -> PaymentProviderRejected:
        document = self._json(response, path) if response.body else {}
        detail = document.get("message") or document.get("error") or ""
        return PaymentProviderRejected(f"payment provider refused POST {path} ({response.status}): {detail}")

    def request_authorisation(
        self, request: AuthorisationRequest
    ) -> AuthorisationPending | AuthorisationDeclined:
        path = "/authorisations"
        response = self._post(
            path,
            {
                "authorisationId": request.authorisation_id,
                "invoiceId": request.invoice_id,
                "customerId": request.customer_id,
                "amountCents": request.amount_cents,
                "currency": request.currency,
                "paymentMethodId": request.payment_method_id,
                "expiresAt": request.expires_at,
            },
            idempotency_key=request.authorisation_id,
        )
        if response.status not in (200, 201, 202, 402):
            raise self._rejected(response, path)
        document = self._json(response, path)
        if response.status == 402 or document.get("status") == "declined":
            return AuthorisationDeclined(
                decline_code=str(document.get("declineCode") or "declined"),
                message=str(document.get("declineMessage") or "The payment was declined."),
            )
        provider_id = document.get("providerAuthorisationId")
        if document.get("status") != "pending" or not isinstance(provider_id, str) or not provider_id:
            raise PaymentProviderRejected(
                f"payment provider answered POST {path} without a pending authorisation id"
            )
        return AuthorisationPending(provider_authorisation_id=provider_id)

    def capture(self, request: CaptureRequest) -> Capture:
        path = f"/authorisations/{quote(request.provider_authorisation_id, safe='')}/capture"
        response = self._post(
            path,
            {"amountCents": request.amount_cents, "currency": request.currency},
            idempotency_key=request.idempotency_key,
        )
        if not 200 <= response.status < 300:
            raise self._rejected(response, path)
        capture_id = self._json(response, path).get("captureId")
        if not isinstance(capture_id, str) or not capture_id:
            raise PaymentProviderRejected(f"payment provider answered POST {path} without a captureId")
        return Capture(capture_id=capture_id, amount_cents=request.amount_cents, currency=request.currency)

    def void(self, provider_authorisation_id: str, *, idempotency_key: str) -> None:
        path = f"/authorisations/{quote(provider_authorisation_id, safe='')}/void"
        response = self._post(path, {}, idempotency_key=idempotency_key)
        if response.status == 404 or 200 <= response.status < 300:
            return
        raise self._rejected(response, path)
