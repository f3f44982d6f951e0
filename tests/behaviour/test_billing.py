"""Billing on the local cloud: the real state machine and handlers, the provider answering by webhook.

The sandbox provider's answers are delivered as in a demo: signed by
``workflow_tools.payments_sandbox`` with the secret from Secrets Manager and handed to the webhook
function as an API Gateway event. Each test bills its own customer, so tests do not share invoices.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from billing import contract
from billing.contract import InvoiceStatus
from boto3.dynamodb.types import TypeDeserializer
from workflow_tools.demo.billing import SCENARIOS as DEMO_SCENARIOS
from workflow_tools.payments_sandbox import (
    SandboxClients,
    deliver_sandbox_webhook,
    find_authorisation,
    sign,
    stack_outputs,
)

WORKFLOW = contract.DEFAULT_WORKFLOW_NAME
CALLBACK_STEP = contract.REQUEST_AUTHORISATION_STATE
CAPTURE_STEP = contract.CAPTURE_STATE


def billing_input(
    *, card: str = "pm_card_visa", email: str | None = None, **overrides: Any
) -> dict[str, Any]:
    customer = f"cus_{uuid.uuid4().hex[:12]}"
    return {
        "correlationId": f"behaviour-{customer}",
        "customerId": customer,
        "billingPeriod": "2026-01",
        "currency": "EUR",
        "paymentMethodId": card,
        "customerEmail": email or f"{customer}@example.com",
        "lineItems": [
            {"description": "Team plan", "quantity": 1, "unitPriceCents": 4900},
            {"description": "Extra seats", "quantity": 3, "unitPriceCents": 1250},
        ],
        **overrides,
    }


@pytest.fixture
def sandbox(local_cloud) -> SandboxClients:
    """Clients of the local cloud for the sandbox webhook delivery."""
    return SandboxClients.from_session(local_cloud.session, endpoint_url=local_cloud.endpoint_url)


@pytest.fixture
def outputs(local_cloud) -> dict[str, str]:
    return stack_outputs(local_cloud.client("cloudformation"), "Billing")


def _answer(local_cloud, sandbox, execution, **kwargs):
    """Wait until the execution asks the provider, then deliver the sandbox's signed answer."""
    local_cloud.task_token(execution, CALLBACK_STEP)
    return deliver_sandbox_webhook(
        execution_arn=execution.arn, transport="invoke", clients=sandbox, wait_seconds=10, **kwargs
    )


def _asked(local_cloud, outputs, execution, *, timeout: float = 10.0) -> dict[str, Any]:
    """The authorisation request, once the callback step has stored it and the provider accepted it."""
    local_cloud.task_token(execution, CALLBACK_STEP)
    deadline = time.monotonic() + timeout
    while True:
        found = find_authorisation(
            local_cloud.client("dynamodb"), outputs["AuthorisationsTableName"], execution_arn=execution.arn
        )
        if found is not None:
            return found
        assert time.monotonic() < deadline, local_cloud.trace(execution).render()
        time.sleep(0.05)


def _item(local_cloud, table: str, key: dict[str, str]) -> dict[str, Any]:
    item = local_cloud.client("dynamodb").get_item(
        TableName=table, Key={name: {"S": value} for name, value in key.items()}, ConsistentRead=True
    )["Item"]
    return {name: TypeDeserializer().deserialize(value) for name, value in item.items()}


def _invoice(local_cloud, outputs, invoice_id: str) -> dict[str, Any]:
    return _item(local_cloud, outputs["InvoicesTableName"], {"invoiceId": invoice_id})


def _authorisation(local_cloud, outputs, execution) -> dict[str, Any]:
    """The authorisation request an execution made (found through the byExecution index)."""
    (key,) = local_cloud.client("dynamodb").query(
        TableName=outputs["AuthorisationsTableName"],
        IndexName="byExecution",
        KeyConditionExpression="executionId = :execution",
        ExpressionAttributeValues={":execution": {"S": execution.arn}},
    )["Items"]
    table = outputs["AuthorisationsTableName"]
    return _item(local_cloud, table, {"authorisationId": key["authorisationId"]["S"]})


def _invoice_count(local_cloud, outputs, customer_id: str) -> int:
    items = local_cloud.client("dynamodb").scan(TableName=outputs["InvoicesTableName"])["Items"]
    return sum(1 for item in items if item["customerId"]["S"] == customer_id)


def _captures(local_cloud, invoice_id: str) -> list[str]:
    """Capture calls that reached the (sandbox) provider for one invoice, from the functions' log lines."""
    found = []
    for line in local_cloud.lambda_log_lines():
        if "Sandbox captured payment" in line.message and invoice_id in line.message:
            found.append(line.message)
    return found


def test_authorised_payment_is_captured_once_and_receipted(local_cloud, sandbox, outputs):
    # GIVEN a billing run for a customer paying with an approving test card
    request = billing_input()
    execution = local_cloud.start(WORKFLOW, request, reason="behaviour authorised")

    # WHEN the provider authorises through the signed webhook
    delivery = _answer(local_cloud, sandbox, execution, outcome="authorised")
    result = local_cloud.wait(execution)

    # THEN the invoice is paid once and the customer has one receipt
    assert delivery.status_code == 200
    assert delivery.response["status"] == "delivered"
    assert result.status == "SUCCEEDED", local_cloud.trace(execution).render()
    invoice_id = result.output["invoiceId"]
    assert result.output == {
        "correlationId": request["correlationId"],
        "invoiceId": invoice_id,
        "customerId": request["customerId"],
        "billingPeriod": "2026-01",
        "totalCents": 8650,
        "currency": "EUR",
        "status": "PAID",
        "receiptEmail": "SENT",
    }
    invoice = _invoice(local_cloud, outputs, invoice_id)
    assert invoice["status"] == InvoiceStatus.PAID
    assert invoice["captureId"].startswith("sbx_cap_")
    (receipt,) = local_cloud.emails(to=request["customerEmail"])
    assert receipt.template == "billing-receipt"
    assert receipt.template_data["total"] == "86.50 EUR"
    assert len(_captures(local_cloud, invoice_id)) == 1


def test_declined_payment_marks_the_invoice_and_tells_the_customer(local_cloud, sandbox, outputs):
    # GIVEN a run with a card the sandbox declines for insufficient funds
    request = billing_input(card="pm_card_chargeDeclinedInsufficientFunds")
    execution = local_cloud.start(WORKFLOW, request, reason="behaviour declined")

    # WHEN the provider's answer arrives (the test card decides it)
    delivery = _answer(local_cloud, sandbox, execution)
    result = local_cloud.wait(execution)

    # THEN the execution fails with the decline reason, the invoice says so, the customer is told
    assert delivery.event["type"] == "authorisation.declined"
    assert result.status == "FAILED", local_cloud.trace(execution).render()
    assert result.error == contract.PAYMENT_DECLINED
    assert json.loads(result.cause)["code"] == "insufficient_funds"
    invoice_id = _authorisation(local_cloud, outputs, execution)["invoiceId"]
    invoice = _invoice(local_cloud, outputs, invoice_id)
    assert (invoice["status"], invoice["declineCode"]) == (InvoiceStatus.PAYMENT_FAILED, "insufficient_funds")
    (notice,) = local_cloud.emails(to=request["customerEmail"])
    assert notice.template == "billing-payment-declined"
    assert notice.template_data["reason"] == "Your card has insufficient funds."
    assert _captures(local_cloud, invoice_id) == []


def test_no_answer_in_time_voids_and_escalates(local_cloud, sandbox, outputs):
    # GIVEN a run waiting for the provider
    request = billing_input()
    execution = local_cloud.start(WORKFLOW, request, reason="behaviour timed out")

    # WHEN the provider never answers and the 24-hour wait runs out (simulated time)
    _asked(local_cloud, outputs, execution)
    local_cloud.time_out_callback(execution, CALLBACK_STEP)
    result = local_cloud.wait(execution)

    # THEN the authorisation is voided, the invoice marked, operations told, and nothing charged
    assert result.status == "FAILED", local_cloud.trace(execution).render()
    assert result.error == contract.AUTHORISATION_TIMED_OUT
    states = [event for event in local_cloud.history(execution) if event["type"] == "TaskStateExited"]
    exited = [event["stateExitedEventDetails"]["name"] for event in states]
    assert exited[-3:] == [
        "Void the authorisation",
        "Mark the invoice authorisation timed out",
        "Tell operations the authorisation timed out",
    ]
    authorisation = _authorisation(local_cloud, outputs, execution)
    assert authorisation["status"] == "TIMED_OUT"
    assert "taskToken" not in authorisation
    assert (
        _invoice(local_cloud, outputs, authorisation["invoiceId"])["status"]
        == InvoiceStatus.AUTHORISATION_TIMED_OUT
    )
    assert local_cloud.emails(to=request["customerEmail"]) == []
    assert _captures(local_cloud, authorisation["invoiceId"]) == []
    # a late answer after the timeout is acknowledged and moves nothing
    late = deliver_sandbox_webhook(
        authorisation_id=authorisation["authorisationId"],
        outcome="authorised",
        transport="invoke",
        clients=sandbox,
    )
    assert (late.status_code, late.response["status"]) == (200, "closed")


def test_duplicate_webhook_is_acknowledged_and_does_nothing(local_cloud, sandbox):
    # GIVEN an execution the provider has already answered
    request = billing_input()
    execution = local_cloud.start(WORKFLOW, request, reason="behaviour duplicate webhook")
    first = _answer(local_cloud, sandbox, execution, outcome="authorised")
    result = local_cloud.wait(execution)

    # WHEN the provider delivers the same event again (and then a contradicting one)
    again = deliver_sandbox_webhook(
        authorisation_id=first.authorisation_id, outcome="authorised", transport="invoke", clients=sandbox
    )
    contradicting = deliver_sandbox_webhook(
        authorisation_id=first.authorisation_id, outcome="declined", transport="invoke", clients=sandbox
    )

    # THEN both are acknowledged as duplicates; one capture, one receipt
    assert result.status == "SUCCEEDED", local_cloud.trace(execution).render()
    assert again.event["id"] == first.event["id"]
    assert (again.status_code, again.response["status"]) == (200, "duplicate")
    assert (contradicting.status_code, contradicting.response["status"]) == (200, "duplicate")
    assert len(local_cloud.emails(to=request["customerEmail"])) == 1
    assert len(_captures(local_cloud, result.output["invoiceId"])) == 1


def test_forged_webhook_gets_401_and_the_execution_keeps_waiting(local_cloud, sandbox, outputs):
    # GIVEN an execution waiting for the provider
    request = billing_input()
    execution = local_cloud.start(WORKFLOW, request, reason="behaviour forged webhook")
    authorisation_id = _asked(local_cloud, outputs, execution)["authorisationId"]

    # WHEN someone posts an "authorised" event signed with a guessed secret
    body = json.dumps(
        {
            "id": "evt_forged",
            "type": "authorisation.succeeded",
            "created": 1,
            "data": {"authorisationId": authorisation_id, "amountCents": 8650, "currency": "EUR"},
        }
    ).encode()

    forged = _invoke_webhook(
        local_cloud, outputs, body, sign("whsec_guessed_" + "x" * 40, int(time.time()), body)
    )
    unsigned = _invoke_webhook(local_cloud, outputs, body, None)

    # THEN both are refused and the execution still waits; the genuine answer then completes it
    assert forged["statusCode"] == 401
    assert unsigned["statusCode"] == 401
    still = local_cloud.client("stepfunctions").describe_execution(executionArn=execution.arn)
    assert still["status"] == "RUNNING"
    assert _authorisation(local_cloud, outputs, execution)["status"] == "REQUESTED"
    deliver_sandbox_webhook(
        execution_arn=execution.arn, outcome="authorised", transport="invoke", clients=sandbox
    )
    assert local_cloud.wait(execution).status == "SUCCEEDED"


def _invoke_webhook(local_cloud, outputs, body: bytes, signature: str | None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if signature:
        headers["Payment-Signature"] = signature
    event = {"httpMethod": "POST", "path": "/payments/webhook", "headers": headers, "body": body.decode()}
    answer = local_cloud.client("lambda").invoke(
        FunctionName=outputs["WebhookFunctionName"], Payload=json.dumps(event).encode()
    )
    return json.loads(answer["Payload"].read())


def test_rerun_of_a_paid_period_charges_and_receipts_nothing_more(local_cloud, sandbox, outputs):
    # GIVEN a period already paid
    request = billing_input()
    first = local_cloud.start(WORKFLOW, request, reason="behaviour rerun first")
    _answer(local_cloud, sandbox, first, outcome="authorised")
    paid = local_cloud.wait(first)
    assert paid.status == "SUCCEEDED", local_cloud.trace(first).render()

    # WHEN the same period is billed again
    rerun = local_cloud.run(WORKFLOW, {**request, "correlationId": "rerun"}, reason="behaviour rerun second")

    # THEN it succeeds on the same invoice without asking the provider, capturing or emailing again
    assert rerun.status == "SUCCEEDED", local_cloud.trace(rerun.execution).render()
    assert rerun.output["invoiceId"] == paid.output["invoiceId"]
    assert _invoice_count(local_cloud, outputs, request["customerId"]) == 1
    assert len(_captures(local_cloud, paid.output["invoiceId"])) == 1
    assert len(local_cloud.emails(to=request["customerEmail"])) == 1
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in local_cloud.history(rerun.execution)
        if e["type"].endswith("StateEntered")
    ]
    assert CALLBACK_STEP not in entered
    assert CAPTURE_STEP not in entered


def _entered(local_cloud, execution) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"]
        for e in local_cloud.history(execution)
        if e["type"].endswith("StateEntered")
    ]


def test_a_refused_receipt_keeps_the_paid_run_and_a_re_run_sends_exactly_one_receipt(
    local_cloud, sandbox, outputs
):
    # GIVEN SES refuses the receipt for good (an unverified sender, the SES sandbox)
    local_cloud.inject_permanent_fault(
        WORKFLOW,
        "Send the receipt email",
        error="SesV2.MessageRejected",
        cause="Email address is not verified.",
    )
    request = billing_input()
    first = local_cloud.start(WORKFLOW, request, reason="behaviour receipt refused")

    # WHEN the payment is authorised and captured
    _answer(local_cloud, sandbox, first, outcome="authorised")
    paid = local_cloud.wait(first)

    # THEN the paid run succeeds with the receipt PENDING, its claim released, and operations told
    assert paid.status == "SUCCEEDED", local_cloud.trace(first).render()
    assert (paid.output["status"], paid.output["receiptEmail"]) == ("PAID", "PENDING")
    invoice = _invoice(local_cloud, outputs, paid.output["invoiceId"])
    assert invoice["status"] == InvoiceStatus.PAID
    assert "receiptSentBy" not in invoice
    assert "Tell operations the receipt was not sent" in _entered(local_cloud, first)
    assert local_cloud.emails(to=request["customerEmail"]) == []

    # WHEN the cause is gone and the period is billed again, twice
    local_cloud.clear_faults()
    resent = local_cloud.run(
        WORKFLOW, {**request, "correlationId": "resend"}, reason="behaviour resend receipt"
    )
    again = local_cloud.run(
        WORKFLOW, {**request, "correlationId": "resend-2"}, reason="behaviour resend again"
    )

    # THEN exactly one receipt went out, nobody was charged again, and the second re-run sent nothing
    assert resent.status == again.status == "SUCCEEDED", local_cloud.trace(resent.execution).render()
    assert (resent.output["receiptEmail"], again.output["receiptEmail"]) == ("SENT", "SENT")
    assert "Send the receipt email" not in _entered(local_cloud, again.execution)
    assert CAPTURE_STEP not in _entered(local_cloud, resent.execution)
    (receipt,) = local_cloud.emails(to=request["customerEmail"])
    assert receipt.template == "billing-receipt"
    assert len(_captures(local_cloud, paid.output["invoiceId"])) == 1
    assert _invoice(local_cloud, outputs, paid.output["invoiceId"])["receiptSentBy"] == resent.execution.arn


def test_transient_fault_during_capture_retries_without_a_double_capture(local_cloud, sandbox, outputs):
    # GIVEN the capture step fails transiently twice
    local_cloud.inject_transient_fault(WORKFLOW, CAPTURE_STEP, times=2)
    request = billing_input()
    execution = local_cloud.start(WORKFLOW, request, reason="behaviour capture fault")

    # WHEN the payment is authorised
    _answer(local_cloud, sandbox, execution, outcome="authorised")
    result = local_cloud.wait(execution)

    # THEN the step is retried and succeeds, and the provider captured exactly once
    assert result.status == "SUCCEEDED", local_cloud.trace(execution).render()
    assert [f.state for f in local_cloud.delivered_faults() if f.state == CAPTURE_STEP] == [CAPTURE_STEP] * 2
    assert len(_captures(local_cloud, result.output["invoiceId"])) == 1
    assert _invoice(local_cloud, outputs, result.output["invoiceId"])["status"] == "PAID"


def test_invalid_request_fails_at_once_without_side_effects(local_cloud, outputs):
    request = billing_input(billingPeriod="2026-13", currency="eur")

    result = local_cloud.run(WORKFLOW, request, reason="behaviour invalid")

    assert result.status == "FAILED"
    assert result.error == "BillingRequestInvalid"
    assert "billingPeriod must be a month" in result.cause
    assert "currency must be" in result.cause
    assert _invoice_count(local_cloud, outputs, request["customerId"]) == 0


@pytest.mark.parametrize("scenario", DEMO_SCENARIOS, ids=lambda scenario: scenario.reason)
def test_the_demo_scenarios_end_as_they_declare(local_cloud, scenario):
    # GIVEN a scenario `make demo` runs, with its sample input (or its own start: a fired schedule)
    if scenario.start:
        execution = scenario.start(local_cloud)
    else:
        execution = local_cloud.start(scenario.workflow, scenario.input(), reason=scenario.reason)

    # WHEN its hook plays the provider
    if scenario.during:
        scenario.during(local_cloud, execution)
    result = local_cloud.wait(execution)

    # THEN it ends as declared
    assert (result.status, result.error) == (scenario.expect_status, scenario.expect_error), (
        local_cloud.trace(execution).render()
    )
