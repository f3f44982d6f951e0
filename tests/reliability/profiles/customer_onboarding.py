"""Customer onboarding (``customer-onboarding``): records, tenant, welcome email, rollback."""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from onboarding import contract

from tests.reliability.profiles.base import (
    UNEXPECTED_ERROR,
    Outcome,
    Request,
    Run,
    Scenario,
    WorkflowProfile,
    run_happy_path_first,
)
from tests.reliability.tally import Verdict

SEND = contract.SEND_WELCOME_STATE
ACTIVATE = contract.ACTIVATE_STATE
USER_PROVISIONING = "user-provisioning"
ADMIN_RESOURCES = [
    {"type": "storage-prefix", "config": {"name": "home"}},
    {"type": "profile-record", "config": {}},
    {"type": "access-scope", "config": {"access": "read-write"}},
    {"type": "api-key", "config": {}},
]


def _customer_id(request: Request) -> str:
    # The derivation the validation step documents (no id given: from the normalised email).
    customer = request["customer"]
    return (
        customer.get("id")
        or "cus-" + hashlib.sha256(customer["email"].strip().lower().encode()).hexdigest()[:20]
    )


def _admin_started_by_an_earlier_run(profile: WorkflowProfile, request: Request) -> None:
    # An earlier run of this attempt got as far as starting the admin-user child, then stopped:
    # the child is named <customer id>-admin-<attempt>, as onboarding names it.
    customer_id = _customer_id(request)
    harness = profile.harness
    earlier = harness.client("stepfunctions").start_execution(
        stateMachineArn=harness.state_machine_arn(USER_PROVISIONING),
        name=f"{customer_id}-admin-1",
        input=json.dumps(
            {
                "correlationId": request["correlationId"],
                "tenantId": customer_id,
                "user": {
                    "id": f"{customer_id}-admin",
                    "email": request["customer"]["email"],
                    "role": "admin",
                },
                "resources": ADMIN_RESOURCES,
            }
        ),
    )["executionArn"]
    assert harness.wait(earlier).status == "SUCCEEDED", harness.trace(earlier).render()


class CustomerOnboarding(WorkflowProfile):
    """Clean end: the customer ACTIVE with its tenant and one welcome email (or the email PENDING,
    free to be sent by a re-run), or ONBOARDING_FAILED with nothing of the tenant left; never stuck
    ONBOARDING."""

    workflow: ClassVar[str] = contract.DEFAULT_WORKFLOW_NAME
    stack: ClassVar[str] = "CustomerOnboarding"
    invalid_error: ClassVar[str] = contract.REQUEST_INVALID
    validation_state: ClassVar[str] = contract.VALIDATE_STATE
    sample: ClassVar[str] = "happy-path.json"
    scenarios: ClassVar[tuple[Scenario, ...]] = (
        Scenario("a new customer signs up"),
        Scenario(
            "SES refuses the welcome email",
            expect=Outcome("SUCCEEDED"),
            faults=((SEND, "SesV2.MessageRejected"),),
        ),
        Scenario(
            "marking the customer active fails",
            expect=Outcome("FAILED", UNEXPECTED_ERROR),
            faults=((ACTIVATE, None),),
        ),
        Scenario("the same sign-up again", setup=run_happy_path_first),
        Scenario("an earlier run already started the admin user", setup=_admin_started_by_an_earlier_run),
    )
    residual_faults: ClassVar[dict[str, str]] = {
        "Release the welcome email reservation": "when releasing the reservation of an unsent welcome "
        "email fails for good, the reservation stays (the operations notice says the email was not sent): "
        "removing welcomeEmailReservedAt from the customer by hand lets a re-run send it"
    }
    excluded_steps: ClassVar[dict[str, str]] = {
        "Record the resent welcome email": "reached only by a re-run after SES refused the email; the "
        "fault suite arms one fault per run, so it is covered on the local cloud by "
        "tests/behaviour/test_onboarding.py (the refused email resent once)",
    }
    bookkeeping: ClassVar[tuple[str, ...]] = (
        # Powertools idempotency records of the nested user-provisioning run, one per run and step.
        "dynamodb:items *IdempotencyTable*",
    )
    required: ClassVar[tuple[str, ...]] = (
        "correlationId",
        "requestedBy",
        "customer",
        "customer.name",
        "customer.email",
        "customer.plan",
    )
    bounded_strings: ClassVar[tuple[str, ...]] = (
        "correlationId",
        "requestedBy",
        "customer.name",
        "customer.email",
    )
    identifiers: ClassVar[tuple[str, ...]] = ("customer.plan", "customer.id")
    strips_whitespace: ClassVar[bool] = True  # the request model strips every string
    personal_fields: ClassVar[tuple[str, ...]] = ("customer.name", "customer.email")

    def request(self, unique: str) -> Request:
        request = super().request(unique)
        request["customer"] = {**request["customer"], "email": f"ada-{unique}@example.com"}
        return request

    @property
    def customers_table(self) -> str:
        return self.deployment.physical_id(self.stack, "OnboardingCustomers", "AWS::DynamoDB::GlobalTable")

    @property
    def tenants_table(self) -> str:
        return self.deployment.physical_id(self.stack, "OnboardingTenants", "AWS::DynamoDB::GlobalTable")

    @property
    def tenant_bucket(self) -> str:
        return self.deployment.physical_id(self.stack, "OnboardingTenantBucket", "AWS::S3::Bucket")

    def observe(self, request: Request) -> dict[str, Any] | None:
        if not isinstance(request, dict) or not isinstance(request.get("customer"), dict):
            return None
        customer_id = _customer_id(request)
        email = request["customer"]["email"].strip().lower()
        return {
            "customer": self.deployment.item(self.customers_table, {"customerId": customer_id}),
            "tenant": self.deployment.item(self.tenants_table, {"tenantId": customer_id}),
            "objects": self.deployment.object_keys(self.tenant_bucket, f"tenants/{customer_id}/"),
            "emails": len(self.harness.emails(to=email)),
        }

    def judge(self, run: Run) -> Verdict:
        verdict = Verdict()
        before, after = run.observed_before, run.observed_after
        if after is None:
            return verdict
        customer_id = _customer_id(run.request)
        status = after["customer"].get("status")
        # The tenant's marker, and the first admin's folders under it when one was provisioned.
        has_tenant = bool(after["tenant"]) and f"tenants/{customer_id}/tenant.json" in after["objects"]
        if run.result.status == "SUCCEEDED":
            if status != contract.CUSTOMER_ACTIVE:
                verdict.lost.append(f"succeeded but customer {customer_id} is {status}")
            if not has_tenant:
                verdict.lost.append(f"succeeded without its tenant: {after['tenant']}, {after['objects']}")
            # A welcome email SES refused is PENDING, its reservation released: a re-run sends it.
            pending = after["customer"].get("welcomeEmailStatus") == "PENDING"
            if after["emails"] == 0 and "welcomeEmailReservedAt" in after["customer"]:
                verdict.side_effects.append(
                    f"the welcome email to customer {customer_id} is reserved, unsent"
                )
            elif after["emails"] == 0 and not pending:
                verdict.lost.append(f"succeeded without a welcome email to customer {customer_id}")
        elif before["customer"].get("status") == contract.CUSTOMER_ACTIVE:
            # A repeat of a completed request failed: what the first run did must be untouched.
            if (after["customer"], after["tenant"], after["objects"]) != (
                before["customer"],
                before["tenant"],
                before["objects"],
            ):
                verdict.side_effects.append(f"a failed repeat changed the active customer {customer_id}")
        else:
            if status not in (None, contract.CUSTOMER_ONBOARDING_FAILED):
                verdict.lost.append(f"failed but customer {customer_id} is left {status}")
            if after["tenant"] or after["objects"]:
                verdict.side_effects.append(
                    f"failed but tenant {customer_id} is left: {after['tenant']}, {after['objects']}"
                )
        if after["emails"] > 1:
            verdict.doubled.append(f"{after['emails']} welcome emails to customer {customer_id}")
        return verdict
