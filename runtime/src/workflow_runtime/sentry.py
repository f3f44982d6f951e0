"""Opt-in exception reporting to Sentry.

Off unless a DSN is configured: ``SENTRY_DSN`` directly, or ``SENTRY_DSN_SECRET_ARN`` naming a
Secrets Manager secret whose value is the DSN (what ``PythonFunction(sentry_dsn_secret=...)`` sets).
The ``sentry_sdk`` package must be importable (a layer, or bundled); when a DSN is configured but
the package is missing, or the secret cannot be read, a warning says so once and the handler
keeps working: monitoring is never a reason for a business step to fail.
"""

from __future__ import annotations

import logging
import os
from typing import Any

_log = logging.getLogger(__name__)
_state: dict[str, Any] = {"initialised": False, "enabled": False}


def _dsn(secrets_client: Any | None = None) -> str | None:
    if os.environ.get("SENTRY_DSN"):
        return os.environ["SENTRY_DSN"]
    secret_arn = os.environ.get("SENTRY_DSN_SECRET_ARN")
    if not secret_arn:
        return None
    if secrets_client is None:
        import boto3

        secrets_client = boto3.client("secretsmanager")
    return str(secrets_client.get_secret_value(SecretId=secret_arn)["SecretString"]).strip() or None


def init_from_environment(secrets_client: Any | None = None) -> bool:
    """Initialise Sentry once per runtime when a DSN is configured. Returns whether it is on."""
    if _state["initialised"]:
        return bool(_state["enabled"])
    _state["initialised"] = True
    try:
        dsn = _dsn(secrets_client)
    except Exception as error:  # opt-in monitoring must never be why a business step fails
        _log.warning("Sentry DSN secret could not be read (%s); exceptions are not reported", error)
        return False
    if not dsn:
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.aws_lambda import AwsLambdaIntegration
    except ImportError:
        _log.warning("Sentry DSN configured but sentry_sdk is not installed; exceptions are not reported")
        return False
    sentry_sdk.init(
        dsn=dsn,
        integrations=[AwsLambdaIntegration()],
        send_default_pii=False,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
    )
    _state["enabled"] = True
    return True


def capture(error: BaseException, *, correlation_id: str | None = None) -> None:
    """Report ``error`` when Sentry is on, tagged with the request's correlation id; a no-op otherwise."""
    if _state["enabled"]:
        import sentry_sdk

        tags = {"correlation_id": correlation_id} if correlation_id else {}
        sentry_sdk.capture_exception(error, tags=tags)


def reset_for_tests() -> None:
    """Forget the initialisation, so a test can configure Sentry afresh."""
    _state.update(initialised=False, enabled=False)
