"""``make demo`` scenarios of bulk-user-provisioning: a team from a CSV file, and a file misplaced."""

from __future__ import annotations

from workflow_local_cloud import LocalCloudHarness

from workflow_tools.demo import SAMPLES_DIR, Scenario

WORKFLOW = "bulk-user-provisioning"
STACK = "UserProvisioning"
CSV = "acme-team.csv"


def upload_the_team(cloud: LocalCloudHarness) -> None:
    """Put the sample CSV where the workflow reads it: ``imports/`` in the stack's bulk bucket."""
    resources = cloud.client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    (bucket,) = [
        r["PhysicalResourceId"]
        for r in resources
        if r["LogicalResourceId"].startswith("BulkUserProvisioningBulkBucketStorageBulkBucket")
        and "AccessLogs" not in r["LogicalResourceId"]
    ]
    body = (SAMPLES_DIR / WORKFLOW / CSV).read_bytes()
    cloud.client("s3").put_object(Bucket=bucket, Key=f"imports/{CSV}", Body=body)


SCENARIOS = [
    Scenario(
        workflow=WORKFLOW,
        title="A team of four from a CSV file: one user-provisioning execution per row, results in S3",
        sample="acme-team.json",
        reason="acme team",
        before=upload_the_team,
        timeout_seconds=180.0,
    ),
    Scenario(
        workflow=WORKFLOW,
        title="A CSV outside imports/ is refused before it is read",
        sample="key-outside-imports.json",
        reason="wrong place",
        expect_status="FAILED",
        expect_error="BulkProvisioningRequestInvalid",
    ),
]
