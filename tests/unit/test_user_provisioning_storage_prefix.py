"""The storage-prefix remover against moto's versioned S3 (lambdas/user_provisioning/storage_prefix.py)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from user_provisioning import storage_prefix
from workflow_runtime.errors import TransientError

RUN = "arn:aws:states:eu-west-1:123456789012:execution:user-provisioning:run-1"
OTHER_RUN = "arn:aws:states:eu-west-1:123456789012:execution:user-provisioning:run-0"
BUCKET = "tenant-bucket"
SETTINGS = storage_prefix.StoragePrefixSettings.from_environment(
    {"TENANT_BUCKET_NAME": BUCKET, "USER_STORAGE_ROOT": "tenants/{tenant_id}/users/{user_id}/"}
)
FOLDER = "tenants/acme/users/u-1/home/"


def event(action="deprovision", run=RUN, name="home"):
    return {
        "action": action,
        "correlationId": "corr-1",
        "runId": run,
        "tenantId": "acme",
        "user": {"id": "u-1", "email": "ada@acme.example", "role": "admin"},
        "resource": {
            "index": 0,
            "type": "storage-prefix",
            "name": name,
            "key": f"storage-prefix#{name}",
            "config": {"name": name},
        },
    }


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


def versions_under(s3, prefix):
    listing = s3.list_object_versions(Bucket=BUCKET, Prefix=prefix)
    return [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]


def a_used_folder(s3, run=RUN):
    """The folder's marker, and the user's data: overwritten, deleted, overwritten again."""
    s3.put_object(Bucket=BUCKET, Key=FOLDER, Body=b"", Metadata={"provisioned-by": run})
    for version in range(3):
        s3.put_object(Bucket=BUCKET, Key=f"{FOLDER}report.csv", Body=f"v{version}".encode())
    s3.delete_object(Bucket=BUCKET, Key=f"{FOLDER}report.csv")  # a delete marker over three versions
    s3.put_object(Bucket=BUCKET, Key=f"{FOLDER}notes/todo.txt", Body=b"secret plans")
    s3.delete_object(Bucket=BUCKET, Key=f"{FOLDER}notes/todo.txt")


def test_a_removed_users_data_is_not_recoverable_no_version_or_delete_marker_is_left(s3):
    # GIVEN a user's folder with current, noncurrent and deleted objects, and a neighbour's folders
    a_used_folder(s3)
    s3.put_object(Bucket=BUCKET, Key="tenants/acme/users/u-1/home2/keep.txt", Body=b"other folder")
    s3.put_object(Bucket=BUCKET, Key="tenants/acme/users/u-10/home/keep.txt", Body=b"other user")
    before = len(versions_under(s3, FOLDER))

    # WHEN the folder is removed, a page of two at a time
    result = storage_prefix.remove(
        storage_prefix.ResourceRequest.from_event(event()), s3=s3, settings=SETTINGS, page_size=2
    )

    # THEN no version and no delete marker of it is left: nothing to restore, nothing billed
    assert versions_under(s3, FOLDER) == []
    assert result == {
        "outcome": "REMOVED",
        "resourceId": f"s3://{BUCKET}/{FOLDER}",
        "key": FOLDER,
        "deletedVersions": before,
    }
    assert before == 7  # the folder marker; 3 versions and a delete marker; 1 version and a delete marker
    # AND the neighbours are untouched
    assert len(versions_under(s3, "tenants/acme/users/u-1/home2/")) == 1
    assert len(versions_under(s3, "tenants/acme/users/u-10/")) == 1


def test_removing_again_finds_it_already_gone(s3):
    a_used_folder(s3)
    storage_prefix.handle(event(), s3=s3, settings=SETTINGS)

    again = storage_prefix.handle(event(), s3=s3, settings=SETTINGS)

    assert again["outcome"] == "ALREADY_GONE"


def test_a_folder_another_run_created_is_kept(s3):
    a_used_folder(s3, run=OTHER_RUN)

    result = storage_prefix.handle(event(), s3=s3, settings=SETTINGS)

    assert result["outcome"] == "KEPT"
    assert len(versions_under(s3, FOLDER)) == 7


def test_a_folder_too_big_for_one_call_carries_on_in_the_steps_retry(s3):
    a_used_folder(s3)
    ticks = iter(range(100))

    with pytest.raises(TransientError, match="more remain; continuing"):
        storage_prefix.remove(
            storage_prefix.ResourceRequest.from_event(event()),
            s3=s3,
            settings=SETTINGS,
            page_size=2,
            budget_seconds=0.5,
            clock=lambda: float(next(ticks)),
        )
    assert len(versions_under(s3, FOLDER)) == 7 - 2  # one page deleted, then the budget ran out
    # The retry (a new invocation) finishes the job.
    assert storage_prefix.handle(event(), s3=s3, settings=SETTINGS)["outcome"] == "REMOVED"
    assert versions_under(s3, FOLDER) == []


def test_the_function_only_removes(s3):
    with pytest.raises(ValueError, match="created by the state machine"):
        storage_prefix.handle(event(action="provision"), s3=s3, settings=SETTINGS)
