"""The Lambda entry points, wired as the construct configures them: environment, logs, metrics.

One billing run through every handler (with moto tables and the sandbox provider), checking what
the logic tests cannot: environment variable names, the business metrics each step emits (EMF on
stdout), and that the task token appears in no log line.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import pytest
from billing import handler
from billing.errors import BillingRequestInvalid
from billing.signature import signature_header
from workflow_runtime.observability import metrics

from tests.unit.billing.fakes import SIGNING_SECRET, FakeStates, billing_input

EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:billing:run-1"
TOKEN = "task-token-that-must-stay-secret"
SDK_LOGGERS = ("botocore", "boto3", "moto", "urllib3")


@dataclass
class LambdaContext:
    function_name: str = "billing-handler"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:billing-handler"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_env(tables, aws, monkeypatch):
    """The environment BillingWorkflow gives its functions, over moto resources."""
    secret = aws.client("secretsmanager").create_secret(
        Name="billing-provider", SecretString=json.dumps({"signingSecret": SIGNING_SECRET})
    )
    for name, value in {
        "INVOICES_TABLE_NAME": "invoices",
        "AUTHORISATIONS_TABLE_NAME": "authorisations",
        "IDEMPOTENCY_TABLE_NAME": "idempotency",
        "AUTHORISATION_TIMEOUT_SECONDS": "86400",
        "PAYMENT_PROVIDER": "sandbox",
        "PAYMENT_PROVIDER_SECRET_ARN": secret["ARN"],
        "POWERTOOLS_SERVICE_NAME": "billing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(metrics.provider, "namespace", "billing")
    monkeypatch.setattr(metrics.provider, "service", "billing")
    for cached in (handler._dynamodb, handler._states, handler._secrets, handler._idempotency_store):
        cached.cache_clear()
    states = FakeStates()
    monkeypatch.setattr(handler, "_states", lambda: states)
    yield states
    for cached in (handler._dynamodb, handler._secrets, handler._idempotency_store):
        cached.cache_clear()


def _lines(captured: str) -> list[dict]:
    """The JSON lines of captured stdout (Powertools Metrics prints EMF there)."""
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def _metrics(lines: list[dict]) -> list[tuple[str, int, dict]]:
    """(name, value, dimensions) of every EMF metric in the output."""
    found = []
    for line in lines:
        if "_aws" not in line:
            continue
        for group in line["_aws"]["CloudWatchMetrics"]:
            assert group["Namespace"] == "billing"
            dims = {d: line[d] for d in group["Dimensions"][0]}
            for metric in group["Metrics"]:
                value = line[metric["Name"]]  # a list when one blob holds several values
                found.append((metric["Name"], value[0] if isinstance(value, list) else value, dims))
    return found


def _webhook_event(invoice_id: str, provider_id: str, kind: str = "authorisation.succeeded") -> dict:
    body = json.dumps(
        {
            "id": "evt_1",
            "type": kind,
            "created": int(time.time()),
            "data": {
                "authorisationId": f"{invoice_id}-a1",
                "providerAuthorisationId": provider_id,
                "amountCents": 8650,
                "currency": "EUR",
            },
        }
    )
    return {
        "httpMethod": "POST",
        "headers": {"Payment-Signature": signature_header(SIGNING_SECRET, int(time.time()), body.encode())},
        "body": body,
        "isBase64Encoded": False,
    }


def test_a_billing_run_through_every_handler(lambda_env, tables, capsys, caplog):
    context, states = LambdaContext(), lambda_env
    # GIVEN a valid request, priced and stored
    request = handler.validate_request(billing_input(), context)
    invoice = handler.calculate_invoice({"correlationId": "order-4711", "request": request}, context)
    stored = handler.store_invoice({"correlationId": "order-4711", "request": request}, context)
    assert stored == {"invoiceId": invoice["invoiceId"], "created": True, "status": "PENDING"}

    # WHEN the callback step asks, the provider's webhook answers, and the payment is captured twice
    handler.request_authorisation(
        {
            "correlationId": "order-4711",
            "invoiceId": invoice["invoiceId"],
            "executionId": EXECUTION,
            "paymentMethodId": "pm_card_visa",
            "taskToken": TOKEN,
        },
        context,
    )
    provider_id = tables.authorisation_store.get(f"{invoice['invoiceId']}-a1").provider_authorisation_id
    response = handler.payment_webhook(_webhook_event(invoice["invoiceId"], provider_id), context)
    # (the state machine's "Mark the invoice authorised" step)
    tables.invoices.update_item(
        Key={"invoiceId": invoice["invoiceId"]},
        UpdateExpression="SET #s = :s, providerAuthorisationId = :p",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "AUTHORISED", ":p": provider_id},
    )
    first = handler.capture_payment(
        {"correlationId": "order-4711", "invoiceId": invoice["invoiceId"]}, context
    )
    second = handler.capture_payment(
        {"correlationId": "order-4711", "invoiceId": invoice["invoiceId"]}, context
    )

    # THEN the execution was resumed once, the capture happened once, and each business metric once
    assert response["statusCode"] == 200
    assert [kind for kind, _ in states.calls] == ["success"]
    assert first == second == {"captureId": first["captureId"], "amountCents": 8650, "currency": "EUR"}
    logged = [vars(record) for record in caplog.records if not record.name.startswith(SDK_LOGGERS)]
    assert [line["msg"] for line in logged if line["msg"] == "Sandbox captured payment"] == [
        "Sandbox captured payment"
    ]
    assert _metrics(_lines(capsys.readouterr().out)) == [
        ("InvoicesCreated", 1.0, {"service": "billing"}),
        ("PaymentsAuthorised", 1.0, {"service": "billing"}),
        ("AmountCapturedCents", 8650.0, {"service": "billing", "currency": "EUR"}),
    ]
    # and the token is on no log line
    assert "Payment authorisation requested" in [line["msg"] for line in logged]
    assert not [line for line in logged if TOKEN in str(line)]


def test_a_forged_webhook_gets_401_through_the_handler(lambda_env, tables, capsys):
    event = _webhook_event("inv-2026-01-x", "sbx_auth_1")
    event["headers"]["Payment-Signature"] = signature_header("whsec_" + "f" * 58, int(time.time()), b"{}")

    response = handler.payment_webhook(event, LambdaContext())

    assert (response["statusCode"], json.loads(response["body"])) == (401, {"message": "Unauthorized"})
    assert lambda_env.calls == []


def test_invalid_input_fails_the_first_step_with_the_workflow_error(lambda_env, tables):
    with pytest.raises(BillingRequestInvalid, match="currency must be"):
        handler.validate_request(billing_input(currency="EURO"), LambdaContext())
    assert tables.invoices.scan()["Items"] == []


def test_a_timed_out_wait_voids_and_counts_once(lambda_env, tables, capsys):
    context = LambdaContext()
    request = handler.validate_request(billing_input(), context)
    invoice = handler.calculate_invoice({"request": request}, context)
    handler.store_invoice({"request": request}, context)
    handler.request_authorisation(
        {
            "invoiceId": invoice["invoiceId"],
            "executionId": EXECUTION,
            "paymentMethodId": "pm_card_visa",
            "taskToken": TOKEN,
        },
        context,
    )
    capsys.readouterr()

    first = handler.void_authorisation({"invoiceId": invoice["invoiceId"], "executionId": EXECUTION}, context)
    again = handler.void_authorisation({"invoiceId": invoice["invoiceId"], "executionId": EXECUTION}, context)

    assert first == again == {"authorisationId": f"{invoice['invoiceId']}-a1", "voided": True}
    assert [m[0] for m in _metrics(_lines(capsys.readouterr().out))] == ["AuthorisationsTimedOut"]
