"""``storage-prefix`` removal: every version and delete marker under the user's folder, not a marker.

The tenant bucket is versioned, so ``DeleteObject`` without a version only adds a delete marker: the
data stays, billable and recoverable by anyone allowed ``s3:GetObjectVersion``. Removing a folder
therefore lists every version and delete marker under ``tenants/<tenant>/users/<user>/<name>/``
(ListObjectVersions) and deletes each by its version id (DeleteObjects, 1,000 a call), until a
listing comes back empty. (Creating the folder stays a direct S3 integration in the state machine.)
https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from workflow_runtime import DELETE_BATCH, TransientError, delete_versions, error_code, transient_aws_errors

from user_provisioning.resource_request import (
    ALREADY_GONE,
    KEPT,
    OWNER_TAG,
    REMOVED,
    ResourceRequest,
    dispatch,
)

DEFAULT_BUDGET_SECONDS = 4 * 60  # 4 minutes of the function's 5; the step's retry carries on after


class StorageRemovalIncompleteError(Exception):
    """Some object versions under the folder could not be deleted for a reason a retry will not fix."""


@dataclass(frozen=True)
class StoragePrefixSettings:
    """The tenant bucket and where users' folders live in it; set by the construct."""

    bucket: str
    user_storage_root: str
    """Format string of a user's prefix in the bucket: ``tenants/{tenant_id}/users/{user_id}/``."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> StoragePrefixSettings:
        return cls(bucket=environ["TENANT_BUCKET_NAME"], user_storage_root=environ["USER_STORAGE_ROOT"])


def folder(settings: StoragePrefixSettings, request: ResourceRequest) -> str:
    """The folder's prefix, slash-terminated so ``home/`` never matches ``home2/``."""
    root = settings.user_storage_root.format(tenant_id=request.tenant_id, user_id=request.user_id)
    return f"{root}{request.name}/"


def handle(event: Mapping[str, Any], *, s3: Any, settings: StoragePrefixSettings) -> dict[str, Any]:
    """Remove one storage prefix (only ``deprovision`` reaches this function)."""
    return dispatch(
        event,
        ensure=lambda request: _not_provisioned_here(request),
        remove=lambda request: remove(request, s3=s3, settings=settings),
    )


def remove(
    request: ResourceRequest,
    *,
    s3: Any,
    settings: StoragePrefixSettings,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    page_size: int = DELETE_BATCH,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Delete every version and delete marker under the folder, when this run created it.

    A folder whose marker names another run is left alone (``KEPT``). Safe to repeat: a second call
    finds nothing (``ALREADY_GONE``). Past ``budget_seconds`` it stops with :class:`TransientError`,
    so the step's retry continues where this call left off.
    """
    prefix = folder(settings, request)
    resource_id = f"s3://{settings.bucket}/{prefix}"
    creator = _marker_creator(s3, settings.bucket, prefix)
    if creator is not None and creator != request.run_id:
        return {"outcome": KEPT, "resourceId": resource_id, "key": prefix}
    started, deleted = clock(), 0
    while True:
        with transient_aws_errors("list the folder's object versions"):
            page = s3.list_object_versions(Bucket=settings.bucket, Prefix=prefix, MaxKeys=page_size)
        entries = [
            {"Key": entry["Key"], "VersionId": entry["VersionId"]}
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        if not entries:
            break
        with transient_aws_errors("delete the folder's object versions"):
            deleted += delete_versions(
                s3, bucket=settings.bucket, objects=entries, incomplete=StorageRemovalIncompleteError
            )
        if clock() - started > budget_seconds:
            raise TransientError(
                f"deleted {deleted} object version(s) under [{prefix}] and more remain; continuing"
            )
    outcome = REMOVED if deleted else ALREADY_GONE
    return {"outcome": outcome, "resourceId": resource_id, "key": prefix, "deletedVersions": deleted}


def _marker_creator(s3: Any, bucket: str, prefix: str) -> str | None:
    """The run the folder's current marker names, or ``None`` when there is no current marker."""
    try:
        with transient_aws_errors("read the folder marker"):
            metadata = s3.head_object(Bucket=bucket, Key=prefix).get("Metadata") or {}
    except ClientError as error:
        if error_code(error) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return str(metadata.get(OWNER_TAG, "")) or None


def _not_provisioned_here(request: ResourceRequest) -> dict[str, Any]:
    raise ValueError(
        f"storage-prefix is created by the state machine, not this function. Received: [{request.action}]"
    )
