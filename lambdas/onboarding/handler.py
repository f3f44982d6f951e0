"""Lambda entry points of the customer onboarding workflow: decorators and one call each.

Configuration comes from the environment the construct sets: ``CUSTOMERS_TABLE``,
``TENANTS_TABLE``, ``TENANT_BUCKET`` and ``ALLOWED_PLANS`` (comma-separated). Every payload carries
the execution's ``correlationId``; the steps after validation also carry ``customer`` and ``now``
(the time the step was entered, so every write of one step has the same timestamp).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from workflow_runtime import handler, metrics

from onboarding import customers, request, tenant
from onboarding.contract import METRIC_CUSTOMERS_ONBOARDED as CUSTOMERS_ONBOARDED
from onboarding.contract import METRIC_ONBOARDING_FAILED as ONBOARDING_FAILED


@cache
def _client(service: str) -> Any:
    # Created once per warm runtime, not per invocation.
    return boto3.client(service)


def _stores() -> tenant.TenantStores:
    return tenant.TenantStores(
        table_name=os.environ["TENANTS_TABLE"], bucket_name=os.environ["TENANT_BUCKET"]
    )


def _plans() -> list[str]:
    return [plan.strip() for plan in os.environ["ALLOWED_PLANS"].split(",") if plan.strip()]


def _customer_keys(event: dict[str, Any]) -> dict[str, Any]:
    customer = event.get("customer") or {}
    return {"customer_id": customer.get("id"), "plan": customer.get("plan")}


@handler(log_keys=_customer_keys)
def validate_request(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Validate and normalise the execution input; fail ``OnboardingRequestInvalid`` listing every problem."""
    return request.validate_request(event, plans=_plans()).to_state()


@handler(log_keys=_customer_keys)
def provision_tenant(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Create the customer's tenant configuration and storage prefix (re-runnable)."""
    return {
        "tenant": tenant.provision_tenant(
            customer=event["customer"],
            correlation_id=event["correlationId"],
            stores=_stores(),
            created_at=event["now"],
            dynamodb=_client("dynamodb"),
            s3=_client("s3"),
        )
    }


@handler(log_keys=_customer_keys)
def roll_back_tenant(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Delete whatever provisioning created for the customer's tenant (re-runnable)."""
    return tenant.roll_back_tenant(
        tenant_id=event["customer"]["id"], stores=_stores(), dynamodb=_client("dynamodb"), s3=_client("s3")
    )


@handler(log_keys=_customer_keys)
def complete_onboarding(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Mark the customer ACTIVE (welcome email ``SENT`` or ``PENDING``); count ``CustomersOnboarded``
    once per customer."""
    transition = customers.complete_onboarding(
        table_name=os.environ["CUSTOMERS_TABLE"],
        customer_id=event["customer"]["id"],
        correlation_id=event["correlationId"],
        provisioned=event["provisioned"],
        welcome_email_status=str(event["welcomeEmail"]["status"]),
        now=event["now"],
        dynamodb=_client("dynamodb"),
    )
    if transition.changed:
        metrics.add_metric(name=CUSTOMERS_ONBOARDED, unit=MetricUnit.Count, value=1)
    return transition.output


@handler(log_keys=_customer_keys)
def record_failure(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Mark the customer ONBOARDING_FAILED with the error; count ``OnboardingFailed`` once per attempt."""
    failure = event["failure"]
    transition = customers.record_failure(
        table_name=os.environ["CUSTOMERS_TABLE"],
        customer_id=event["customer"]["id"],
        correlation_id=event["correlationId"],
        attempt=int(event["attempt"]),
        error=str(failure.get("Error", "")),
        cause=str(failure.get("Cause", "")),
        now=event["now"],
        dynamodb=_client("dynamodb"),
    )
    if transition.changed:
        metrics.add_metric(name=ONBOARDING_FAILED, unit=MetricUnit.Count, value=1)
    return transition.output
