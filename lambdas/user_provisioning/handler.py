"""Lambda entry points of the user-provisioning workflow: decorators and one call each."""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime
from typing import Any

import boto3
from workflow_runtime import handler, idempotent_handler, metrics

from user_provisioning import access_scope, api_key, deprovisioning, report, request, storage_prefix

# One provision or removal per resource per run: a repeated invocation returns the first answer.
RESOURCE_IDEMPOTENCY_KEY = "[runId, action, resource.key]"


@functools.cache
def _client(service: str) -> Any:
    return boto3.client(service)


@handler
def validate_request(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Step "Validate the provisioning request": the plan, or ``ProvisioningRequestInvalid``."""
    return request.plan(
        event,
        types=request.load_type_specs(os.environ["RESOURCE_TYPES"]),
        now=datetime.now(UTC),
        lock_seconds=int(os.environ["LOCK_SECONDS"]),
    )


@handler
def summarize_outcome(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Steps "Summarize the ...": the per-resource report, and the business metrics."""
    return report.summarize(event, metrics=metrics)


@handler
def validate_deprovisioning_request(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Step "Validate the deprovisioning request": the run's state, or ``DeprovisioningRequestInvalid``."""
    return deprovisioning.plan_request(
        event, now=datetime.now(UTC), lock_seconds=int(os.environ["LOCK_SECONDS"])
    )


@handler
def plan_removal(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Step "Read what the ledger says was created": the user's ledger entries, last requested first."""
    return {
        "resources": deprovisioning.removal_order(
            dynamodb=_client("dynamodb"), table_name=os.environ["USERS_TABLE"], key=event["userKey"]
        )
    }


@handler
def summarize_deprovisioning(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Step "Summarize the deprovisioning": the per-resource report, and the business metrics."""
    return deprovisioning.summarize(event, metrics=metrics)


@handler
@idempotent_handler(event_key_jmespath=RESOURCE_IDEMPOTENCY_KEY)
def access_scope_resource(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Provisioner of ``access-scope``: the user's grant to the shared, tag-scoped role."""
    return access_scope.handle(
        event, dynamodb=_client("dynamodb"), settings=access_scope.AccessScopeSettings.from_environment()
    )


@handler
@idempotent_handler(event_key_jmespath=RESOURCE_IDEMPOTENCY_KEY)
def api_key_resource(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Provisioner of ``api-key``: a generated key, kept only as its hash, delivered once encrypted."""
    return api_key.handle(
        event,
        dynamodb=_client("dynamodb"),
        kms=_client("kms"),
        settings=api_key.ApiKeySettings.from_environment(),
    )


@handler
@idempotent_handler(event_key_jmespath=RESOURCE_IDEMPOTENCY_KEY)
def storage_prefix_resource(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Remover of ``storage-prefix``: every object version and delete marker under the folder."""
    return storage_prefix.handle(
        event, s3=_client("s3"), settings=storage_prefix.StoragePrefixSettings.from_environment()
    )
