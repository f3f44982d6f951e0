"""Lambda entry points of the billing workflow: observability, configuration, one call into logic.

Environment (set by the ``BillingWorkflow`` construct): ``INVOICES_TABLE_NAME``,
``AUTHORISATIONS_TABLE_NAME``, ``IDEMPOTENCY_TABLE_NAME``, ``AUTHORISATION_TIMEOUT_SECONDS``,
``PAYMENT_PROVIDER`` and ``PAYMENT_PROVIDER_SECRET_ARN`` (see :mod:`billing.providers.config`);
the schedule's function (``BillingSchedule``) has ``STATE_MACHINE_ARN`` and ``WORKFLOW_NAME`` instead.
"""

from __future__ import annotations

import functools
import os
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from workflow_runtime import TransientError, handler, logger, metrics

from billing import authorise, payments
from billing.authorisations import AuthorisationStore, DeliveryResult
from billing.contract import (
    METRIC_AMOUNT_CAPTURED,
    METRIC_AUTHORISATIONS_TIMED_OUT,
    METRIC_INVOICES_CREATED,
    METRIC_PAYMENTS_AUTHORISED,
    METRIC_PAYMENTS_DECLINED,
    STATE_MACHINE_ARN_ENV,
    WORKFLOW_NAME_ENV,
)
from billing.invoice import calculate_invoice as calculate
from billing.invoices import InvoiceStore
from billing.providers import Capture
from billing.providers.config import provider_from_environment, read_provider_secret, signing_secret
from billing.request import parse_request
from billing.schedule import start_period_runs as start_runs
from billing.webhook import WebhookResponse, handle_webhook, request_from_api_gateway


@functools.cache
def _dynamodb() -> Any:
    return boto3.resource("dynamodb")


@functools.cache
def _states() -> Any:
    return boto3.client("stepfunctions")


@functools.cache
def _secrets() -> SecretsProvider:
    return SecretsProvider()


@functools.cache
def _idempotency_store() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE_NAME"])


def _invoices() -> InvoiceStore:
    return InvoiceStore(_dynamodb().Table(os.environ["INVOICES_TABLE_NAME"]))


def _authorisations() -> AuthorisationStore:
    return AuthorisationStore(_dynamodb().Table(os.environ["AUTHORISATIONS_TABLE_NAME"]))


def _count_decision(delivery: DeliveryResult | None) -> None:
    if delivery is None or not delivery.first_delivery or delivery.record.decision is None:
        return
    authorised = delivery.record.decision.outcome == "authorised"
    metrics.add_metric(
        name=METRIC_PAYMENTS_AUTHORISED if authorised else METRIC_PAYMENTS_DECLINED,
        unit=MetricUnit.Count,
        value=1,
    )


def _count_capture(capture: Capture) -> None:
    metrics.add_dimension(name="currency", value=capture.currency)
    metrics.add_metric(name=METRIC_AMOUNT_CAPTURED, unit=MetricUnit.Count, value=capture.amount_cents)


@handler
def validate_request(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Step "Validate the billing request": the execution input -> the normalised request."""
    return parse_request(event).to_json()


@handler
def calculate_invoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Step "Calculate the invoice": ``{"request": ...}`` -> the invoice with its receipt block."""
    return calculate(parse_request(event["request"])).to_json()


@handler
def store_invoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Step "Store the invoice as pending": create it, or continue the period's stored invoice."""
    stored = _invoices().create_or_continue(calculate(parse_request(event["request"])), now=datetime.now(UTC))
    if stored.created:
        metrics.add_metric(name=METRIC_INVOICES_CREATED, unit=MetricUnit.Count, value=1)
    logger.info(
        "Invoice stored",
        extra={
            "invoice_id": stored.invoice_id,
            "invoice_created": stored.created,
            "status": str(stored.status),
        },
    )
    return stored.to_json()


@handler
def request_authorisation(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Step "Request payment authorisation" (callback): store the token, ask the provider."""
    result = authorise.request_authorisation(
        authorise.AuthorisationCommand.from_event(event),
        task_token=str(event["taskToken"]),
        invoices=_invoices(),
        authorisations=_authorisations(),
        provider=provider_from_environment(_secrets()),
        states_client=_states(),
        now=datetime.now(UTC),
        timeout_seconds=int(os.environ["AUTHORISATION_TIMEOUT_SECONDS"]),
    )
    _count_decision(result.delivery)
    logger.info(
        "Payment authorisation requested",
        extra={
            "authorisation_id": result.authorisation_id,
            "superseded_authorisation_id": result.superseded_authorisation_id,
            "answered_at_once": result.delivery.status if result.delivery else None,
        },
    )
    return {"authorisationId": result.authorisation_id}


@handler
def capture_payment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Step "Capture the payment": once per invoice, however often it runs."""
    capture = payments.capture_once(
        invoices=_invoices(),
        provider=provider_from_environment(_secrets()),
        persistence_store=_idempotency_store(),
        lambda_context=context,
        on_captured=_count_capture,
    )
    result = capture(str(event["invoiceId"]))
    logger.info(
        "Payment captured", extra={"invoice_id": event["invoiceId"], "capture_id": result["captureId"]}
    )
    return result


@handler
def void_authorisation(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Step "Void the authorisation": the wait timed out."""
    result = payments.void_authorisation(
        str(event["invoiceId"]),
        str(event["executionId"]),
        invoices=_invoices(),
        authorisations=_authorisations(),
        provider=provider_from_environment(_secrets()),
    )
    if result.first_time:
        metrics.add_metric(name=METRIC_AUTHORISATIONS_TIMED_OUT, unit=MetricUnit.Count, value=1)
    logger.info("Authorisation voided", extra=result.to_json())
    return result.to_json()


@handler
def payment_webhook(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway proxy: the payment provider's signed webhook."""
    try:
        response = handle_webhook(
            request_from_api_gateway(event),
            signing_secret=signing_secret(read_provider_secret(_secrets())),
            authorisations=_authorisations(),
            states_client=_states(),
            now=time.time(),
        )
    except TransientError as error:
        logger.warning("Webhook deferred: transient failure", extra={"error": str(error)})
        response = WebhookResponse(status_code=503, body={"message": "try again later"})
    _count_decision(response.delivery)
    return response.to_api_gateway()


@handler
def start_period_runs(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler's target: start the period's billing run of every customer, once."""
    runs = start_runs(
        event,
        states=_states(),
        state_machine_arn=os.environ[STATE_MACHINE_ARN_ENV],
        workflow=os.environ[WORKFLOW_NAME_ENV],
    )
    logger.info(
        "Billing runs started for the period",
        extra={"started": sum(r.started for r in runs), "already_started": sum(not r.started for r in runs)},
    )
    return {"runs": [r.to_json() for r in runs]}
