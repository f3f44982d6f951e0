"""bulk-user-provisioning on the local cloud: a CSV in S3, one user-provisioning child per row.

The local cloud (moto 5.2.5) runs a Distributed Map's rows as child executions and writes the results
manifest, but ignores ToleratedFailurePercentage and leaves the result files empty, so the failure budget
and the per-row result files are checked on the definition instead
(``tests/constructs/test_bulk_user_provisioning.py``).
"""

from __future__ import annotations

import json

import pytest

from tests.behaviour.test_user_provisioning import Resources

WORKFLOW = "bulk-user-provisioning"


@pytest.fixture(scope="module")
def resources(local_cloud_session) -> Resources:
    return Resources(local_cloud_session)


def upload(cloud, resources: Resources, key: str, rows: list[str]) -> None:
    body = "\n".join(["tenantId,userId,email,role", *rows]) + "\n"
    cloud.client("s3").put_object(Bucket=resources.bulk_bucket, Key=key, Body=body.encode())


def test_every_row_becomes_an_active_user_and_the_results_go_back_to_s3(local_cloud, resources):
    # GIVEN a CSV of an admin and a viewer under imports/
    upload(
        local_cloud,
        resources,
        "imports/behaviour-team.csv",
        ["acme,u-bulk-admin,admin@acme.example,admin", "acme,u-bulk-viewer,viewer@acme.example,viewer"],
    )

    # WHEN the bulk workflow runs over it
    result = local_cloud.run(
        WORKFLOW, {"correlationId": "bulk-behaviour-1", "key": "imports/behaviour-team.csv"}, timeout=120
    )

    # THEN it succeeds and says where the per-row results are
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    assert result.output["results"]["bucket"] == resources.bulk_bucket
    manifest_key = result.output["results"]["manifest"]
    assert manifest_key.startswith("results/")
    s3 = local_cloud.client("s3")
    manifest = json.loads(s3.get_object(Bucket=resources.bulk_bucket, Key=manifest_key)["Body"].read())
    assert manifest["MapRunArn"].startswith(
        local_cloud.state_machine_arn(WORKFLOW).replace(":stateMachine:", ":mapRun:")
    )
    assert set(manifest["ResultFiles"]) == {"SUCCEEDED", "FAILED", "PENDING"}
    # AND each user got exactly the resources of its role
    admin, viewer = resources.of("u-bulk-admin"), resources.of("u-bulk-viewer")
    assert admin.user["status"] == viewer.user["status"] == {"S": "ACTIVE"}
    assert admin.everything
    assert viewer.profile is not None
    assert len(viewer.grants) == 1
    assert viewer.storage_prefix is None
    assert viewer.api_key is None
    # AND each child carried the bulk run's correlation id
    assert admin.user["correlationId"] == {"S": "bulk-behaviour-1"}


def test_a_file_outside_imports_is_refused_before_it_is_read(local_cloud):
    result = local_cloud.run(WORKFLOW, {"correlationId": "bulk-behaviour-2", "key": "results/anything.csv"})
    assert (result.status, result.error) == ("FAILED", "BulkProvisioningRequestInvalid")
