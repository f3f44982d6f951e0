"""Customer onboarding, executed on the local cloud with the real handlers.

Each test onboards its own customer (a fresh email address), so tests do not see each other's
records in the session's shared local cloud. The nested admin-user step is covered at the end, in
a local cloud of its own (see ``admin_cloud``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from onboarding import contract
from workflow_local_cloud import LocalCloudHarness, running_local_cloud

from business_workflows.onboarding import OnboardingWorkflow
from business_workflows.options import WorkflowOptions
from tests.conftest import cdk_json_context

WORKFLOW = contract.DEFAULT_WORKFLOW_NAME
PROVISION = contract.PROVISION_TENANT_STATE
SEND = contract.SEND_WELCOME_STATE
ACTIVATE = contract.ACTIVATE_STATE


def _customer_id(email: str) -> str:
    # The derivation the validation step documents; written out so the test checks it, not reuses it.
    return "cus-" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:20]


def _request(email: str, *, correlation_id: str | None = None) -> dict[str, Any]:
    return {
        "correlationId": correlation_id or f"req-{uuid.uuid4().hex[:8]}",
        "requestedBy": "behaviour-test",
        "customer": {"name": "Ada Lovelace", "email": email, "plan": "team"},
    }


def _email() -> str:
    return f"ada-{uuid.uuid4().hex[:10]}@example.com"


@dataclass(frozen=True)
class Deployed:
    """Where one deployed onboarding stack keeps its state, and how to read it."""

    cloud: LocalCloudHarness
    customers_table: str
    tenants_table: str
    tenant_bucket: str

    @classmethod
    def of(cls, cloud: LocalCloudHarness, stack: str) -> Deployed:
        resources = cloud.client("cloudformation").list_stack_resources(StackName=stack)[
            "StackResourceSummaries"
        ]

        def physical(prefix: str, kind: str) -> str:
            (found,) = [
                r["PhysicalResourceId"]
                for r in resources
                if r["LogicalResourceId"].startswith(prefix) and r["ResourceType"] == kind
            ]
            return str(found)

        return cls(
            cloud,
            customers_table=physical("OnboardingCustomers", "AWS::DynamoDB::GlobalTable"),
            tenants_table=physical("OnboardingTenants", "AWS::DynamoDB::GlobalTable"),
            tenant_bucket=physical("OnboardingTenantBucket", "AWS::S3::Bucket"),
        )

    def _item(self, table: str, key: str, value: str) -> dict[str, str]:
        item = self.cloud.client("dynamodb").get_item(
            TableName=table, Key={key: {"S": value}}, ConsistentRead=True
        )
        return {name: next(iter(v.values())) for name, v in item.get("Item", {}).items()}

    def customer(self, customer_id: str) -> dict[str, str]:
        return self._item(self.customers_table, "customerId", customer_id)

    def tenant(self, tenant_id: str) -> dict[str, str]:
        return self._item(self.tenants_table, "tenantId", tenant_id)

    def tenant_object_versions(self, tenant_id: str) -> list[str]:
        """The tenant's own objects; its users' folders (``users/``) belong to user provisioning."""
        listing = self.cloud.client("s3").list_object_versions(
            Bucket=self.tenant_bucket, Prefix=f"tenants/{tenant_id}/"
        )
        return sorted(
            v["Key"]
            for v in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]
            if not v["Key"].startswith(f"tenants/{tenant_id}/users/")
        )

    def item_counts(self) -> tuple[int, int, int]:
        dynamodb = self.cloud.client("dynamodb")
        objects = self.cloud.client("s3").list_object_versions(Bucket=self.tenant_bucket).get("Versions", [])
        return (
            dynamodb.scan(TableName=self.customers_table, Select="COUNT")["Count"],
            dynamodb.scan(TableName=self.tenants_table, Select="COUNT")["Count"],
            len(objects),
        )


@pytest.fixture(scope="module")
def deployed(local_cloud_session) -> Deployed:
    return Deployed.of(local_cloud_session, "CustomerOnboarding")


@pytest.fixture(scope="module")
def operations_inbox(local_cloud_session) -> Iterator[Any]:
    """An SQS queue subscribed to the operations topic: returns the notices for one correlation id."""
    cloud = local_cloud_session
    resources = cloud.client("cloudformation").list_stack_resources(StackName="Operations")[
        "StackResourceSummaries"
    ]
    (topic,) = [r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::SNS::Topic"]
    sqs = cloud.client("sqs")
    queue = sqs.create_queue(QueueName=f"operations-inbox-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    subscription = cloud.client("sns").subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )["SubscriptionArn"]
    received: list[dict[str, Any]] = []

    def notices(correlation_id: str) -> list[dict[str, Any]]:
        while True:
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                break
            received.extend(json.loads(m["Body"]) for m in messages)
            for message in messages:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return [notice for notice in received if notice.get("correlationId") == correlation_id]

    yield notices
    # Unsubscribe first: the session's other workflows publish to this topic after this module.
    cloud.client("sns").unsubscribe(SubscriptionArn=subscription)
    sqs.delete_queue(QueueUrl=queue)


def _states_entered(cloud: LocalCloudHarness, execution: Any) -> list[str]:
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in cloud.history(execution)
        if event["type"].endswith("StateEntered")
    ]


def _log_documents(cloud: LocalCloudHarness, correlation_id: str) -> list[dict[str, Any]]:
    documents = []
    for line in cloud.lambda_log_lines():
        if line.message.startswith("{") and f'"{correlation_id}"' in line.message:
            documents.append(json.loads(line.message))
    return documents


# Happy path --------------------------------------------------------------------------------------


def test_a_new_customer_is_provisioned_then_welcomed_and_marked_active(local_cloud, deployed):
    # GIVEN a sign-up for a new customer, without a customer id
    email = _email()
    request = _request(email)
    customer_id = _customer_id(email)

    # WHEN onboarding runs
    result = local_cloud.run(WORKFLOW, request, reason="customer signed up")

    # THEN it succeeds, saying who the customer is and what was provisioned
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    admin_user = result.output["provisioned"].pop("adminUser")
    assert result.output == {
        "correlationId": request["correlationId"],
        "customerId": customer_id,
        "status": "ACTIVE",
        "provisioned": {
            "tenant": {
                "tenantId": customer_id,
                "configTable": deployed.tenants_table,
                "storageBucket": deployed.tenant_bucket,
                "storagePrefix": f"tenants/{customer_id}/",
            }
        },
        "welcomeEmail": {"status": "SENT"},
    }
    # AND the app's user-provisioning workflow gave the first admin every resource, in the tenant's storage
    assert admin_user["output"]["status"] == "ACTIVE"
    assert admin_user["output"]["user"]["id"] == f"{customer_id}-admin"
    assert [r["type"] for r in admin_user["output"]["resources"]] == [
        "storage-prefix",
        "profile-record",
        "access-scope",
        "api-key",
    ]
    home = f"tenants/{customer_id}/users/{customer_id}-admin/home/"
    assert local_cloud.client("s3").head_object(Bucket=deployed.tenant_bucket, Key=home)
    # AND the tenant exists, the customer is ACTIVE, and the welcome email went out once, after provisioning
    assert deployed.tenant(customer_id)["plan"] == "team"
    assert deployed.tenant_object_versions(customer_id) == [f"tenants/{customer_id}/tenant.json"]
    record = deployed.customer(customer_id)
    assert (record["status"], record["correlationId"], record["attempt"]) == (
        "ACTIVE",
        request["correlationId"],
        "1",
    )
    (welcome,) = local_cloud.emails(to=email)
    assert (welcome.template, welcome.subject) == (
        "customer-onboarding-welcome",
        "Welcome aboard, Ada Lovelace",
    )
    assert welcome.template_data == {
        "id": customer_id,
        "name": "Ada Lovelace",
        "email": email,
        "plan": "team",
    }
    entered = _states_entered(local_cloud, result.execution)
    assert entered.index(PROVISION) < entered.index(SEND) < entered.index(ACTIVATE)


def test_every_handler_log_line_carries_the_correlation_id_with_a_start_and_an_end_per_step(local_cloud):
    # GIVEN a completed onboarding
    request = _request(_email())
    result = local_cloud.run(WORKFLOW, request, reason="customer signed up")
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()

    # WHEN the functions' log lines for this request are read
    lines = [d for d in _log_documents(local_cloud, request["correlationId"]) if "message" in d]

    # THEN each of the three Lambda steps logged a start and an end line with the key fields
    onboarding_lines = [d for d in lines if d.get("service") == WORKFLOW]
    by_step: dict[str, list[str]] = {}
    for document in onboarding_lines:
        if document["message"] in ("Step started", "Step finished"):
            by_step.setdefault(document["step"], []).append(document["message"])
    assert by_step == {
        step: ["Step started", "Step finished"]
        for step in ("validate_request", "provision_tenant", "complete_onboarding")
    }
    customer_id = result.output["customerId"]
    assert all(d["correlation_id"] == request["correlationId"] for d in lines)
    assert all(d["customer_id"] == customer_id for d in onboarding_lines if d["step"] != "validate_request")
    # AND the nested user provisioning logged under the same correlation id
    assert {d.get("service") for d in lines} == {WORKFLOW, "user-provisioning"}


# Faults -------------------------------------------------------------------------------------------


def test_a_transient_fault_in_provisioning_is_retried_and_onboarding_succeeds(local_cloud, deployed):
    # GIVEN provisioning fails twice with a transient error, then works
    local_cloud.inject_transient_fault(WORKFLOW, PROVISION, times=2)
    email = _email()

    # WHEN onboarding runs
    result = local_cloud.run(WORKFLOW, _request(email), reason="customer signed up")

    # THEN it succeeds after two backoffs, with one tenant and one email
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    retries = [p for p in local_cloud.pauses(result.execution) if p.kind == "retry"]
    assert [p.state for p in retries] == [PROVISION, PROVISION]
    assert deployed.tenant_object_versions(_customer_id(email)) == [
        f"tenants/{_customer_id(email)}/tenant.json"
    ]
    assert len(local_cloud.emails(to=email)) == 1


def test_a_refused_welcome_email_tells_operations_keeps_the_customer_and_a_re_run_sends_it_once(
    local_cloud, deployed, operations_inbox
):
    # GIVEN SES refuses every attempt to send the welcome email (after the tenant was provisioned),
    # as it does for an unverified sender or in the SES sandbox
    local_cloud.inject_permanent_fault(
        WORKFLOW, SEND, error="SesV2.MessageRejected", cause="Email address is not verified."
    )
    email = _email()
    request = _request(email)
    customer_id = _customer_id(email)

    # WHEN onboarding runs
    result = local_cloud.run(WORKFLOW, request, reason="customer signed up")

    # THEN it succeeds: the customer is ACTIVE with the welcome email PENDING, nothing rolled back
    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    assert (result.output["status"], result.output["welcomeEmail"]) == ("ACTIVE", {"status": "PENDING"})
    assert deployed.tenant(customer_id)["plan"] == "team"
    assert deployed.tenant_object_versions(customer_id) == [f"tenants/{customer_id}/tenant.json"]
    record = deployed.customer(customer_id)
    assert (record["status"], record["welcomeEmailStatus"]) == ("ACTIVE", "PENDING")
    assert "welcomeEmailReservedAt" not in record
    assert local_cloud.emails(to=email) == []
    # ... and operations were told what SES answered and what to do
    (notice,) = operations_inbox(request["correlationId"])
    assert (notice["customerId"], notice["error"], notice["cause"]) == (
        customer_id,
        "SesV2.MessageRejected",
        "Email address is not verified.",
    )
    assert "start the onboarding again with the same input" in notice["next"]

    # WHEN the cause is gone and the same request is started again, twice
    local_cloud.clear_faults()
    resent = local_cloud.run(WORKFLOW, request, reason="resend the welcome email")
    again = local_cloud.run(WORKFLOW, request, reason="resend the welcome email again")

    # THEN the first re-run sends the welcome email and nothing else; the second does nothing
    assert resent.status == "SUCCEEDED", local_cloud.trace(resent.execution).render()
    assert resent.output["welcomeEmail"]["status"] == "SENT"
    assert resent.output["provisioned"] == result.output["provisioned"]
    entered = _states_entered(local_cloud, resent.execution)
    assert SEND in entered
    assert PROVISION not in entered
    assert ACTIVATE not in entered
    assert again.status == "SUCCEEDED"
    assert again.output["welcomeEmail"] == {"status": "SENT"}
    assert SEND not in _states_entered(local_cloud, again.execution)
    assert len(local_cloud.emails(to=email)) == 1
    record = deployed.customer(customer_id)
    assert (record["status"], record["welcomeEmailStatus"], record["attempt"]) == ("ACTIVE", "SENT", "1")


def test_a_failure_after_the_email_was_sent_rolls_back_but_a_re_run_sends_no_second_email(
    local_cloud, deployed
):
    # GIVEN marking the customer active fails permanently (the welcome email has gone out by then)
    local_cloud.inject_permanent_fault(WORKFLOW, ACTIVATE)
    email = _email()
    request = _request(email)

    # WHEN onboarding runs, fails and is started again once the fault is gone
    failed = local_cloud.run(WORKFLOW, request, reason="customer signed up")
    local_cloud.clear_faults()
    retried = local_cloud.run(WORKFLOW, request, reason="retry failed onboarding")

    # THEN the first run rolled back the tenant; the second provisioned it again and did not email twice
    assert failed.status == "FAILED", local_cloud.trace(failed.execution).render()
    assert retried.status == "SUCCEEDED", local_cloud.trace(retried.execution).render()
    assert SEND not in _states_entered(local_cloud, retried.execution)
    assert len(local_cloud.emails(to=email)) == 1
    customer_id = _customer_id(email)
    assert deployed.tenant_object_versions(customer_id) == [f"tenants/{customer_id}/tenant.json"]
    assert deployed.customer(customer_id)["status"] == "ACTIVE"


def _admin_user_resources(cloud: LocalCloudHarness, customer_id: str) -> dict[str, Any]:
    """What user provisioning made for the customer's first admin: access-scope grants, API keys."""
    user_id = f"{customer_id}-admin"
    summaries = cloud.client("cloudformation").list_stack_resources(StackName="UserProvisioning")

    def table(prefix: str) -> str:
        (name,) = [
            r["PhysicalResourceId"]
            for r in summaries["StackResourceSummaries"]
            if r["LogicalResourceId"].startswith(prefix) and r["ResourceType"] == "AWS::DynamoDB::GlobalTable"
        ]
        return str(name)

    def tenant_items(table_name: str) -> list[dict[str, Any]]:
        return list(
            cloud.client("dynamodb").query(
                TableName=table_name,
                KeyConditionExpression="tenantId = :t",
                ExpressionAttributeValues={":t": {"S": customer_id}},
                ConsistentRead=True,
            )["Items"]
        )

    grants = [
        item["scope"]["S"]
        for item in tenant_items(table("UserProvisioningAccessScopeGrantsTable"))
        if item["scope"]["S"].startswith(f"{user_id}#")
    ]
    api_keys = [
        item["keyName"]["S"]
        for item in tenant_items(table("UserProvisioningApiKeyApiKeysTable"))
        if item["userId"]["S"] == user_id
    ]
    return {"grants": grants, "api_keys": api_keys}


def test_a_failed_onboarding_removes_the_first_admin_user_it_provisioned(
    local_cloud, deployed, operations_inbox
):
    # GIVEN marking the customer active fails for good (after the first admin was provisioned)
    local_cloud.inject_permanent_fault(WORKFLOW, ACTIVATE)
    email = _email()
    request = _request(email)
    customer_id = _customer_id(email)

    # WHEN onboarding runs
    result = local_cloud.run(WORKFLOW, request, reason="customer signed up")

    # THEN the rollback revoked the admin user's access scope and API key through user-deprovisioning
    assert result.status == "FAILED", local_cloud.trace(result.execution).render()
    entered = _states_entered(local_cloud, result.execution)
    assert entered.index("Remove the first admin user") < entered.index("Roll back the tenant resources")
    assert _admin_user_resources(local_cloud, customer_id) == {"grants": [], "api_keys": []}
    (notice,) = operations_inbox(request["correlationId"])
    assert notice["adminUserRemoval"]["status"] == "DEPROVISIONED"
    assert {r["type"] for r in notice["adminUserRemoval"]["resources"]} == {
        "storage-prefix",
        "profile-record",
        "access-scope",
        "api-key",
    }

    # WHEN the cause is gone and the same request is started again
    local_cloud.clear_faults()
    retried = local_cloud.run(WORKFLOW, request, reason="retry failed onboarding")

    # THEN the admin user is provisioned again: one grant, one key
    assert retried.status == "SUCCEEDED", local_cloud.trace(retried.execution).render()
    found = _admin_user_resources(local_cloud, customer_id)
    assert (len(found["grants"]), len(found["api_keys"])) == (1, 1)


# Invalid input and duplicates ------------------------------------------------------------------


def test_invalid_input_fails_at_once_listing_every_problem_and_changes_nothing(local_cloud, deployed):
    # GIVEN the state of the stores and the emails sent so far
    before = (deployed.item_counts(), len(local_cloud.emails()))
    request = {"correlationId": "req-invalid", "customer": {"name": "", "email": "nope", "plan": "gold"}}

    # WHEN an invalid request is started
    result = local_cloud.run(WORKFLOW, request, reason="invalid sign-up")

    # THEN it fails at the first step with the workflow's error, naming every problem
    assert (result.status, result.error) == ("FAILED", contract.REQUEST_INVALID)
    assert json.loads(result.cause)["errorMessage"] == (
        "customer.name: must not be empty; "
        "customer.email: must be an email address like name@example.com; "
        "customer.plan: must be one of ['enterprise', 'starter', 'team']; "
        "requestedBy: is required"
    )
    assert _states_entered(local_cloud, result.execution) == ["Validate the onboarding request"]
    assert local_cloud.pauses(result.execution) == []  # not retried
    # AND nothing was written or sent
    assert (deployed.item_counts(), len(local_cloud.emails())) == before


def test_starting_the_same_request_twice_answers_the_same_and_sends_no_second_email(local_cloud, deployed):
    # GIVEN a customer onboarded once
    email = _email()
    request = _request(email)
    first = local_cloud.run(WORKFLOW, request, reason="customer signed up")
    assert first.status == "SUCCEEDED", local_cloud.trace(first.execution).render()
    counts = deployed.item_counts()

    # WHEN the same request is started again
    second = local_cloud.run(WORKFLOW, request, reason="duplicate sign-up")

    # THEN it answers with the recorded result, provisioning nothing and emailing nobody
    assert second.status == "SUCCEEDED", local_cloud.trace(second.execution).render()
    assert second.output == first.output
    assert PROVISION not in _states_entered(local_cloud, second.execution)
    assert len(local_cloud.emails(to=email)) == 1
    assert deployed.item_counts() == counts


def test_another_request_for_a_recorded_customer_is_refused_without_side_effects(local_cloud, deployed):
    # GIVEN a customer onboarded by one request
    email = _email()
    first = local_cloud.run(
        WORKFLOW, _request(email, correlation_id="req-first"), reason="customer signed up"
    )
    assert first.status == "SUCCEEDED", local_cloud.trace(first.execution).render()
    counts = deployed.item_counts()

    # WHEN another request signs up the same address
    second = local_cloud.run(
        WORKFLOW, _request(email.upper(), correlation_id="req-second"), reason="sign-up again"
    )

    # THEN it fails CustomerAlreadyExists, saying who owns the customer, and nothing changed
    assert (second.status, second.error) == ("FAILED", contract.CUSTOMER_ALREADY_EXISTS)
    assert (
        second.cause
        == f"Customer {_customer_id(email)} already exists: recorded by request req-first with status ACTIVE"
    )
    assert deployed.item_counts() == counts
    assert len(local_cloud.emails(to=email)) == 1


# The admin user, provisioned by a nested workflow -------------------------------------------------

ADMIN_WORKFLOW = "customer-onboarding-with-admin"
CHILD = "user-provisioning-stand-in"


def _admin_app(outdir: str) -> None:
    """A stack with the onboarding workflow and a stand-in for the user-provisioning workflow.

    The stand-in (a test double, never part of the app) follows the colleague's contract: input
    ``{correlationId, tenantId, user, resources}``, fails ``ProvisioningFailed`` (here: for any
    address containing "refuse"), else answers what it provisioned.
    """
    app = cdk.App(outdir=outdir, context=cdk_json_context())
    stack = cdk.Stack(app, "OnboardingWithAdminUser")
    refuse = sfn.Fail(
        stack, "Refuse the user", error="ProvisioningFailed", cause="the stand-in refused the user"
    )
    provision = sfn.Pass(
        stack,
        "Provision the user",
        parameters={"userId.$": "$.user.id", "tenantId.$": "$.tenantId", "resources.$": "$.resources"},
    )
    child = sfn.StateMachine(
        stack,
        "UserProvisioningStandIn",
        state_machine_name=CHILD,
        definition_body=sfn.DefinitionBody.from_chainable(
            sfn.Choice(stack, "Should the user be refused")
            .when(sfn.Condition.string_matches("$.user.email", "*refuse*"), refuse)
            .otherwise(provision)
        ),
    )
    OnboardingWorkflow(
        stack,
        "Onboarding",
        workflow_name=ADMIN_WORKFLOW,
        sender_address="hello@example.com",
        # The local cloud verifies no sender.
        options=WorkflowOptions(alarm_topic=sns.Topic(stack, "Notices"), allow_placeholder_senders=True),
        user_provisioning=child,
    )
    app.synth()


@pytest.fixture(scope="module")
def admin_cloud(tmp_path_factory) -> Iterator[LocalCloudHarness]:
    """A local cloud of its own: the session's cloud holds exactly the app's stacks."""
    outdir = tmp_path_factory.mktemp("onboarding-with-admin")

    def synthesize() -> Any:  # runs while the local cloud starts
        _admin_app(str(outdir))
        return outdir

    with running_local_cloud(synthesize) as cloud:
        yield cloud
        cloud.clear_faults()


def test_the_first_admin_user_is_provisioned_by_the_nested_workflow(admin_cloud):
    email = _email()
    customer_id = _customer_id(email)

    result = admin_cloud.run(ADMIN_WORKFLOW, _request(email), reason="customer signed up")

    assert result.status == "SUCCEEDED", admin_cloud.trace(result.execution).render()
    admin = result.output["provisioned"]["adminUser"]
    assert admin["executionArn"].endswith(f":execution:{CHILD}:{customer_id}-admin-1")
    assert admin["output"] == {
        "userId": f"{customer_id}-admin",
        "tenantId": customer_id,
        "resources": [
            {"type": "storage-prefix", "config": {"name": "home"}},
            {"type": "profile-record", "config": {}},
            {"type": "access-scope", "config": {"access": "read-write"}},
            {"type": "api-key", "config": {}},
        ],
    }


def test_a_refused_admin_user_fails_onboarding_with_the_childs_error_after_rolling_back(admin_cloud):
    email = f"refuse-{uuid.uuid4().hex[:8]}@example.com"
    deployed = Deployed.of(admin_cloud, "OnboardingWithAdminUser")

    result = admin_cloud.run(ADMIN_WORKFLOW, _request(email), reason="customer signed up")

    assert (result.status, result.error) == ("FAILED", "ProvisioningFailed"), admin_cloud.trace(
        result.execution
    ).render()
    assert json.loads(result.cause)["Cause"] == "the stand-in refused the user"
    assert deployed.tenant_object_versions(_customer_id(email)) == []
    assert deployed.customer(_customer_id(email))["status"] == contract.CUSTOMER_ONBOARDING_FAILED
    assert admin_cloud.emails(to=email) == []


def test_a_re_run_uses_the_admin_user_an_earlier_run_started_instead_of_starting_a_second(admin_cloud):
    # GIVEN an earlier run of this attempt got as far as starting the admin-user child, then stopped
    email = _email()
    customer_id = _customer_id(email)
    stepfunctions = admin_cloud.client("stepfunctions")
    earlier = stepfunctions.start_execution(
        stateMachineArn=admin_cloud.state_machine_arn(CHILD),
        name=f"{customer_id}-admin-1",
        input=json.dumps(
            {
                "correlationId": "req-earlier",
                "tenantId": customer_id,
                "user": {"id": f"{customer_id}-admin", "email": email, "role": "admin"},
                "resources": [],
            }
        ),
    )["executionArn"]
    admin_cloud.wait(earlier)

    # WHEN onboarding runs for that customer
    result = admin_cloud.run(ADMIN_WORKFLOW, _request(email), reason="customer signed up")

    # THEN it finds the earlier child by its name and uses its result; no second child was started
    assert result.status == "SUCCEEDED", admin_cloud.trace(result.execution).render()
    assert result.output["provisioned"]["adminUser"]["executionArn"] == earlier
    children = stepfunctions.list_executions(stateMachineArn=admin_cloud.state_machine_arn(CHILD))[
        "executions"
    ]
    assert [c["name"] for c in children].count(f"{customer_id}-admin-1") == 1
    assert len([c for c in children if c["name"].startswith(customer_id)]) == 1
