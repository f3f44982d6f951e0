"""The customer record's last transitions: ONBOARDING to ACTIVE, or to ONBOARDING_FAILED.

The workflow writes the record as ONBOARDING itself (a direct DynamoDB integration). These two
transitions are Lambda steps because each must count a business metric exactly once: the update
is conditional on the record still being ONBOARDING for this request, so a retried step finds the
transition already made, reports ``changed=False`` and the handler does not count it again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from shared.aws_errors import error_code, transient_aws_errors

ONBOARDING = "ONBOARDING"
ACTIVE = "ACTIVE"
ONBOARDING_FAILED = "ONBOARDING_FAILED"
FAILURE_CAUSE_MAX_CHARS = 4000  # a Lambda cause carries a stack trace; keep the record small


class CustomerNotOnboardingError(Exception):
    """The record is not ONBOARDING for this request (another request owns it, or it was changed)."""


@dataclass(frozen=True)
class Transition:
    """What a transition step returns to the workflow, and whether this call made the change."""

    output: dict[str, Any]
    changed: bool


def _current(dynamodb: Any, table_name: str, customer_id: str) -> dict[str, Any]:
    with transient_aws_errors("read the customer record"):
        return dict(
            dynamodb.get_item(
                TableName=table_name, Key={"customerId": {"S": customer_id}}, ConsistentRead=True
            ).get("Item")
            or {}
        )


def _describe(item: dict[str, Any]) -> str:
    status = item.get("status", {}).get("S", "missing")
    owner = item.get("correlationId", {}).get("S", "nobody")
    return f"status [{status}], request [{owner}]"


def complete_onboarding(
    *,
    table_name: str,
    customer_id: str,
    correlation_id: str,
    provisioned: dict[str, Any],
    now: str,
    dynamodb: Any,
) -> Transition:
    """Mark the customer ACTIVE and keep what was provisioned on the record.

    The stored ``provisioned`` lets a later run of the same request answer without doing anything.
    """
    output = {
        "correlationId": correlation_id,
        "customerId": customer_id,
        "status": ACTIVE,
        "provisioned": provisioned,
    }
    try:
        with transient_aws_errors("mark the customer active"):
            dynamodb.update_item(
                TableName=table_name,
                Key={"customerId": {"S": customer_id}},
                UpdateExpression="SET #status = :active, provisioned = :provisioned, "
                "activatedAt = :now, updatedAt = :now",
                ConditionExpression="correlationId = :request AND #status = :onboarding",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":active": {"S": ACTIVE},
                    ":onboarding": {"S": ONBOARDING},
                    ":request": {"S": correlation_id},
                    ":provisioned": {"S": json.dumps(provisioned, sort_keys=True)},
                    ":now": {"S": now},
                },
            )
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise
        item = _current(dynamodb, table_name, customer_id)
        if item.get("status", {}).get("S") == ACTIVE and item.get("correlationId", {}).get("S") == (
            correlation_id
        ):
            return Transition(output=output, changed=False)
        raise CustomerNotOnboardingError(
            f"customer [{customer_id}] cannot become active for request [{correlation_id}]: "
            f"the record has {_describe(item)}"
        ) from None
    return Transition(output=output, changed=True)


def record_failure(
    *,
    table_name: str,
    customer_id: str,
    correlation_id: str,
    attempt: int,
    error: str,
    cause: str,
    now: str,
    dynamodb: Any,
) -> Transition:
    """Mark the customer ONBOARDING_FAILED with why, and move on to the next attempt number.

    The attempt number names the nested user-provisioning execution: after a failure, a re-run of
    the same request starts a fresh child instead of finding the failed one.
    """
    output = {"customerId": customer_id, "status": ONBOARDING_FAILED, "error": error}
    try:
        with transient_aws_errors("record the onboarding failure"):
            dynamodb.update_item(
                TableName=table_name,
                Key={"customerId": {"S": customer_id}},
                UpdateExpression="SET #status = :failed, failureError = :error, failureCause = :cause, "
                "failedAt = :now, updatedAt = :now, attempt = attempt + :one",
                ConditionExpression="correlationId = :request AND #status = :onboarding "
                "AND attempt = :attempt",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":failed": {"S": ONBOARDING_FAILED},
                    ":onboarding": {"S": ONBOARDING},
                    ":request": {"S": correlation_id},
                    ":attempt": {"N": str(attempt)},
                    ":one": {"N": "1"},
                    ":error": {"S": error or "Unknown"},
                    ":cause": {"S": (cause or "")[:FAILURE_CAUSE_MAX_CHARS]},
                    ":now": {"S": now},
                },
            )
    except ClientError as failure:
        if error_code(failure) != "ConditionalCheckFailedException":
            raise
        item = _current(dynamodb, table_name, customer_id)
        already = (
            item.get("status", {}).get("S") == ONBOARDING_FAILED
            and item.get("correlationId", {}).get("S") == correlation_id
            and int(item.get("attempt", {}).get("N", "0")) == attempt + 1
        )
        if already:
            return Transition(output=output, changed=False)
        raise CustomerNotOnboardingError(
            f"cannot record the failure of customer [{customer_id}] for request [{correlation_id}], "
            f"attempt [{attempt}]: the record has {_describe(item)}"
        ) from None
    return Transition(output=output, changed=True)
