"""The onboarding request: what a caller sends, validated in full before anything is written.

Every problem is reported at once (not the first only), so a caller fixes a request in one go.
The customer id, when the caller gives none, is derived from the normalised email address, so a
re-run of the same request finds the same customer record instead of creating a second one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import ErrorDetails
from workflow_runtime import RequestInvalidError

CUSTOMER_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$"
"""3-40 lowercase letters, digits and '-': safe in S3 keys, DynamoDB keys and execution names."""
DERIVED_ID_PREFIX = "cus-"
DERIVED_ID_HEX_CHARS = 20  # 80 bits of the email's SHA-256: collisions are not a practical concern
EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit
_CUSTOMER_ID = re.compile(CUSTOMER_ID_PATTERN)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class OnboardingRequestInvalid(RequestInvalidError):  # noqa: N818  (the workflow's error name)
    """The request cannot be onboarded; the message lists every problem."""


def normalise_email(email: str) -> str:
    """The form of an address used for identity: no surrounding spaces, lower case."""
    return email.strip().lower()


def derive_customer_id(email: str) -> str:
    """A stable customer id for an email address.

    >>> derive_customer_id(" Ada@Example.com ") == derive_customer_id("ada@example.com")
    True
    >>> derive_customer_id("ada@example.com")
    'cus-b5fc85e55755f9e0d030'
    """
    digest = hashlib.sha256(normalise_email(email).encode()).hexdigest()
    return f"{DERIVED_ID_PREFIX}{digest[:DERIVED_ID_HEX_CHARS]}"


class Customer(BaseModel):
    """The customer to onboard, as the caller sends it."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=EMAIL_MAX_LENGTH)
    plan: str
    id: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        if value is not None and not _CUSTOMER_ID.match(value):
            raise ValueError(
                "must be 3-40 lowercase letters, digits or '-', starting and ending with a letter or digit"
            )
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError("must be an email address like name@example.com")
        return normalise_email(value)

    @field_validator("plan")
    @classmethod
    def _plan(cls, value: str, info: ValidationInfo) -> str:
        plans = (info.context or {}).get("plans") or ()
        if value not in plans:
            raise ValueError(f"must be one of {sorted(plans)}")
        return value


class OnboardingRequest(BaseModel):
    """The execution input of the onboarding workflow."""

    # Extra keys are ignored, not rejected: Step Functions adds its own when this workflow is nested.
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    correlation_id: str = Field(alias="correlationId", min_length=1, max_length=128)
    customer: Customer
    requested_by: str = Field(alias="requestedBy", min_length=1, max_length=200)

    @property
    def customer_id(self) -> str:
        """The given id, or the one derived from the email address."""
        return self.customer.id or derive_customer_id(self.customer.email)

    def to_state(self) -> dict[str, Any]:
        """The normalised request the rest of the workflow works on."""
        return {
            "correlationId": self.correlation_id,
            "customer": {
                "id": self.customer_id,
                "name": self.customer.name,
                "email": self.customer.email,
                "plan": self.customer.plan,
            },
            "requestedBy": self.requested_by,
        }


def _message(detail: ErrorDetails) -> str:
    """Pydantic's message, said the way the rest of the house says it."""
    context = detail.get("ctx") or {}
    kind = detail["type"]
    if kind == "missing":
        return "is required"
    if kind == "string_type":
        return "must be a string"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be an object"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {context.get('max_length')} characters"
    return str(detail["msg"]).removeprefix("Value error, ")


def _problems(error: ValidationError) -> Iterable[str]:
    for detail in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in detail["loc"]) or "request"
        yield f"{where}: {_message(detail)}"


def validate_request(event: Any, *, plans: Iterable[str]) -> OnboardingRequest:
    """Parse ``event`` into a request, or raise :class:`OnboardingRequestInvalid` listing every problem.

    ``plans`` are the plan names a customer may sign up for.
    """
    try:
        return OnboardingRequest.model_validate(event, context={"plans": frozenset(plans)})
    except ValidationError as error:
        raise OnboardingRequestInvalid(list(_problems(error))) from None
