"""Onboarding logic runs against moto's DynamoDB and S3: tables and a versioned bucket per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from onboarding.tenant import TenantStores

REGION = "eu-west-1"
CUSTOMERS_TABLE = "customers"
TENANTS_TABLE = "tenants"
TENANT_BUCKET = "tenant-bucket"


@dataclass(frozen=True)
class Aws:
    """moto clients, the tenant stores, and helpers to read and seed the customer table."""

    dynamodb: Any
    s3: Any
    stores: TenantStores

    def customer(self, customer_id: str) -> dict[str, str]:
        """The customer item as plain strings (numbers as their text); empty when there is none."""
        item = self.dynamodb.get_item(TableName=CUSTOMERS_TABLE, Key={"customerId": {"S": customer_id}})
        return {key: next(iter(value.values())) for key, value in item.get("Item", {}).items()}

    def put_customer(self, customer_id: str, **attributes: str | int) -> None:
        """Write a customer record as the workflow's "Record the customer as onboarding" step would."""
        item = {"customerId": {"S": customer_id}}
        for key, value in attributes.items():
            item[key] = {"N": str(value)} if isinstance(value, int) else {"S": value}
        self.dynamodb.put_item(TableName=CUSTOMERS_TABLE, Item=item)

    def tenant_keys(self, tenant_id: str) -> list[str]:
        """Every object version key under the tenant's prefix (delete markers included)."""
        listing = self.s3.list_object_versions(Bucket=TENANT_BUCKET, Prefix=f"tenants/{tenant_id}/")
        return sorted(v["Key"] for v in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])])


@pytest.fixture
def aws(monkeypatch) -> Iterator[Aws]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        s3 = boto3.client("s3", region_name=REGION)
        for table, key in ((CUSTOMERS_TABLE, "customerId"), (TENANTS_TABLE, "tenantId")):
            dynamodb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        s3.create_bucket(Bucket=TENANT_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=TENANT_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield Aws(dynamodb, s3, TenantStores(table_name=TENANTS_TABLE, bucket_name=TENANT_BUCKET))
