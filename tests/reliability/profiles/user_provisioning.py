"""User provisioning (``user-provisioning``): every resource the user's role needs, or none of what
the run created, the user ACTIVE or PROVISIONING_FAILED; one of each resource, never two."""

from __future__ import annotations

from typing import Any, ClassVar

from user_provisioning import contract

from tests.reliability.profiles.base import (
    Outcome,
    Request,
    Run,
    Scenario,
    WorkflowProfile,
    run_happy_path_first,
)
from tests.reliability.tally import Verdict

FINAL_STATUSES = ("ACTIVE", "PROVISIONING_FAILED")


class UserProvisioning(WorkflowProfile):
    """Clean end: ACTIVE with one of each requested resource and its ledger entry; or
    PROVISIONING_FAILED with nothing this run created left (what an earlier run made stays)."""

    workflow: ClassVar[str] = contract.DEFAULT_WORKFLOW_NAME
    stack: ClassVar[str] = "UserProvisioning"
    invalid_error: ClassVar[str] = contract.REQUEST_INVALID
    validation_state: ClassVar[str] = contract.VALIDATE_STATE
    sample: ClassVar[str] = "first-admin.json"
    scenarios: ClassVar[tuple[Scenario, ...]] = (
        Scenario("a user with every resource"),
        Scenario(
            "the API key cannot be created",
            expect=Outcome("FAILED", "ProvisioningFailed"),
            faults=(("Create the API key", None),),
        ),
        Scenario(
            "the access scope cannot be created",
            expect=Outcome("FAILED", "ProvisioningFailed"),
            faults=(("Grant the access scope", None),),
        ),
        Scenario("the same user again", setup=run_happy_path_first),
        Scenario(
            "a later run for the same user fails",
            expect=Outcome("FAILED", "ProvisioningFailed"),
            setup=run_happy_path_first,
            faults=(("Create the API key", None),),
        ),
    )
    excluded_steps: ClassVar[dict[str, str]] = {
        "Release the user provisioned announcement": "reached only when PutEvents fails for good; the "
        "fault suite arms one fault per run (its permanent fault on the publish step reaches this one)",
    }
    bookkeeping: ClassVar[tuple[str, ...]] = (
        # Powertools idempotency records: their key holds the run, so each run writes its own.
        "dynamodb:items *IdempotencyTable*",
    )
    residual_faults: ClassVar[dict[str, str]] = {
        state: "a resource whose removal fails for good stays, marked REMOVAL_FAILED in the user's "
        "report and the operations notice; the next run for the user adopts it"
        for state in (
            "Look up the resource in the ledger",
            "Release the resource from the ledger",
            "Remove the storage prefix",
            "Remove the profile record",
            "Revoke the access scope",
            "Remove the API key",
        )
    }
    required: ClassVar[tuple[str, ...]] = (
        "correlationId",
        "tenantId",
        "user",
        "user.id",
        "user.email",
        "user.role",
        "resources",
        "resources[0].type",
    )
    bounded_strings: ClassVar[tuple[str, ...]] = (
        "correlationId",
        "tenantId",
        "user.id",
        "user.email",
        "user.role",
        "resources[1].config.displayName",
    )
    identifiers: ClassVar[tuple[str, ...]] = ("tenantId", "user.id", "user.role", "resources[0].type")
    personal_fields: ClassVar[tuple[str, ...]] = ("user.email", "resources[1].config.displayName")

    def request(self, unique: str) -> Request:
        request = super().request(unique)
        user = {**request["user"], "id": f"u-rel-{unique}", "email": f"rel-{unique}@acme.example"}
        resources = [dict(r) for r in request["resources"]]
        resources[1] = {**resources[1], "config": {**resources[1]["config"], "displayName": f"Ada {unique}"}}
        return {**request, "tenantId": "acme", "user": user, "resources": resources}

    # Where the resources are ---------------------------------------------------------------

    def _physical(self, stack: str, prefix: str, kind: str) -> str:
        found = [
            r["PhysicalResourceId"]
            for r in self.deployment.resources(stack)
            if r["LogicalResourceId"].startswith(prefix)
            and r["ResourceType"] == kind
            and "AccessLogs" not in r["LogicalResourceId"]
        ]
        (one,) = found
        return str(one)

    def observe(self, request: Request) -> dict[str, Any] | None:
        if not isinstance(request, dict) or not isinstance(request.get("user"), dict):
            return None
        tenant, user = request.get("tenantId"), request["user"].get("id")
        if not isinstance(tenant, str) or not isinstance(user, str):
            return None
        users = self._physical(self.stack, "UserProvisioningUsersTable", "AWS::DynamoDB::GlobalTable")
        profiles = self._physical(
            self.stack, "UserProvisioningProfileRecordProfilesTable", "AWS::DynamoDB::GlobalTable"
        )
        bucket = self._physical("CustomerOnboarding", "OnboardingTenantBucket", "AWS::S3::Bucket")
        items = self.deployment.query(users, "pk", f"TENANT#{tenant}#USER#{user}")
        record = next((item for item in items if item["sk"] == "USER"), {})
        grants_table = self._physical(
            self.stack, "UserProvisioningAccessScopeGrantsTable", "AWS::DynamoDB::GlobalTable"
        )
        keys_table = self._physical(
            self.stack, "UserProvisioningApiKeyApiKeysTable", "AWS::DynamoDB::GlobalTable"
        )
        grants = sorted(
            item["scope"]
            for item in self.deployment.query(grants_table, "tenantId", tenant)
            if item["scope"].startswith(f"{user}#")
        )
        api_keys = len(
            [item for item in self.deployment.query(keys_table, "tenantId", tenant) if item["userId"] == user]
        )
        profile = self.deployment.item(profiles, {"tenantId": tenant, "userId": user})
        return {
            "status": record.get("status"),
            "ledger": sorted(item["sk"] for item in items if item["sk"].startswith("RESOURCE#")),
            "folders": self.deployment.object_keys(bucket, f"tenants/{tenant}/users/{user}/"),
            "profile": bool(profile),
            "grants": grants,
            "api_keys": api_keys,
        }

    def before_repair(self, run: Run) -> None:
        """A failed run may hold the user's lock until it expires (the workflow's timeout, 1 hour):
        let that hour pass, as simulated time does for waits, by moving the expiry into the past."""
        if not run.observed_after or run.observed_after["status"] != "PROVISIONING":
            return
        users = self._physical(self.stack, "UserProvisioningUsersTable", "AWS::DynamoDB::GlobalTable")
        key = f"TENANT#{run.request['tenantId']}#USER#{run.request['user']['id']}"
        self.harness.client("dynamodb").update_item(
            TableName=users,
            Key={"pk": {"S": key}, "sk": {"S": "USER"}},
            UpdateExpression="SET lockExpiresAt = :past",
            ExpressionAttributeValues={":past": {"S": "1970-01-01T00:00:00Z"}},
        )

    def judge(self, run: Run) -> Verdict:
        verdict = Verdict()
        before, after = run.observed_before, run.observed_after
        if after is None:
            return verdict
        if len(after["grants"]) > 1:
            verdict.doubled.append(f"{len(after['grants'])} access-scope grants for one user")
        if after["status"] not in (*FINAL_STATUSES, None):
            verdict.lost.append(f"the user is left {after['status']}")
        wanted = len(run.request["resources"])
        if run.result.status == "SUCCEEDED":
            resources = (len(after["folders"]), after["profile"], len(after["grants"]), after["api_keys"])
            if after["status"] != "ACTIVE" or resources != (1, True, 1, 1) or len(after["ledger"]) != wanted:
                verdict.lost.append(f"succeeded with {after}")
        elif run.result.error == "ProvisioningFailed" or after["status"] == "PROVISIONING_FAILED":
            # What an earlier run created stays (adopted, never removed); nothing of this run does.
            kept = {key: after[key] for key in ("folders", "profile", "grants", "api_keys", "ledger")}
            had = {key: before[key] for key in kept}
            if kept != had:
                verdict.side_effects.append(f"the failed run left {kept} (before it: {had})")
        return verdict
