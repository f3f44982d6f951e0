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
from workflow_runtime import error_code, transient_aws_errors

from onboarding.contract import CUSTOMER_ACTIVE as ACTIVE
from onboarding.contract import CUSTOMER_ONBOARDING as ONBOARDING
from onboarding.contract import CUSTOMER_ONBOARDING_FAILED as ONBOARDING_FAILED

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


def _transition(dynamodb: Any, action: str, **update: Any) -> bool:
    """Make a conditional update; False when its condition did not hold (nothing was written)."""
    try:
        with transient_aws_errors(action):
            dynamodb.update_item(**update)
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _attribute(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name, {})
    return str(value.get("S", value.get("N"))) if value else None


def _describe(item: dict[str, Any]) -> str:
    status = _attribute(item, "status") or "missing"
    owner = _attribute(item, "correlationId") or "nobody"
    return f"status [{status}], request [{owner}]"


def complete_onboarding(
    *,
    table_name: str,
    customer_id: str,
    correlation_id: str,
    provisioned: dict[str, Any],
    welcome_email_status: str,
    now: str,
    dynamodb: Any,
) -> Transition:
    """Mark the customer ACTIVE and keep what was provisioned, and whether the welcome email went out
    (``SENT`` or ``PENDING``), on the record.

    The stored ``provisioned`` lets a later run of the same request answer without doing anything,
    or, when the welcome email is ``PENDING``, send only that.
    """
    output = {
        "correlationId": correlation_id,
        "customerId": customer_id,
        "status": ACTIVE,
        "provisioned": provisioned,
        "welcomeEmail": {"status": welcome_email_status},
    }
    changed = _transition(
        dynamodb,
        "mark the customer active",
        TableName=table_name,
        Key={"customerId": {"S": customer_id}},
        UpdateExpression="SET #status = :active, provisioned = :provisioned, "
        "welcomeEmailStatus = :welcome, activatedAt = :now, updatedAt = :now",
        ConditionExpression="correlationId = :request AND #status = :onboarding",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":active": {"S": ACTIVE},
            ":onboarding": {"S": ONBOARDING},
            ":request": {"S": correlation_id},
            ":provisioned": {"S": json.dumps(provisioned, sort_keys=True)},
            ":welcome": {"S": welcome_email_status},
            ":now": {"S": now},
        },
    )
    if not changed:
        item = _current(dynamodb, table_name, customer_id)
        if (_attribute(item, "status"), _attribute(item, "correlationId")) != (ACTIVE, correlation_id):
            raise CustomerNotOnboardingError(
                f"customer [{customer_id}] cannot become active for request [{correlation_id}]: "
                f"the record has {_describe(item)}"
            )
    return Transition(output=output, changed=changed)


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
    changed = _transition(
        dynamodb,
        "record the onboarding failure",
        TableName=table_name,
        Key={"customerId": {"S": customer_id}},
        UpdateExpression="SET #status = :failed, failureError = :error, failureCause = :cause, "
        "failedAt = :now, updatedAt = :now, attempt = attempt + :one",
        ConditionExpression="correlationId = :request AND #status = :onboarding AND attempt = :attempt",
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
    if not changed:
        item = _current(dynamodb, table_name, customer_id)
        recorded = (ONBOARDING_FAILED, correlation_id, str(attempt + 1))
        if (
            _attribute(item, "status"),
            _attribute(item, "correlationId"),
            _attribute(item, "attempt"),
        ) != recorded:
            raise CustomerNotOnboardingError(
                f"cannot record the failure of customer [{customer_id}] for request [{correlation_id}], "
                f"attempt [{attempt}]: the record has {_describe(item)}"
            )
    return Transition(output=output, changed=changed)
