"""A customer's tenant: its configuration record and its storage prefix, created and rolled back.

Both operations can run any number of times with the same result: provisioning creates what is
missing and keeps what exists; rolling back deletes what exists (every object version under the
tenant's prefix, then the configuration record) and is satisfied when nothing is left. The tenant
id is the customer id: one tenant per customer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from workflow_runtime import DELETE_BATCH, delete_versions, error_code, transient_aws_errors

TENANT_PREFIX_ROOT = "tenants/"
TENANT_MARKER = "tenant.json"
"""The object that makes a tenant's prefix exist: the tenant's configuration, readable by its apps."""


class TenantRollbackIncompleteError(Exception):
    """Some objects under the tenant's prefix could not be deleted; the message names them."""


@dataclass(frozen=True)
class TenantStores:
    """Where tenants live: the configuration table and the storage bucket."""

    table_name: str
    bucket_name: str


def tenant_prefix(tenant_id: str) -> str:
    """The key prefix that holds everything a tenant stores: ``tenants/<tenant id>/``."""
    return f"{TENANT_PREFIX_ROOT}{tenant_id}/"


def _description(tenant_id: str, stores: TenantStores) -> dict[str, str]:
    return {
        "tenantId": tenant_id,
        "configTable": stores.table_name,
        "storageBucket": stores.bucket_name,
        "storagePrefix": tenant_prefix(tenant_id),
    }


def provision_tenant(
    *,
    customer: dict[str, str],
    correlation_id: str,
    stores: TenantStores,
    created_at: str,
    dynamodb: Any,
    s3: Any,
) -> dict[str, str]:
    """Create the tenant of ``customer`` (config record, storage prefix) unless it exists.

    Returns what the tenant consists of. An existing configuration record is kept as it is, so a
    re-run neither overwrites when the tenant was created nor who asked for it.
    """
    tenant_id = customer["id"]
    described = _description(tenant_id, stores)
    config = {
        **described,
        "customerId": customer["id"],
        "plan": customer["plan"],
        "createdAt": created_at,
        "correlationId": correlation_id,
    }
    try:
        with transient_aws_errors("write the tenant configuration"):
            dynamodb.put_item(
                TableName=stores.table_name,
                Item={key: {"S": value} for key, value in config.items()},
                ConditionExpression="attribute_not_exists(tenantId)",
            )
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise
        config = _existing_config(tenant_id, stores, dynamodb) or config
    with transient_aws_errors("create the tenant storage prefix"):
        s3.put_object(
            Bucket=stores.bucket_name,
            Key=f"{tenant_prefix(tenant_id)}{TENANT_MARKER}",
            Body=json.dumps(config, sort_keys=True).encode(),
            ContentType="application/json",
        )
    return described


def _existing_config(tenant_id: str, stores: TenantStores, dynamodb: Any) -> dict[str, str] | None:
    with transient_aws_errors("read the tenant configuration"):
        item = dynamodb.get_item(
            TableName=stores.table_name, Key={"tenantId": {"S": tenant_id}}, ConsistentRead=True
        ).get("Item")
    return {key: value["S"] for key, value in item.items() if "S" in value} if item else None


def roll_back_tenant(*, tenant_id: str, stores: TenantStores, dynamodb: Any, s3: Any) -> dict[str, Any]:
    """Delete everything of the tenant: every object version under its prefix, then its config.

    Returns what was removed. Safe to repeat, and safe when provisioning never got that far.
    """
    prefix = tenant_prefix(tenant_id)
    deleted = 0
    with transient_aws_errors("delete the tenant storage"):
        batch: list[dict[str, str]] = []
        for page in s3.get_paginator("list_object_versions").paginate(
            Bucket=stores.bucket_name, Prefix=prefix
        ):
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                batch.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
                if len(batch) == DELETE_BATCH:
                    deleted += _delete(s3, stores.bucket_name, batch)
                    batch = []
        if batch:
            deleted += _delete(s3, stores.bucket_name, batch)
    with transient_aws_errors("delete the tenant configuration"):
        removed = dynamodb.delete_item(
            TableName=stores.table_name, Key={"tenantId": {"S": tenant_id}}, ReturnValues="ALL_OLD"
        ).get("Attributes")
    return {
        "tenantId": tenant_id,
        "storagePrefix": prefix,
        "deletedObjectVersions": deleted,
        "deletedConfig": removed is not None,
    }


def _delete(s3: Any, bucket: str, objects: list[dict[str, str]]) -> int:
    return delete_versions(s3, bucket=bucket, objects=objects, incomplete=TenantRollbackIncompleteError)
