"""Fakes and builders for the billing handler tests (imported by the tests and by conftest)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from billing.authorisations import AuthorisationStore
from billing.invoices import InvoiceStore
from billing.providers import (
    AuthorisationDeclined,
    AuthorisationPending,
    AuthorisationRequest,
    Capture,
    CaptureRequest,
)
from botocore.exceptions import ClientError

REGION = "eu-west-1"
SIGNING_SECRET = "whsec_" + "s" * 58


def client_error(code: str, operation: str = "Call") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


@dataclass
class FakeStates:
    """Step Functions' callback API, recorded. ``fail_with`` makes the next calls fail with that code."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail_with: str | None = None
    execution_status: dict[str, str] = field(default_factory=dict)

    def send_task_success(self, **kwargs: Any) -> dict[str, Any]:
        return self._record("success", kwargs)

    def send_task_failure(self, **kwargs: Any) -> dict[str, Any]:
        return self._record("failure", kwargs)

    def _record(self, kind: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.fail_with:
            raise client_error(self.fail_with)
        self.calls.append((kind, kwargs))
        return {}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:  # noqa: N803  (boto3's name)
        if executionArn not in self.execution_status:
            raise client_error("ExecutionDoesNotExist")
        return {"status": self.execution_status[executionArn]}


@dataclass
class FakeProvider:
    """A payment provider that records every call and answers as told."""

    answer: AuthorisationPending | AuthorisationDeclined = field(
        default_factory=lambda: AuthorisationPending(provider_authorisation_id="prov_auth_1")
    )
    requests: list[AuthorisationRequest] = field(default_factory=list)
    captures: list[CaptureRequest] = field(default_factory=list)
    voids: list[tuple[str, str]] = field(default_factory=list)
    name: str = "fake"

    def request_authorisation(
        self, request: AuthorisationRequest
    ) -> AuthorisationPending | AuthorisationDeclined:
        self.requests.append(request)
        return self.answer

    def capture(self, request: CaptureRequest) -> Capture:
        self.captures.append(request)
        return Capture(
            capture_id=f"cap_{request.idempotency_key}",
            amount_cents=request.amount_cents,
            currency=request.currency,
        )

    def void(self, provider_authorisation_id: str, *, idempotency_key: str) -> None:
        self.voids.append((provider_authorisation_id, idempotency_key))


@dataclass(frozen=True)
class Tables:
    invoices: Any
    authorisations: Any
    idempotency: Any
    dynamodb_client: Any

    @property
    def invoice_store(self) -> InvoiceStore:
        return InvoiceStore(self.invoices)

    @property
    def authorisation_store(self) -> AuthorisationStore:
        return AuthorisationStore(self.authorisations)


def create_table(resource: Any, name: str, key: str, **extra: Any) -> Any:
    return resource.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}, *extra.pop("attributes", [])],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )


def billing_input(**overrides: Any) -> dict[str, Any]:
    """A valid execution input; keyword arguments replace fields."""
    document: dict[str, Any] = {
        "correlationId": "order-4711",
        "customerId": "cus_123",
        "billingPeriod": "2026-01",
        "currency": "EUR",
        "paymentMethodId": "pm_card_visa",
        "customerEmail": "ada@example.com",
        "lineItems": [
            {"description": "Pro plan", "quantity": 1, "unitPriceCents": 4900},
            {"description": "Extra seats", "quantity": 3, "unitPriceCents": 1250},
        ],
    }
    document.update(overrides)
    return document
