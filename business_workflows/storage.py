"""The one recipe for the business workflows' buckets and the one for their DynamoDB tables.

Every bucket a workflow construct creates comes from :func:`data_bucket` (through
:func:`secure_bucket` when the construct has no access-log bucket of its own yet) or, for the
access logs themselves, :func:`access_log_bucket`; every table from :func:`data_table`.
``tests/constructs/test_skeleton.py`` checks the synthesized app for anything made another way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from workflow_constructs.checkov_skips import skip_checkov

from business_workflows.defaults import (
    ACCESS_LOG_NONCURRENT_RETENTION,
    ACCESS_LOG_RETENTION,
    ACCESS_LOGS_BY_POLICY,
    BUCKET_ENCRYPTION,
    BUCKET_OBJECT_OWNERSHIP,
    DATA_REMOVAL_POLICY,
)
from constructs import Construct

__all__ = [
    "ACCESS_LOGS_BY_POLICY",
    "ACCESS_LOG_RETENTION",
    "access_log_bucket",
    "data_bucket",
    "data_table",
    "secure_bucket",
]


def access_log_bucket(scope: Construct, id: str) -> s3.Bucket:
    """A bucket for S3 server access logs: the :func:`data_bucket` settings, logs expired after
    ``ACCESS_LOG_RETENTION``.

    The bucket logging to it must be created where ``ACCESS_LOGS_BY_POLICY`` is on (see
    ``secure_bucket``), so delivery is granted by bucket policy, not the legacy ACL.
    """
    bucket = _bucket(
        scope,
        id,
        lifecycle_rules=[
            s3.LifecycleRule(
                expiration=ACCESS_LOG_RETENTION, noncurrent_version_expiration=ACCESS_LOG_NONCURRENT_RETENTION
            )
        ],
    )
    loop = "This bucket receives other buckets' access logs; logging its own access would loop."
    Validations.of(bucket).acknowledge(Acknowledgment(id="AwsSolutions-S1", reason=loop))
    skip_checkov(bucket, "CKV_AWS_18", reason=loop)
    return bucket


def data_bucket(scope: Construct, id: str, *, access_logs: s3.IBucket, access_logs_prefix: str) -> s3.Bucket:
    """A bucket of business data: versioned, S3-encrypted, SSL-only, private, ACLs off, retained on
    stack deletion, its access logged to ``access_logs`` under ``access_logs_prefix``.

    ``scope`` must have ``ACCESS_LOGS_BY_POLICY`` on (the workflow constructs set it on themselves).

    Example::

        logs = access_log_bucket(self, "AccessLogBucket")
        data_bucket(self, "TenantBucket", access_logs=logs, access_logs_prefix="tenant-bucket/")
    """
    return _bucket(
        scope, id, server_access_logs_bucket=access_logs, server_access_logs_prefix=access_logs_prefix
    )


def secure_bucket(scope: Construct, id: str) -> s3.Bucket:
    """A :func:`data_bucket` with its own access-log bucket.

    Creates ``<id>`` and its access-log bucket ``<id>AccessLogs`` inside a construct ``<id>Storage``.
    """
    storage = Construct(scope, f"{id}Storage")
    # Set before the buckets are created: they read it.
    storage.node.set_context(ACCESS_LOGS_BY_POLICY, True)
    access_logs = access_log_bucket(storage, f"{id}AccessLogs")
    return data_bucket(storage, id, access_logs=access_logs, access_logs_prefix=f"{id}/")


def data_table(
    scope: Construct,
    id: str,
    *,
    partition_key: str,
    sort_key: str | None = None,
    time_to_live_attribute: str | None = None,
    global_secondary_indexes: Sequence[dynamodb.GlobalSecondaryIndexPropsV2] | None = None,
) -> dynamodb.TableV2:
    """A table of business records (string keys): on-demand, encrypted with the AWS-managed key,
    point-in-time recoverable, protected from deletion and retained with the stack.

    Example::

        data_table(self, "Customers", partition_key="customerId")
        data_table(self, "Idempotency", partition_key="id", time_to_live_attribute="expiration")
    """
    return dynamodb.TableV2(
        scope,
        id,
        partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.STRING) if sort_key else None,
        global_secondary_indexes=list(global_secondary_indexes)
        if global_secondary_indexes is not None
        else None,
        time_to_live_attribute=time_to_live_attribute,
        # On demand is TableV2's default too; said here so that no table differs by omission.
        billing=dynamodb.Billing.on_demand(),
        encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        deletion_protection=True,
        removal_policy=DATA_REMOVAL_POLICY,
    )


def _bucket(scope: Construct, id: str, **props: Any) -> s3.Bucket:
    return s3.Bucket(
        scope,
        id,
        encryption=BUCKET_ENCRYPTION,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=BUCKET_OBJECT_OWNERSHIP,
        versioned=True,
        removal_policy=DATA_REMOVAL_POLICY,
        **props,
    )
