"""The defaults every business workflow shares, each set (with its unit and reason) in this one place.

What one workflow alone tunes (billing's authorisation timeout, stack deployment's polling) stays a
``DEFAULT_*`` of that workflow's module, beside the prop it is the default of. What two or more
workflows set the same way is here, and only here, so that they cannot drift apart: the recipes in
``business_workflows.storage`` and ``business_workflows.metrics`` read these values.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from workflow_constructs.retention import RETAINED

__all__ = [
    "ACCESS_LOGS_BY_POLICY",
    "ACCESS_LOG_NONCURRENT_RETENTION",
    "ACCESS_LOG_RETENTION",
    "BUCKET_ENCRYPTION",
    "BUCKET_OBJECT_OWNERSHIP",
    "DATA_REMOVAL_POLICY",
    "METRIC_DIMENSION",
    "METRIC_PERIOD",
    "METRIC_STATISTIC",
]

DATA_REMOVAL_POLICY: RemovalPolicy = RETAINED
"""Tables, buckets and keys holding business data outlive their stack: deleting the stack (or a
logical-id change) must never delete customers' data. The library's one definition, re-exported."""

BUCKET_ENCRYPTION = s3.BucketEncryption.S3_MANAGED
"""SSE-S3: the only encryption S3 server access log delivery writes to, so every bucket uses it
(one recipe for data and log buckets; a KMS key would add cost and nothing a reader can check)."""
BUCKET_OBJECT_OWNERSHIP = s3.ObjectOwnership.BUCKET_OWNER_ENFORCED
"""ACLs off: the bucket owner owns every object; access is by policy only (AWS's default since 2023)."""
ACCESS_LOGS_BY_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"
"""Feature flag set on each workflow construct: access logs are delivered under a bucket policy, not
the legacy LogDeliveryWrite ACL, whatever the consuming app's flags say."""
ACCESS_LOG_RETENTION = Duration.days(365)  # 1 year: an audit of who read a file looks back that far
ACCESS_LOG_NONCURRENT_RETENTION = Duration.days(30)  # 30 days: overwritten log objects are noise after that

METRIC_PERIOD = Duration.minutes(5)  # 5 minutes: the dashboards' resolution and the alarms' period
METRIC_STATISTIC = "Sum"
"""Business metrics are counts (Powertools Metrics or log metric filters): summed per period."""
METRIC_DIMENSION = "service"
"""The dimension Powertools Metrics adds to every metric: the function's ``service``, which the
workflow constructs set to the workflow's (staged) name."""
