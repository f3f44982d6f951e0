"""Which provider a function talks to, configured by environment and the provider secret.

Environment (set by the ``BillingWorkflow`` construct):

- ``PAYMENT_PROVIDER``: ``sandbox`` or ``http``;
- ``PAYMENT_PROVIDER_SECRET_ARN``: a Secrets Manager secret holding a JSON object with
  ``signingSecret`` (the webhook's HMAC key) and, for ``http``, ``endpoint`` and ``apiKey``.

The secret is read through Powertools' ``SecretsProvider`` and cached for
``SECRET_CACHE_SECONDS``, so a rotated value is picked up within that time without a deploy.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from billing.providers import PaymentProvider
from billing.providers.http import HttpPaymentProvider
from billing.providers.sandbox import SandboxPaymentProvider

SECRET_CACHE_SECONDS = 5 * 60
PROVIDER_KINDS = ("sandbox", "http")


class ProviderConfigError(RuntimeError):
    """The function's provider configuration is missing or malformed."""


def read_provider_secret(secrets: SecretsProvider, secret_id: str | None = None) -> Mapping[str, Any]:
    """The provider secret as a JSON object (cached)."""
    secret_id = secret_id or os.environ.get("PAYMENT_PROVIDER_SECRET_ARN")
    if not secret_id:
        raise ProviderConfigError("PAYMENT_PROVIDER_SECRET_ARN is not set")
    value = secrets.get(secret_id, transform="json", max_age=SECRET_CACHE_SECONDS)
    if not isinstance(value, Mapping):
        raise ProviderConfigError(f"secret [{secret_id}] must hold a JSON object")
    return value


def signing_secret(secret: Mapping[str, Any]) -> str:
    """The webhook signing key from the provider secret."""
    value = secret.get("signingSecret")
    if not isinstance(value, str) or len(value) < 32:
        raise ProviderConfigError(
            "the provider secret's signingSecret must be a string of at least 32 characters"
        )
    return value


def provider_from_secret(kind: str, secret: Mapping[str, Any] | None) -> PaymentProvider:
    """Build the configured provider; ``secret`` is only read for ``http``."""
    if kind == "sandbox":
        return SandboxPaymentProvider()
    if kind == "http":
        if secret is None or not secret.get("endpoint") or not secret.get("apiKey"):
            raise ProviderConfigError(
                "the provider secret must hold 'endpoint' and 'apiKey' for PAYMENT_PROVIDER=http"
            )
        return HttpPaymentProvider(endpoint=str(secret["endpoint"]), api_key=str(secret["apiKey"]))
    raise ProviderConfigError(f"PAYMENT_PROVIDER must be one of {list(PROVIDER_KINDS)}. Received: [{kind}]")


def provider_from_environment(secrets: SecretsProvider) -> PaymentProvider:
    """The provider this function is configured for."""
    kind = os.environ.get("PAYMENT_PROVIDER", "")
    return provider_from_secret(kind, read_provider_secret(secrets) if kind == "http" else None)
