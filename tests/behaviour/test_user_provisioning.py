"""user-provisioning on the local cloud: every resource or nothing, retries, convergence, validation.

Each test provisions its own user, so tests share the session's local cloud without interfering. The
assertions look at the emulated resources themselves (S3 objects and their versions, DynamoDB items,
access grants, API key records), not only at what the execution says.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

WORKFLOW = "user-provisioning"
STACK = "UserProvisioning"
TENANT = "acme"
EVERY_TYPE = [
    {"type": "storage-prefix", "config": {"name": "home"}},
    {"type": "profile-record", "config": {"displayName": "Ada", "timeZone": "Europe/London"}},
    {"type": "access-scope", "config": {"access": "read-only"}},
    {"type": "api-key"},
]


def request(user_id: str, resources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "correlationId": f"behaviour-{user_id}",
        "tenantId": TENANT,
        "user": {"id": user_id, "email": f"{user_id}@acme.example", "role": "admin"},
        "resources": EVERY_TYPE if resources is None else resources,
    }


@dataclass
class Provisioned:
    """What exists in the local cloud for one user, read from the emulated services."""

    storage_prefix: dict[str, Any] | None
    profile: dict[str, Any] | None
    grants: list[dict[str, Any]]
    api_key: dict[str, Any] | None
    user: dict[str, Any] | None
    ledger: list[dict[str, Any]]

    @property
    def nothing(self) -> bool:
        return not (self.storage_prefix or self.profile or self.grants or self.api_key or self.ledger)

    @property
    def everything(self) -> bool:
        """One of each resource of ``EVERY_TYPE`` (one grant: never a duplicate)."""
        return bool(self.storage_prefix and self.profile and self.api_key) and len(self.grants) == 1


class Resources:
    """Finds the stack's tables and bucket, and reads a user's resources back."""

    def __init__(self, cloud):
        self.cloud = cloud
        cloudformation = cloud.client("cloudformation")

        def one(stack: str, prefix: str, kind: str) -> str:
            summaries = cloudformation.list_stack_resources(StackName=stack)["StackResourceSummaries"]
            (found,) = [
                r["PhysicalResourceId"]
                for r in summaries
                if r["LogicalResourceId"].startswith(prefix)
                and r["ResourceType"] == kind
                and "AccessLogs" not in r["LogicalResourceId"]
            ]
            return str(found)

        self.users_table = one(STACK, "UserProvisioningUsersTable", "AWS::DynamoDB::GlobalTable")
        self.profiles_table = one(
            STACK, "UserProvisioningProfileRecordProfilesTable", "AWS::DynamoDB::GlobalTable"
        )
        self.grants_table = one(STACK, "UserProvisioningAccessScopeGrantsTable", "AWS::DynamoDB::GlobalTable")
        self.api_keys_table = one(STACK, "UserProvisioningApiKeyApiKeysTable", "AWS::DynamoDB::GlobalTable")
        (self.shared_role,) = [
            r["PhysicalResourceId"]
            for r in cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
            if r["LogicalResourceId"].startswith("UserProvisioningAccessScopeSharedRole")
            and r["ResourceType"] == "AWS::IAM::Role"
        ]
        self.bulk_bucket = one(STACK, "BulkUserProvisioningBulkBucketStorageBulkBucket", "AWS::S3::Bucket")
        # The app puts users' folders into the tenant bucket customer onboarding creates.
        self.tenant_bucket = one("CustomerOnboarding", "OnboardingTenantBucket", "AWS::S3::Bucket")

    def of(self, user_id: str, *, folder: str = "home") -> Provisioned:
        s3 = self.cloud.client("s3")
        dynamodb = self.cloud.client("dynamodb")
        try:
            marker = s3.head_object(
                Bucket=self.tenant_bucket, Key=f"tenants/{TENANT}/users/{user_id}/{folder}/"
            )
        except ClientError:
            marker = None
        profile = dynamodb.get_item(
            TableName=self.profiles_table, Key={"tenantId": {"S": TENANT}, "userId": {"S": user_id}}
        ).get("Item")
        items = dynamodb.query(
            TableName=self.users_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"TENANT#{TENANT}#USER#{user_id}"}},
        )["Items"]
        user = next((item for item in items if item["sk"]["S"] == "USER"), None)
        ledger = [item for item in items if item["sk"]["S"].startswith("RESOURCE#")]
        grants = [
            item
            for item in dynamodb.query(
                TableName=self.grants_table,
                KeyConditionExpression="tenantId = :t AND begins_with(#scope, :u)",
                ExpressionAttributeNames={"#scope": "scope"},
                ExpressionAttributeValues={":t": {"S": TENANT}, ":u": {"S": f"{user_id}#"}},
            )["Items"]
        ]
        api_key = dynamodb.get_item(
            TableName=self.api_keys_table,
            Key={"tenantId": {"S": TENANT}, "keyName": {"S": f"{user_id}#default"}},
        ).get("Item")
        return Provisioned(marker, profile, grants, api_key, user, ledger)

    def versions(self, user_id: str) -> list[dict[str, Any]]:
        """Every object version and delete marker under the user's storage (what could be restored)."""
        listing = self.cloud.client("s3").list_object_versions(
            Bucket=self.tenant_bucket, Prefix=f"tenants/{TENANT}/users/{user_id}/"
        )
        return [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]


@pytest.fixture(scope="module")
def resources(local_cloud_session) -> Resources:
    return Resources(local_cloud_session)


@pytest.fixture
def operations_inbox(local_cloud):
    """A queue subscribed to the operations topic for one test; returns what arrived."""
    summaries = local_cloud.client("cloudformation").list_stack_resources(StackName="Operations")
    (topic,) = [
        r["PhysicalResourceId"]
        for r in summaries["StackResourceSummaries"]
        if r["ResourceType"] == "AWS::SNS::Topic"
    ]
    sqs, sns = local_cloud.client("sqs"), local_cloud.client("sns")
    queue = sqs.create_queue(QueueName="user-provisioning-operations-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    subscription = sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )["SubscriptionArn"]

    def received() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    yield received
    sns.unsubscribe(SubscriptionArn=subscription)
    sqs.delete_queue(QueueUrl=queue)


def report_of(provisioned: Provisioned) -> dict[str, dict[str, Any]]:
    return {entry["key"]: entry for entry in json.loads(provisioned.user["resourceReport"]["S"])}


def test_every_resource_is_provisioned_and_the_user_becomes_active(local_cloud, resources):
    # GIVEN a rule that forwards "User provisioned" events to a queue we can read
    events, sqs = local_cloud.client("events"), local_cloud.client("sqs")
    queue_url = sqs.create_queue(QueueName="user-provisioned-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="user-provisioned-to-queue",
        EventPattern=json.dumps(
            {"source": ["business-workflows.user-provisioning"], "detail-type": ["User provisioned"]}
        ),
    )
    events.put_targets(Rule="user-provisioned-to-queue", Targets=[{"Id": "queue", "Arn": queue_arn}])

    # WHEN a user is provisioned with one resource of every type
    result = local_cloud.run(WORKFLOW, request("u-happy"), reason="first admin")

    # THEN the execution succeeds and returns every resource
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    assert result.output["status"] == "ACTIVE"
    assert [(r["type"], r["status"]) for r in result.output["resources"]] == [
        ("storage-prefix", "PROVISIONED"),
        ("profile-record", "PROVISIONED"),
        ("access-scope", "PROVISIONED"),
        ("api-key", "PROVISIONED"),
    ]
    # AND each resource exists, tagged with the run that created it
    found = resources.of("u-happy")
    run = result.execution.arn
    assert found.storage_prefix["Metadata"] == {
        "tenant-id": TENANT,
        "user-id": "u-happy",
        "provisioned-by": run,
    }
    assert found.profile["timeZone"] == {"S": "Europe/London"}
    assert found.profile["provisionedBy"] == {"S": run}
    (grant,) = found.grants
    assert grant["provisionedBy"] == {"S": run}
    assert grant["access"] == {"S": "read-only"}
    assert found.api_key["provisionedBy"] == {"S": run}
    # AND the user is ACTIVE, its lock released, and the ledger names this run for each resource
    assert found.user["status"] == {"S": "ACTIVE"}
    assert "lockExpiresAt" not in found.user
    assert sorted((e["sk"]["S"], e["provisionedBy"]["S"], e["status"]["S"]) for e in found.ledger) == sorted(
        (f"RESOURCE#{key}", run, "PROVISIONED")
        for key in ("storage-prefix#home", "profile-record", "access-scope#default", "api-key#default")
    )
    # AND a "User provisioned" event went out
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    details = [json.loads(m["Body"])["detail"] for m in messages]
    assert [d["user"]["id"] for d in details] == ["u-happy"]
    assert len(details[0]["resources"]) == 4


def test_a_permanent_failure_removes_everything_this_run_created(local_cloud, resources, operations_inbox):
    # GIVEN the API key cannot be created
    local_cloud.inject_permanent_fault(WORKFLOW, "Create the API key")

    # WHEN a user is provisioned
    result = local_cloud.run(WORKFLOW, request("u-rollback"), reason="api key fails")

    # THEN the execution fails ProvisioningFailed, the contract onboarding relies on
    assert result.status == "FAILED", local_cloud.trace(result.execution).render()
    assert result.error == "ProvisioningFailed"
    assert result.cause.startswith("1 of 4 resource(s) failed for user [u-rollback] of tenant [acme]")
    # AND nothing the run created is left: no folder, profile, role, key or ledger entry
    found = resources.of("u-rollback")
    assert found.nothing, found
    # AND the user is PROVISIONING_FAILED with a report per resource
    assert found.user["status"] == {"S": "PROVISIONING_FAILED"}
    report = report_of(found)
    assert report["api-key#default"]["status"] == "FAILED"
    assert report["api-key#default"]["rollback"] == "ALREADY_GONE"
    for key in ("storage-prefix#home", "profile-record", "access-scope#default"):
        assert (report[key]["status"], report[key]["rollback"]) == ("PROVISIONED", "REMOVED"), key
    # AND operations got a notice with the same report
    (notice,) = [n for n in operations_inbox() if n.get("userId") == "u-rollback"]
    assert notice["summary"] == result.cause
    assert notice["execution"] == result.execution.arn
    assert {r["key"]: r["rollback"] for r in notice["resources"]} == {
        key: entry["rollback"] for key, entry in report.items()
    }
    # AND the rollback ran last-requested first, the failed API key included (its ledger claim was this
    # run's, so whatever it may have half-created goes too)
    removals = [
        event["stateEnteredEventDetails"]["name"]
        for event in local_cloud.history(result.execution)
        if event["type"] == "TaskStateEntered"
        and event["stateEnteredEventDetails"]["name"].startswith(("Remove the", "Revoke the"))
    ]
    assert removals == [
        "Remove the API key",
        "Revoke the access scope",
        "Remove the profile record",
        "Remove the storage prefix",
    ]


def test_transient_faults_are_retried_until_the_steps_succeed(local_cloud, resources):
    # GIVEN steps that fail a few times, each with an error its Retry handles
    delivered_before = len(local_cloud.delivered_faults())
    local_cloud.inject_transient_fault(WORKFLOW, "Create the storage prefix", times=2)
    local_cloud.inject_transient_fault(WORKFLOW, "Grant the access scope", times=1)
    local_cloud.inject_transient_fault(WORKFLOW, "Claim the resource in the ledger", times=1)

    # WHEN a user is provisioned
    result = local_cloud.run(WORKFLOW, request("u-flaky"), reason="flaky dependencies")

    # THEN it succeeds, after backing off before each retry
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    retried = sorted(p.state for p in local_cloud.pauses(result.execution) if p.kind == "retry")
    assert retried == [
        "Claim the resource in the ledger",
        "Create the storage prefix",
        "Create the storage prefix",
        "Grant the access scope",
    ]
    assert len(local_cloud.delivered_faults()) - delivered_before == 4
    assert resources.of("u-flaky").everything


def test_an_unknown_type_is_rejected_before_anything_exists(local_cloud, resources):
    # WHEN a request names a type the registry does not know, next to a valid one
    result = local_cloud.run(
        WORKFLOW,
        request("u-unknown", [{"type": "storage-prefix"}, {"type": "mailbox", "config": {"quotaGb": 5}}]),
        reason="unknown type",
    )

    # THEN the first step fails it with ProvisioningRequestInvalid, naming the type
    assert result.status == "FAILED"
    assert result.error == "ProvisioningRequestInvalid"
    assert "resources[1].type is not a supported resource type" in result.cause
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in local_cloud.history(result.execution)
        if e["type"].endswith("StateEntered")
    ]
    assert entered == ["Validate the provisioning request"]
    # AND nothing was recorded or created, not even the valid resource
    found = resources.of("u-unknown")
    assert found.nothing
    assert found.user is None


def test_a_rerun_after_a_partial_failure_converges(local_cloud, resources):
    # GIVEN a run in which the API key fails and the access scope cannot be removed again
    local_cloud.inject_permanent_fault(WORKFLOW, "Create the API key")
    local_cloud.inject_permanent_fault(WORKFLOW, "Revoke the access scope")
    first = local_cloud.run(WORKFLOW, request("u-rerun"), reason="partial failure")
    assert first.error == "ProvisioningFailed", local_cloud.trace(first.execution).render()
    assert "Remove by hand or re-run: access-scope [default]" in first.cause
    after_first = resources.of("u-rerun")
    assert report_of(after_first)["access-scope#default"]["rollback"] == "REMOVAL_FAILED"
    assert len(after_first.grants) == 1  # left behind, and still in the ledger
    assert [e["sk"]["S"] for e in after_first.ledger] == ["RESOURCE#access-scope#default"]

    # WHEN the cause is fixed and the same request runs again
    local_cloud.clear_faults()
    second = local_cloud.run(WORKFLOW, request("u-rerun"), reason="re-run")

    # THEN it succeeds: the leftover role is adopted (not duplicated), the rest is created again
    assert second.status == "SUCCEEDED", local_cloud.trace(second.execution).render()
    by_type = {r["type"]: r for r in second.output["resources"]}
    assert by_type["access-scope"]["createdByThisRun"] is False
    assert all(by_type[t]["createdByThisRun"] for t in ("storage-prefix", "profile-record", "api-key"))
    found = resources.of("u-rerun")
    assert found.user["status"] == {"S": "ACTIVE"}
    assert found.everything

    # AND running it once more changes nothing
    third = local_cloud.run(WORKFLOW, request("u-rerun"), reason="re-run again")
    assert third.status == "SUCCEEDED"
    assert not any(r["createdByThisRun"] for r in third.output["resources"])
    assert resources.of("u-rerun").api_key["keyHash"] == found.api_key["keyHash"]


def test_a_user_is_provisioned_by_one_run_at_a_time(local_cloud, resources):
    # GIVEN another execution holds the user's lock
    local_cloud.client("dynamodb").put_item(
        TableName=resources.users_table,
        Item={
            "pk": {"S": f"TENANT#{TENANT}#USER#u-busy"},
            "sk": {"S": "USER"},
            "status": {"S": "PROVISIONING"},
            "executionId": {"S": "arn:aws:states:us-east-1:123456789012:execution:user-provisioning:other"},
            "lockExpiresAt": {"S": "2999-01-01T00:00:00.000Z"},
        },
    )

    # WHEN a second run starts for the same user
    result = local_cloud.run(WORKFLOW, request("u-busy"), reason="concurrent run")

    # THEN it stops before creating anything
    assert (result.status, result.error) == ("FAILED", "ProvisioningInProgress")
    assert resources.of("u-busy").ledger == []


def test_no_resources_makes_the_user_active_at_once(local_cloud, resources):
    result = local_cloud.run(WORKFLOW, request("u-empty", []), reason="nothing to provision")
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    assert result.output["resources"] == []
    assert resources.of("u-empty").user["status"] == {"S": "ACTIVE"}


def test_a_rolled_back_users_folder_leaves_no_version_to_recover(local_cloud, resources):
    # GIVEN a run whose API key fails after the user's folder was created
    local_cloud.inject_permanent_fault(WORKFLOW, "Create the API key")

    # WHEN it rolls back
    result = local_cloud.run(
        WORKFLOW,
        request("u-versions", [{"type": "storage-prefix", "config": {"name": "home"}}, {"type": "api-key"}]),
        reason="folder rolled back",
    )

    # THEN not only is the folder gone from listings: no version or delete marker of it is left in
    # the versioned bucket, so nothing of the user can be restored (or is billed)
    assert result.error == "ProvisioningFailed", local_cloud.trace(result.execution).render()
    assert report_of(resources.of("u-versions"))["storage-prefix#home"]["rollback"] == "REMOVED"
    assert resources.versions("u-versions") == []


def test_an_api_key_is_not_readable_in_plaintext_anywhere_and_still_verifies(local_cloud, resources):
    from user_provisioning import api_key

    # WHEN a user is given an API key
    result = local_cloud.run(WORKFLOW, request("u-apikey", [{"type": "api-key"}]), reason="api key")
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()

    # THEN the output carries it once, encrypted for the delivery key and bound to this user
    (delivery,) = [r["delivery"] for r in result.output["resources"]]
    assert delivery["encryptionContext"] == {
        "tenant-id": TENANT,
        "user-id": "u-apikey",
        "key-name": "default",
    }
    key = (
        local_cloud.client("kms")
        .decrypt(
            CiphertextBlob=base64.b64decode(delivery["ciphertext"]),
            EncryptionContext=delivery["encryptionContext"],
        )["Plaintext"]
        .decode()
    )
    # AND only its hash is stored: no secret holds it, and neither the record, the ledger, the
    # execution's history nor its output contains it
    record = resources.of("u-apikey").api_key
    assert record["keyHash"] == {"S": api_key.key_hash(key)}
    secrets = local_cloud.client("secretsmanager").list_secrets()["SecretList"]
    assert not [s for s in secrets if s["Name"].startswith(f"{WORKFLOW}/api-keys/")]
    stored = json.dumps(
        [record, resources.of("u-apikey").ledger, local_cloud.history(result.execution)], default=str
    )
    assert key not in stored
    assert key not in json.dumps(result.output)
    # AND the key verifies as this user's, through the index an authorizer reads
    owner = api_key.verify(key, dynamodb=local_cloud.client("dynamodb"), table=resources.api_keys_table)
    assert owner == api_key.KeyOwner(TENANT, "u-apikey", "default")
