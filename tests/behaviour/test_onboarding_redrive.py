"""Redriving a failed onboarding: it goes on from the failed step, and nothing is done twice.

The failure comes after side effects that must not repeat: the re-run that sends a welcome email
SES refused earlier fails recording it (DynamoDB down, a permanent fault on a step with no Catch).
Once DynamoDB is back, the execution is redriven (RedriveExecution on the local cloud): it records
the email and answers, without sending it again.
"""

from __future__ import annotations

import pytest
from onboarding import contract

from tests.behaviour.test_onboarding import Deployed, _customer_id, _email, _request

WORKFLOW = contract.DEFAULT_WORKFLOW_NAME
SEND = contract.SEND_WELCOME_STATE
RECORD_RESENT = "Record the resent welcome email"
TIMEOUT = 180  # seconds: a shared machine can be slow; a run takes about one


@pytest.fixture(scope="module")
def deployed(local_cloud_session) -> Deployed:
    return Deployed.of(local_cloud_session, "CustomerOnboarding")


def _entered_since_redrive(cloud, execution) -> list[str]:
    history = cloud.history(execution)
    (redriven,) = [index for index, event in enumerate(history) if event["type"] == "ExecutionRedriven"]
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in history[redriven:]
        if event["type"].endswith("StateEntered")
    ]


def test_a_failed_onboarding_redriven_after_the_fault_is_cleared_succeeds_without_a_second_email(
    local_cloud, deployed
):
    # GIVEN a customer onboarded while SES refused the welcome email (ACTIVE, email PENDING)
    email = _email()
    request = _request(email)
    customer_id = _customer_id(email)
    local_cloud.inject_permanent_fault(
        WORKFLOW, SEND, error="SesV2.MessageRejected", cause="Email address is not verified."
    )
    first = local_cloud.run(WORKFLOW, request, reason="customer signed up", timeout=TIMEOUT)
    assert first.output["welcomeEmail"] == {"status": "PENDING"}, local_cloud.trace(first.execution).render()
    local_cloud.clear_faults()
    # ... and a re-run that sent the email, then failed recording it (DynamoDB refusing every write)
    local_cloud.inject_permanent_fault(WORKFLOW, RECORD_RESENT)
    failed = local_cloud.run(WORKFLOW, request, reason="resend the welcome email", timeout=TIMEOUT)
    assert failed.status == "FAILED", local_cloud.trace(failed.execution).render()
    assert len(local_cloud.emails(to=email)) == 1
    before = local_cloud.inventory()

    # WHEN the fault is cleared and the failed execution is redriven
    local_cloud.clear_faults()
    redriven = local_cloud.redrive(failed.execution)
    result = local_cloud.wait(redriven, timeout=TIMEOUT)

    # THEN the same execution succeeds from the failed step: the email is recorded SENT, not sent again
    assert redriven.arn == failed.execution.arn
    assert result.status == "SUCCEEDED", local_cloud.trace(redriven).render()
    assert result.output["welcomeEmail"]["status"] == "SENT"
    assert _entered_since_redrive(local_cloud, redriven) == [
        RECORD_RESENT,
        "Answer with the resent welcome email",
    ]
    assert len(local_cloud.emails(to=email)) == 1
    record = deployed.customer(customer_id)
    assert (record["status"], record["welcomeEmailStatus"], record["attempt"]) == ("ACTIVE", "SENT", "1")
    # ... and nothing else was done: only the customer record changed, no execution was started
    changes = local_cloud.inventory().changes_since(before)
    assert [(change.kind, change.key) for change in changes] == [
        ("dynamodb:content", deployed.customers_table)
    ], [str(change) for change in changes]

    # WHEN it is redriven again THEN Step Functions refuses: it succeeded
    sfn = local_cloud.client("stepfunctions")
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable, match="Execution is SUCCEEDED"):
        local_cloud.redrive(redriven)
