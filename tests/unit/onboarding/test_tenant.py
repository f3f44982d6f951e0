"""Provisioning and rolling back a tenant: re-runnable both ways, nothing left after a rollback."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from onboarding.tenant import TenantRollbackIncompleteError, provision_tenant, roll_back_tenant
from workflow_runtime.errors import TransientError

CUSTOMER = {"id": "acme", "name": "Acme", "email": "ops@acme.example", "plan": "team"}
NOW = "2026-01-02T03:04:05.000Z"


def _provision(aws, *, created_at=NOW, correlation_id="req-1", dynamodb=None, s3=None):
    return provision_tenant(
        customer=CUSTOMER,
        correlation_id=correlation_id,
        stores=aws.stores,
        created_at=created_at,
        dynamodb=dynamodb or aws.dynamodb,
        s3=s3 or aws.s3,
    )


def _config(aws):
    item = aws.dynamodb.get_item(TableName="tenants", Key={"tenantId": {"S": "acme"}}).get("Item")
    return {key: value["S"] for key, value in item.items()} if item else None


def test_provisioning_creates_the_config_record_and_the_storage_prefix(aws):
    # WHEN the tenant is provisioned
    described = _provision(aws)

    # THEN it says what it made, and both the record and the prefix's marker object exist
    assert described == {
        "tenantId": "acme",
        "configTable": "tenants",
        "storageBucket": "tenant-bucket",
        "storagePrefix": "tenants/acme/",
    }
    assert _config(aws) == {
        **described,
        "customerId": "acme",
        "plan": "team",
        "createdAt": NOW,
        "correlationId": "req-1",
    }
    marker = aws.s3.get_object(Bucket="tenant-bucket", Key="tenants/acme/tenant.json")
    assert json.loads(marker["Body"].read())["tenantId"] == "acme"


def test_provisioning_again_keeps_the_existing_record(aws):
    # GIVEN a provisioned tenant
    _provision(aws)

    # WHEN provisioning runs again later (a retry, or a re-run of the request)
    described = _provision(aws, created_at="2026-02-02T00:00:00.000Z", correlation_id="req-1")

    # THEN the result is the same and the record still says when it was first created
    assert described["storagePrefix"] == "tenants/acme/"
    assert _config(aws)["createdAt"] == NOW
    assert aws.dynamodb.scan(TableName="tenants")["Count"] == 1


def test_rollback_removes_every_object_version_and_the_record(aws):
    # GIVEN a provisioned tenant whose prefix holds more objects, one overwritten, one deleted
    _provision(aws)
    for body in (b"v1", b"v2"):
        aws.s3.put_object(Bucket="tenant-bucket", Key="tenants/acme/data.csv", Body=body)
    aws.s3.put_object(Bucket="tenant-bucket", Key="tenants/acme/old.csv", Body=b"x")
    aws.s3.delete_object(Bucket="tenant-bucket", Key="tenants/acme/old.csv")
    aws.s3.put_object(Bucket="tenant-bucket", Key="tenants/acme-other/keep.csv", Body=b"not ours")

    # WHEN the tenant is rolled back
    result = roll_back_tenant(tenant_id="acme", stores=aws.stores, dynamodb=aws.dynamodb, s3=aws.s3)

    # THEN nothing of it is left (no versions, no delete markers), and the neighbour is untouched
    assert result == {
        "tenantId": "acme",
        "storagePrefix": "tenants/acme/",
        "deletedObjectVersions": 5,  # tenant.json, data.csv v1 and v2, old.csv and its delete marker
        "deletedConfig": True,
    }
    assert aws.tenant_keys("acme") == []
    assert _config(aws) is None
    assert aws.tenant_keys("acme-other") == ["tenants/acme-other/keep.csv"]


def test_rollback_again_or_before_anything_was_made_finds_nothing_to_do(aws):
    # WHEN a tenant that was never provisioned is rolled back, twice
    results = [
        roll_back_tenant(tenant_id="acme", stores=aws.stores, dynamodb=aws.dynamodb, s3=aws.s3)
        for _ in range(2)
    ]

    # THEN both succeed and report nothing deleted
    assert [(r["deletedObjectVersions"], r["deletedConfig"]) for r in results] == [(0, False), (0, False)]


def test_rollback_deletes_large_prefixes_in_batches(aws, monkeypatch):
    # GIVEN a tenant with more objects than one delete batch holds
    monkeypatch.setattr("onboarding.tenant.DELETE_BATCH", 3)
    _provision(aws)
    for index in range(7):
        aws.s3.put_object(Bucket="tenant-bucket", Key=f"tenants/acme/file-{index}", Body=b"x")

    # WHEN it is rolled back
    result = roll_back_tenant(tenant_id="acme", stores=aws.stores, dynamodb=aws.dynamodb, s3=aws.s3)

    # THEN every version went, over several DeleteObjects calls
    assert result["deletedObjectVersions"] == 8
    assert aws.tenant_keys("acme") == []


class _FailingS3:
    """Stands in for S3: DeleteObjects reports per-object errors with ``code``; the rest is moto."""

    def __init__(self, real, code):
        self._real = real
        self._code = code

    def __getattr__(self, name):
        return getattr(self._real, name)

    def delete_objects(self, Bucket, Delete):  # noqa: N803  (boto3's argument names)
        return {"Errors": [{"Key": o["Key"], "Code": self._code} for o in Delete["Objects"]]}


@pytest.mark.parametrize(
    ("code", "error"), [("SlowDown", TransientError), ("AccessDenied", TenantRollbackIncompleteError)]
)
def test_objects_that_could_not_be_deleted_fail_the_rollback(aws, code, error):
    # GIVEN a provisioned tenant and an S3 that refuses to delete its objects with `code`
    _provision(aws)

    # WHEN it is rolled back
    # THEN the step fails (retried when the refusal is transient), naming the object
    with pytest.raises(error, match=rf"could not delete 1 object\(s\): tenants/acme/tenant.json \({code}\)"):
        roll_back_tenant(
            tenant_id="acme", stores=aws.stores, dynamodb=aws.dynamodb, s3=_FailingS3(aws.s3, code)
        )


class _ThrottledDynamoDb:
    """Every call is throttled, as DynamoDB answers after botocore's own retries gave up."""

    def __getattr__(self, name):
        def call(**_):
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, name
            )

        return call


def test_throttling_fails_the_step_as_transient_so_step_functions_retries_it(aws):
    with pytest.raises(TransientError, match=r"^could not write the tenant configuration: Provisioned"):
        _provision(aws, dynamodb=_ThrottledDynamoDb())
