"""``make demo`` scenarios of user-deprovisioning: a provisioned user removed by its ledger, the same
removal again answered from the record, a user never provisioned, and a bad request refused."""

from __future__ import annotations

import json

from workflow_local_cloud import LocalCloudHarness

from workflow_tools.demo import SAMPLES_DIR, Scenario

WORKFLOW = "user-deprovisioning"
PROVISIONING = "user-provisioning"
USER_ID = "u-grace"


def provision_the_user(cloud: LocalCloudHarness) -> None:
    """Provision ``u-grace`` with every resource type (the user-provisioning sample, another user)."""
    request = json.loads((SAMPLES_DIR / PROVISIONING / "first-admin.json").read_text())
    request = {
        **request,
        "correlationId": "demo-provision-u-grace",
        "user": {"id": USER_ID, "email": "grace@acme.example", "role": "member"},
    }
    result = cloud.run(PROVISIONING, request, reason="provision before removing")
    if result.status != "SUCCEEDED":
        raise RuntimeError(f"provisioning {USER_ID} ended {result.status} {result.error}")


SCENARIOS = [
    Scenario(
        workflow=WORKFLOW,
        title="A user is removed: what the provisioning ledger lists goes, last requested first",
        sample="remove-user.json",
        reason="user left",
        before=provision_the_user,
    ),
    Scenario(
        workflow=WORKFLOW,
        title="The same removal again: answered from the record, nothing removed or announced twice",
        sample="remove-user.json",
        reason="user left again",
    ),
    Scenario(
        workflow=WORKFLOW,
        title="A user never provisioned: answered NOT_PROVISIONED, nothing written",
        sample="never-provisioned.json",
        reason="unknown user",
    ),
    Scenario(
        workflow=WORKFLOW,
        title="An invalid request is refused at once, listing every problem",
        sample="invalid-request.json",
        reason="invalid request",
        expect_status="FAILED",
        expect_error="DeprovisioningRequestInvalid",
    ),
]
