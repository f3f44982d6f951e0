"""Buckets the workflow constructs create when the caller brings none."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_s3 as s3

from constructs import Construct

ACCESS_LOGS_BY_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"
ACCESS_LOG_RETENTION = Duration.days(365)


def secure_bucket(scope: Construct, id: str) -> s3.Bucket:
    """A versioned, S3-encrypted, SSL-only, private bucket, retained on stack deletion, access-logged.

    Creates ``<id>`` and its access-log bucket ``<id>AccessLogs`` inside a construct ``<id>Storage``.
    """
    storage = Construct(scope, f"{id}Storage")
    # Deliver access logs under a bucket policy, as AWS recommends, rather than the legacy
    # LogDeliveryWrite ACL, whatever the app's feature flags say.
    storage.node.set_context(ACCESS_LOGS_BY_POLICY, True)

    def bucket(bucket_id: str, **props: Any) -> s3.Bucket:
        return s3.Bucket(
            storage,
            bucket_id,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
            **props,
        )

    access_logs = bucket(
        f"{id}AccessLogs",
        lifecycle_rules=[
            s3.LifecycleRule(expiration=ACCESS_LOG_RETENTION, noncurrent_version_expiration=Duration.days(30))
        ],
    )
    Validations.of(access_logs).acknowledge(
        Acknowledgment(
            id="AwsSolutions-S1",
            reason="This bucket receives another bucket's access logs; logging its own access would loop.",
        )
    )
    return bucket(id, server_access_logs_bucket=access_logs, server_access_logs_prefix=f"{id}/")
