"""Deleting object versions by id from a versioned bucket, said once for every handler.

In a versioned bucket ``DeleteObject`` without a version id only adds a delete marker: the data stays,
billable and recoverable. Deleting for good names each version (and each delete marker) by its id.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html
"""

from __future__ import annotations

from typing import Any

from workflow_runtime.aws_errors import TRANSIENT_ERROR_CODES
from workflow_runtime.errors import TransientError

DELETE_BATCH = 1000  # the most keys one DeleteObjects call accepts


def delete_versions(
    s3: Any, *, bucket: str, objects: list[dict[str, str]], incomplete: type[Exception]
) -> int:
    """Delete ``objects`` (``{"Key", "VersionId"}``, at most :data:`DELETE_BATCH`); returns how many.

    Per-key failures that are all transient raise :class:`TransientError`; any other raises
    ``incomplete`` with the first failures named.
    """
    response = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
    errors = response.get("Errors", [])
    if errors:
        failed = ", ".join(f"{e['Key']} ({e.get('Code')})" for e in errors[:10])
        message = f"could not delete {len(errors)} object(s): {failed}"
        if all(e.get("Code") in TRANSIENT_ERROR_CODES for e in errors):
            raise TransientError(message)
        raise incomplete(message)
    return len(objects)
