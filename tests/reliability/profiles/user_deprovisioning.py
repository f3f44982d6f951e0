"""User deprovisioning (``user-deprovisioning``): what the ledger lists goes, and only that; the user ends
DEPROVISIONED with an empty ledger, or DEPROVISIONING_FAILED with the ledger listing what is left."""

from __future__ import annotations

from typing import Any, ClassVar

from user_provisioning import contract

from tests.reliability.profiles.base import Outcome, Request, Run, Scenario
from tests.reliability.profiles.user_provisioning import UserProvisioning
from tests.reliability.tally import Verdict

FINAL_STATUSES = ("DEPROVISIONED", "DEPROVISIONING_FAILED", None)
PROVISIONING = contract.DEFAULT_WORKFLOW_NAME
RESOURCES = (
    {"type": "storage-prefix", "config": {"name": "home"}},
    {"type": "profile-record", "config": {}},
    {"type": "access-scope", "config": {"access": "read-write"}},
    {"type": "api-key", "config": {}},
)


def _provision_first(profile: Any, request: Request) -> None:
    """A scenario's ``setup``: the user is provisioned with every resource type before it is removed."""
    harness = profile.harness
    result = harness.run(
        PROVISIONING,
        {
            "correlationId": f"provision-{request['correlationId']}",
            "tenantId": request["tenantId"],
            "user": {**request["user"], "email": "rel@acme.example", "role": "member"},
            "resources": list(RESOURCES),
        },
        reason="reliability provision first",
    )
    assert result.status == "SUCCEEDED", harness.trace(result.execution).render()


def _provision_and_remove_first(profile: Any, request: Request) -> None:
    _provision_first(profile, request)
    first = profile.run(profile.scenarios[0], request=request, setup=False)
    assert first.result.status == "SUCCEEDED", profile.harness.trace(first.execution).render()


class UserDeprovisioning(UserProvisioning):
    """Clean end: DEPROVISIONED (or never provisioned) with no resource and no ledger entry left; or
    DEPROVISIONING_FAILED with exactly what the ledger still lists left; never DEPROVISIONING."""

    workflow: ClassVar[str] = contract.DEPROVISIONING_WORKFLOW_NAME
    invalid_error: ClassVar[str] = contract.DEPROVISIONING_REQUEST_INVALID
    validation_state: ClassVar[str] = contract.DEPROVISIONING_VALIDATE_STATE
    sample: ClassVar[str] = "remove-user.json"
    scenarios: ClassVar[tuple[Scenario, ...]] = (
        Scenario("a provisioned user is removed", setup=_provision_first),
        Scenario(
            "the API key cannot be removed",
            expect=Outcome("FAILED", "DeprovisioningFailed"),
            setup=_provision_first,
            faults=(("Remove the API key", None),),
        ),
        Scenario("the same removal again", setup=_provision_and_remove_first),
        Scenario("a user never provisioned"),
    )
    excluded_steps: ClassVar[dict[str, str]] = {
        "Reopen the user for the unpublished event": "reached only when PutEvents fails for good after "
        "every removal; the fault suite arms one fault per run (its permanent fault on the publish step "
        "reaches this one)",
    }
    bookkeeping: ClassVar[tuple[str, ...]] = ("dynamodb:items *IdempotencyTable*",)
    # A removal that fails for good is reported and stays in the ledger: the re-run removes it.
    residual_faults: ClassVar[dict[str, str]] = {}
    required: ClassVar[tuple[str, ...]] = ("correlationId", "tenantId", "user", "user.id")
    bounded_strings: ClassVar[tuple[str, ...]] = ("correlationId", "tenantId", "user.id")
    identifiers: ClassVar[tuple[str, ...]] = ("tenantId", "user.id")
    personal_fields: ClassVar[tuple[str, ...]] = ()
    no_personal_data: ClassVar[str] = (
        "a removal names only the tenant and user ids and waits on no callback; the personal data it "
        "removes (the profile record) is never in its request, and user provisioning's search covers it"
    )

    def request(self, unique: str) -> Request:
        request = self.sample_request()
        return {**request, "correlationId": f"reliability-{unique}", "user": {"id": f"u-rel-{unique}"}}

    def before_repair(self, run: Run) -> None:
        """A failed run may hold the user's lock until the workflow's timeout: let that hour pass."""
        if not run.observed_after or run.observed_after["status"] != "DEPROVISIONING":
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
        after = run.observed_after
        if after is None:
            return verdict
        if after["status"] not in FINAL_STATUSES:
            verdict.lost.append(f"the user is left {after['status']}")
        left = {
            "folders": len(after["folders"]),
            "profile": int(after["profile"]),
            "grants": len(after["grants"]),
            "api_keys": after["api_keys"],
        }
        if run.result.status == "SUCCEEDED":
            if any(left.values()) or after["ledger"]:
                verdict.lost.append(f"succeeded with {after}")
        else:
            # What is left is exactly what the ledger still lists, so a re-run removes it.
            listed = {key.removeprefix("RESOURCE#").split("#")[0] for key in after["ledger"]}
            kinds = {"folders": "storage-prefix", "profile": "profile-record", "grants": "access-scope"}
            kinds["api_keys"] = "api-key"
            unlisted = [name for name, count in left.items() if count and kinds[name] not in listed]
            if unlisted:
                verdict.side_effects.append(f"left without a ledger entry: {unlisted} ({after})")
        return verdict
