"""user-deprovisioning on the local cloud: the ledger decides what goes, once, and a re-run finishes the job.

Each test provisions its own user with the app's ``user-provisioning`` workflow, then removes it. The
assertions read the emulated resources themselves (S3 objects, DynamoDB items: access grants, API key
records) and the EventBridge events a rule forwards to a queue.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.behaviour.test_user_provisioning import TENANT, Resources, request
from tests.behaviour.test_user_provisioning import operations_inbox as operations_inbox

PROVISIONING = "user-provisioning"
WORKFLOW = "user-deprovisioning"
EVENT_SOURCE = "business-workflows.user-provisioning"


def removal(user_id: str, correlation_id: str | None = None) -> dict[str, Any]:
    return {
        "correlationId": correlation_id or f"remove-{user_id}",
        "tenantId": TENANT,
        "user": {"id": user_id},
    }


@pytest.fixture(scope="module")
def resources(local_cloud_session) -> Resources:
    return Resources(local_cloud_session)


@pytest.fixture(scope="module")
def user_events(local_cloud_session) -> Iterator[Callable[[str, str], list[dict[str, Any]]]]:
    """A rule forwarding the workflows' user events to a queue: returns the events of one type and user."""
    cloud = local_cloud_session
    events, sqs = cloud.client("events"), cloud.client("sqs")
    name = f"user-events-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    received: list[dict[str, Any]] = []

    def of(detail_type: str, user_id: str) -> list[dict[str, Any]]:
        while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            received.extend(json.loads(m["Body"]) for m in messages)
            for message in messages:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return [
            event
            for event in received
            if event["detail-type"] == detail_type and event["detail"]["user"]["id"] == user_id
        ]

    yield of
    events.remove_targets(Rule=name, Ids=["queue"])
    events.delete_rule(Name=name)
    sqs.delete_queue(QueueUrl=queue_url)


def _provision(cloud, user_id: str) -> Any:
    result = cloud.run(PROVISIONING, request(user_id), reason="provision before removing")
    assert result.status == "SUCCEEDED", cloud.trace(result.execution).render()
    return result


def _entered(cloud, execution) -> list[str]:
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in cloud.history(execution)
        if event["type"].endswith("StateEntered")
    ]


def test_every_resource_the_ledger_lists_is_removed_and_the_user_announced_once(
    local_cloud, resources, user_events
):
    # GIVEN a user provisioned with one resource of every type
    _provision(local_cloud, "d-happy")
    assert resources.of("d-happy").everything

    # WHEN the user is deprovisioned
    result = local_cloud.run(WORKFLOW, removal("d-happy"), reason="user left")

    # THEN every resource is gone, the ledger is empty and the user is DEPROVISIONED
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    assert result.output["status"] == "DEPROVISIONED"
    assert [(r["type"], r["outcome"]) for r in result.output["resources"]] == [
        ("api-key", "REMOVED"),
        ("access-scope", "REMOVED"),
        ("profile-record", "REMOVED"),
        ("storage-prefix", "REMOVED"),
    ]
    found = resources.of("d-happy")
    assert found.nothing, found
    assert found.user["status"] == {"S": "DEPROVISIONED"}
    assert "lockExpiresAt" not in found.user
    # AND one "User deprovisioned" event went out
    assert len(user_events("User deprovisioned", "d-happy")) == 1

    # WHEN the same request is started again
    again = local_cloud.run(WORKFLOW, removal("d-happy"), reason="user left, again")

    # THEN it answers the earlier result, removes nothing and announces nothing
    assert again.status == "SUCCEEDED"
    assert again.output == result.output
    assert "Remove each resource in the ledger" not in _entered(local_cloud, again.execution)
    assert len(user_events("User deprovisioned", "d-happy")) == 1


def test_a_user_never_provisioned_is_answered_without_writing_anything(local_cloud, resources):
    result = local_cloud.run(WORKFLOW, removal("d-nobody"), reason="nobody")

    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    assert result.output == {**removal("d-nobody"), "status": "NOT_PROVISIONED", "resources": []}
    found = resources.of("d-nobody")
    assert found.nothing
    assert found.user is None


def test_what_the_ledger_does_not_list_is_left_alone(local_cloud, resources):
    # GIVEN a provisioned user whose profile the ledger no longer lists (as if made by hand)
    _provision(local_cloud, "d-partial")
    dynamodb = local_cloud.client("dynamodb")
    dynamodb.delete_item(
        TableName=resources.users_table,
        Key={"pk": {"S": f"TENANT#{TENANT}#USER#d-partial"}, "sk": {"S": "RESOURCE#profile-record"}},
    )

    # WHEN the user is deprovisioned
    result = local_cloud.run(WORKFLOW, removal("d-partial"), reason="user left")

    # THEN what the ledger listed is gone, and the profile is kept
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    assert {r["type"] for r in result.output["resources"]} == {"api-key", "access-scope", "storage-prefix"}
    found = resources.of("d-partial")
    assert found.profile is not None
    assert found.storage_prefix is None
    assert found.grants == []
    assert found.api_key is None
    assert found.ledger == []


def test_a_failed_removal_is_reported_to_operations_and_a_re_run_removes_the_rest(
    local_cloud, resources, operations_inbox, user_events
):
    # GIVEN a provisioned user, and the API key cannot be removed
    _provision(local_cloud, "d-stuck")
    local_cloud.inject_permanent_fault(WORKFLOW, "Remove the API key")

    # WHEN the user is deprovisioned
    failed = local_cloud.run(WORKFLOW, removal("d-stuck"), reason="user left")

    # THEN it fails DeprovisioningFailed; the others are removed, the key stays and stays in the ledger
    assert (failed.status, failed.error) == ("FAILED", "DeprovisioningFailed"), local_cloud.trace(
        failed.execution
    ).render()
    assert failed.cause.startswith(
        "User d-stuck of tenant acme: 3 of 4 resources removed; not removed: api-key"
    )
    found = resources.of("d-stuck")
    assert found.api_key is not None
    assert found.storage_prefix is None
    assert found.profile is None
    assert found.grants == []
    assert [e["sk"]["S"] for e in found.ledger] == ["RESOURCE#api-key#default"]
    assert found.user["status"] == {"S": "DEPROVISIONING_FAILED"}
    # AND operations were told, with the per-resource report
    (notice,) = [n for n in operations_inbox() if n.get("userId") == "d-stuck"]
    assert notice["summary"] == failed.cause
    assert {r["type"]: r["outcome"] for r in notice["resources"]}["api-key"] == "REMOVAL_FAILED"
    assert user_events("User deprovisioned", "d-stuck") == []

    # WHEN the cause is gone and the same request is started again
    local_cloud.clear_faults()
    retried = local_cloud.run(WORKFLOW, removal("d-stuck"), reason="retry removal")

    # THEN only the key was left to remove, and now nothing is
    assert retried.status == "SUCCEEDED", local_cloud.trace(retried.execution).render()
    assert [(r["type"], r["outcome"]) for r in retried.output["resources"]] == [("api-key", "REMOVED")]
    assert resources.of("d-stuck").nothing
    assert len(user_events("User deprovisioned", "d-stuck")) == 1


def test_a_user_being_provisioned_is_not_deprovisioned_at_the_same_time(local_cloud, resources):
    # GIVEN a user whose provisioning holds the lock
    _provision(local_cloud, "d-busy")
    dynamodb = local_cloud.client("dynamodb")
    dynamodb.update_item(
        TableName=resources.users_table,
        Key={"pk": {"S": f"TENANT#{TENANT}#USER#d-busy"}, "sk": {"S": "USER"}},
        UpdateExpression="SET #status = :provisioning, executionId = :other, lockExpiresAt = :later",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":provisioning": {"S": "PROVISIONING"},
            ":other": {"S": "arn:aws:states:us-east-1:123456789012:execution:user-provisioning:other"},
            ":later": {"S": "2999-01-01T00:00:00.000Z"},
        },
    )

    # WHEN it is deprovisioned
    result = local_cloud.run(WORKFLOW, removal("d-busy"), reason="too early")

    # THEN it fails at once, removing nothing
    assert (result.status, result.error) == ("FAILED", "DeprovisioningInProgress")
    assert resources.of("d-busy").everything


def test_user_provisioned_is_announced_once_per_user_and_request(local_cloud, resources, user_events):
    # GIVEN a user provisioned once
    first = _provision(local_cloud, "d-announce")

    # WHEN the same request runs again, twice
    again = [_provision(local_cloud, "d-announce") for _ in range(2)]

    # THEN each ends ACTIVE with the same resources, and one "User provisioned" event went out in all
    for run in again:
        assert run.output["status"] == "ACTIVE"
        assert [r["key"] for r in run.output["resources"]] == [r["key"] for r in first.output["resources"]]
    assert len(user_events("User provisioned", "d-announce")) == 1
    for run in again:
        assert "Publish the user provisioned event" not in _entered(local_cloud, run.execution)

    # WHEN another request provisions the same user
    other = local_cloud.run(
        PROVISIONING, {**request("d-announce"), "correlationId": "another-request"}, reason="second request"
    )

    # THEN that request is announced too
    assert other.status == "SUCCEEDED"
    assert [e["detail"]["correlationId"] for e in user_events("User provisioned", "d-announce")] == [
        "behaviour-d-announce",
        "another-request",
    ]


def test_invalid_input_fails_at_once_and_changes_nothing(local_cloud):
    result = local_cloud.run(WORKFLOW, {"tenantId": "acme/../x", "user": {}}, reason="bad input")

    assert (result.status, result.error) == ("FAILED", "DeprovisioningRequestInvalid")
    assert "correlationId must be a non-empty string" in result.cause
    assert "tenantId must match" in result.cause
    assert "user.id must match" in result.cause


def test_the_demo_scenarios_end_as_they_declare_in_order(local_cloud, resources):
    from workflow_tools.demo.user_deprovisioning import SCENARIOS, USER_ID

    for scenario in SCENARIOS:
        # GIVEN a scenario `make demo` runs, with its hook and sample input
        if scenario.before:
            scenario.before(local_cloud)
        # WHEN it runs
        result = local_cloud.run(scenario.workflow, scenario.input(), reason=scenario.reason)
        # THEN it ends as declared
        assert (result.status, result.error) == (scenario.expect_status, scenario.expect_error), (
            local_cloud.trace(result.execution).render()
        )
    assert resources.of(USER_ID).nothing
