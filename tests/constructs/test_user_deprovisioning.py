"""UserDeprovisioningWorkflow: what it deploys in the app (from the session's synth)."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Template
from workflow_constructs.definition import state_machines


@pytest.fixture(scope="module")
def template(synthesized_app) -> Template:
    return Template.from_json(synthesized_app.template("UserProvisioning"))


@pytest.fixture(scope="module")
def definition(synthesized_app) -> dict:
    machines = state_machines(synthesized_app.template("UserProvisioning"))
    (document,) = [d for name, d in machines.items() if name.startswith("UserDeprovisioningWorkflow")]
    return document


def _chain(states, start):
    names, name = [], start
    while name:
        names.append(name)
        name = states[name].get("Next")
    return names


def test_it_validates_locks_reads_the_ledger_removes_one_at_a_time_and_reports(template, definition):
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine", {"StateMachineName": "user-deprovisioning"}
    )
    states = definition["States"]
    assert _chain(states, definition["StartAt"]) == [
        "Validate the deprovisioning request",
        "Record the deprovisioning request",
        "Read what the ledger says was created",
        "Remove each resource in the ledger",
        "Summarize the deprovisioning",
        "Check every resource was removed",
    ]
    remove_each = states["Remove each resource in the ledger"]
    assert remove_each["MaxConcurrency"] == 1
    assert remove_each["ItemsPath"] == "$.ledger.resources"
    # Each removal acts for the run that created the resource (the value its tags carry).
    assert remove_each["ItemSelector"]["runId.$"] == "$$.Map.Item.Value.createdBy"


def test_every_type_is_removed_by_the_same_steps_a_rollback_uses_and_failures_are_recorded(definition):
    inner = definition["States"]["Remove each resource in the ledger"]["ItemProcessor"]["States"]
    route = inner["Route the resource to its remover"]
    assert {choice["StringEquals"]: choice["Next"] for choice in route["Choices"]} == {
        "storage-prefix": "Remove the storage prefix",
        "profile-record": "Remove the profile record",
        "access-scope": "Revoke the access scope",
        "api-key": "Remove the API key",
    }
    for name, state in inner.items():
        if state["Type"] == "Task":
            assert state["Catch"][-1]["Next"] == "Record the removal failure", name
    release = inner["Release the resource from the ledger"]
    assert (
        release["Parameters"]["ConditionExpression"]
        == "attribute_not_exists(pk) OR provisionedBy = :createdBy"
    )


def test_one_run_at_a_time_and_a_finished_request_answers_its_earlier_result(definition):
    states = definition["States"]
    record = states["Record the deprovisioning request"]
    condition = record["Parameters"]["ConditionExpression"]
    assert condition.startswith("attribute_exists(pk) AND (NOT (#status IN (:provisioning, :deprovisioning))")
    assert "NOT (#status = :deprovisioned AND deprovisionCorrelationId = :correlationId)" in condition
    assert record["Catch"][0]["Next"] == "Look up the user"
    why = states["Why was the request not recorded"]
    assert [choice["Next"] for choice in why["Choices"]] == [
        "Answer the user was never provisioned",
        "Answer with the earlier deprovisioning",
    ]
    assert states[why["Default"]] == {
        "Type": "Fail",
        "Error": "DeprovisioningInProgress",
        "Cause": "Another execution holds this user's lock (provisioning or deprovisioning); retry after it "
        "finishes.",
    }


def test_success_announces_once_and_failure_tells_operations_then_fails(definition):
    states = definition["States"]
    check = states["Check every resource was removed"]
    assert check["Choices"][0]["Next"] == "Mark the user deprovisioned"
    assert _chain(states, "Mark the user deprovisioned") == [
        "Mark the user deprovisioned",
        "Publish the user deprovisioned event",
        "Return the removed resources",
    ]
    # The announcement is gated by this run's conditional transition out of DEPROVISIONING.
    mark = states["Mark the user deprovisioned"]
    assert mark["Parameters"]["ConditionExpression"] == "executionId = :runId AND #status = :deprovisioning"
    event = states["Publish the user deprovisioned event"]["Parameters"]["Entries"][0]
    assert (event["Source"], event["DetailType"]) == (
        "business-workflows.user-provisioning",
        "User deprovisioned",
    )
    assert _chain(states, check["Default"]) == [
        "Mark the user deprovisioning failed",
        "Notify operations of the failed deprovisioning",
        "Deprovisioning failed",
    ]
    assert states["Deprovisioning failed"]["Error"] == "DeprovisioningFailed"


def test_the_planner_may_only_query_the_users_table(synthesized_app):
    policies = [
        resource["Properties"]["PolicyDocument"]["Statement"]
        for logical_id, resource in synthesized_app.template("UserProvisioning")["Resources"].items()
        if resource["Type"] == "AWS::IAM::Policy" and logical_id.startswith("UserDeprovisioningPlanRemoval")
    ]
    actions = set()
    for statements in policies:
        for statement in statements:
            listed = statement["Action"]
            actions.update([listed] if isinstance(listed, str) else listed)
    assert {action for action in actions if action.startswith("dynamodb:")} == {"dynamodb:Query"}


def test_onboarding_removes_the_first_admin_before_the_tenant(synthesized_app):
    machines = state_machines(synthesized_app.template("CustomerOnboarding"))
    (onboarding,) = machines.values()
    states = onboarding["States"]
    remove = states["Remove the first admin user"]
    assert remove["Resource"] == "arn:${AWS::Partition}:states:::states:startExecution.sync:2"
    assert (
        remove["Parameters"]["Name.$"]
        == "States.Format('{}-admin-{}-removal', $.customer.id, $.record.attempt)"
    )
    assert remove["Next"] == remove["Catch"][0]["Next"] == "Roll back the tenant resources"
    for name in ("Provision the tenant configuration and storage", "Mark the customer active"):
        assert states[name]["Catch"][-1]["Next"] == "Remove the first admin user", name
