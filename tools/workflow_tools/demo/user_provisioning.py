"""``make demo`` scenarios of user-provisioning: a first admin provisioned, a bad request refused, and a
failing API key rolled back (every resource the run created is removed again)."""

from __future__ import annotations

from workflow_local_cloud import Execution, LocalCloudHarness

from workflow_tools.demo import Scenario

WORKFLOW = "user-provisioning"


def break_the_api_key(cloud: LocalCloudHarness) -> None:
    cloud.inject_permanent_fault(WORKFLOW, "Create the API key")


def disarm_after_the_run(cloud: LocalCloudHarness, execution: Execution) -> None:
    """Let the run end with the fault armed, then disarm it so later scenarios run clean."""
    cloud.wait(execution)
    cloud.clear_faults()


SCENARIOS = [
    Scenario(
        workflow=WORKFLOW,
        title="A first admin gets a folder, a profile, an access scope and an API key",
        sample="first-admin.json",
        reason="first admin",
    ),
    Scenario(
        workflow=WORKFLOW,
        title="A request for an unknown resource type is refused before anything exists",
        sample="unknown-resource-type.json",
        reason="unknown resource type",
        expect_status="FAILED",
        expect_error="ProvisioningRequestInvalid",
    ),
    Scenario(
        workflow=WORKFLOW,
        title="The API key fails: the folder, profile and access grant this run created are removed again",
        sample="api-key-fails.json",
        reason="api key fails",
        expect_status="FAILED",
        expect_error="ProvisioningFailed",
        before=break_the_api_key,
        during=disarm_after_the_run,
    ),
]
