"""Buckets the workflow constructs create when the caller brings none."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_s3 as s3
from workflow_constructs.checkov_skips import skip_checkov
from workflow_constructs.retention import RETAINED

from constructs import Construct

ACCESS_LOGS_BY_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"
ACCESS_LOG_RETENTION = Duration.days(365)


def access_log_bucket(scope: Construct, id: str) -> s3.Bucket:
    """A bucket for S3 server access logs: S3-managed encryption (the only kind log delivery writes
    to), versioned, SSL-only, private, retained, logs expired after ``ACCESS_LOG_RETENTION``.

    The bucket logging to it must be created where ``ACCESS_LOGS_BY_POLICY`` is on (see
    ``secure_bucket``), so delivery is granted by bucket policy, not the legacy ACL.
    """
    bucket = _bucket(
        scope,
        id,
        lifecycle_rules=[
            s3.LifecycleRule(expiration=ACCESS_LOG_RETENTION, noncurrent_version_expiration=Duration.days(30))
        ],
    )
    loop = "This bucket receives other buckets' access logs; logging its own access would loop."
    Validations.of(bucket).acknowledge(Acknowledgment(id="AwsSolutions-S1", reason=loop))
    skip_checkov(bucket, "CKV_AWS_18", reason=loop)
    return bucket


def secure_bucket(scope: Construct, id: str) -> s3.Bucket:
    """A versioned, S3-encrypted, SSL-only, private bucket, retained on stack deletion, access-logged.

    Creates ``<id>`` and its access-log bucket ``<id>AccessLogs`` inside a construct ``<id>Storage``.
    """
    storage = Construct(scope, f"{id}Storage")
    # Deliver access logs under a bucket policy, as AWS recommends, rather than the legacy
    # LogDeliveryWrite ACL, whatever the app's feature flags say.
    storage.node.set_context(ACCESS_LOGS_BY_POLICY, True)
    access_logs = access_log_bucket(storage, f"{id}AccessLogs")
    return _bucket(storage, id, server_access_logs_bucket=access_logs, server_access_logs_prefix=f"{id}/")


def _bucket(scope: Construct, id: str, **props: Any) -> s3.Bucket:
    return s3.Bucket(
        scope,
        id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=True,
        removal_policy=RETAINED,
        **props,
    )
