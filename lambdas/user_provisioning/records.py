"""Removing a provisioned DynamoDB record only when the run asking created it (grants, API keys)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError
from workflow_runtime import error_code, transient_aws_errors

from user_provisioning import contract
from user_provisioning.resource_request import ALREADY_GONE, KEPT, REMOVED, ResourceRequest

CREATOR_ATTRIBUTE = contract.CREATOR_ATTRIBUTE
"""The run (execution ARN) that created a record; written once, with ``if_not_exists``."""


def remove_if_created_by(
    dynamodb: Any, *, table: str, key: Mapping[str, Any], request: ResourceRequest, what: str
) -> str:
    """Delete the record at ``key`` when ``request``'s run created it: ``REMOVED``, ``KEPT`` (another
    run created it; left alone) or ``ALREADY_GONE``. ``what`` names it in error messages."""
    try:
        with transient_aws_errors(f"delete the {what}"):
            dynamodb.delete_item(
                TableName=table,
                Key=dict(key),
                ConditionExpression=f"{CREATOR_ATTRIBUTE} = :run",
                ExpressionAttributeValues={":run": {"S": request.run_id}},
            )
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise
        with transient_aws_errors(f"look up the {what}"):
            item = dynamodb.get_item(TableName=table, Key=dict(key), ConsistentRead=True).get("Item")
        return KEPT if item else ALREADY_GONE
    return REMOVED
