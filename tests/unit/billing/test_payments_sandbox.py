"""The sandbox webhook delivery tool against the real webhook logic (moto tables, fake Step Functions)."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime

import pytest
from billing.authorise import AuthorisationCommand, request_authorisation
from billing.invoice import calculate_invoice
from billing.providers.sandbox import SandboxPaymentProvider
from billing.request import parse_request
from billing.signature import verify_signature
from billing.webhook import handle_webhook, request_from_api_gateway
from workflow_tools import payments_sandbox
from workflow_tools.payments_sandbox import (
    AuthorisationNotFoundError,
    NotASandboxAuthorisationError,
    SandboxClients,
    SandboxWebhookError,
    build_event,
    deliver_sandbox_webhook,
    sandbox_event_id,
    sign,
)

from tests.unit.billing.fakes import SIGNING_SECRET, FakeProvider, billing_input

EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:billing:run-1"
WEBHOOK_URL = "https://abc.execute-api.eu-west-1.amazonaws.com/v1/payments/webhook"


class FakeCloudFormation:
    def __init__(self, outputs):
        self.outputs = outputs

    def describe_stacks(self, StackName):  # noqa: N803  (boto3's name)
        return {
            "Stacks": [{"Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()]}]
        }


class WebhookFunction:
    """The webhook Lambda, in-process: the real logic behind a Lambda Invoke-shaped API."""

    def __init__(self, tables, states):
        self.tables, self.states, self.events = tables, states, []

    def answer(self, event):
        self.events.append(event)
        return handle_webhook(
            request_from_api_gateway(event),
            signing_secret=SIGNING_SECRET,
            authorisations=self.tables.authorisation_store,
            states_client=self.states,
            now=time.time(),
        ).to_api_gateway()

    def invoke(self, FunctionName, InvocationType, Payload):  # noqa: N803
        assert (FunctionName, InvocationType) == ("billing-webhook", "RequestResponse")
        response = self.answer(json.loads(Payload))
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(response).encode())}

    def post(self, url, headers, body):
        assert url == WEBHOOK_URL
        response = self.answer({"headers": dict(headers), "body": body.decode(), "isBase64Encoded": False})
        return response["statusCode"], response["body"].encode()


@pytest.fixture
def stack(tables, states, aws):
    secret = aws.client("secretsmanager").create_secret(
        Name="billing-provider", SecretString=json.dumps({"signingSecret": SIGNING_SECRET})
    )
    function = WebhookFunction(tables, states)
    clients = SandboxClients(
        cloudformation=FakeCloudFormation(
            {
                "WebhookUrl": WEBHOOK_URL,
                "WebhookFunctionName": "billing-webhook",
                "AuthorisationsTableName": "authorisations",
                "ProviderSecretArn": secret["ARN"],
            }
        ),
        dynamodb=tables.dynamodb_client,
        secretsmanager=aws.client("secretsmanager"),
        lambda_=function,
        http_post=function.post,
    )
    return clients, function


def _waiting(tables, states, *, card="pm_card_visa", provider=None):
    """An execution waiting on the sandbox's answer; returns its authorisation id."""
    invoice = calculate_invoice(parse_request(billing_input(paymentMethodId=card)))
    tables.invoice_store.create_or_continue(invoice, now=datetime.now(UTC))
    return request_authorisation(
        AuthorisationCommand(invoice_id=invoice.invoice_id, execution_id=EXECUTION, payment_method_id=card),
        task_token="token-1",
        invoices=tables.invoice_store,
        authorisations=tables.authorisation_store,
        provider=provider or SandboxPaymentProvider(),
        states_client=states,
        now=datetime.now(UTC),
        timeout_seconds=86_400,
    ).authorisation_id


def test_pay_an_execution_through_the_function(tables, states, stack):
    # GIVEN an execution waiting for the sandbox to answer a visa payment
    clients, function = stack
    authorisation_id = _waiting(tables, states)

    # WHEN the operator pays it (the local cloud way: invoking the function)
    delivery = deliver_sandbox_webhook(
        execution_arn=EXECUTION, outcome="authorised", transport="invoke", clients=clients
    )

    # THEN the real webhook accepted the signed event and resumed the execution
    assert delivery.accepted
    assert (delivery.status_code, delivery.response["status"]) == (200, "delivered")
    assert (delivery.authorisation_id, delivery.execution_arn) == (authorisation_id, EXECUTION)
    assert [kind for kind, _ in states.calls] == ["success"]
    (event,) = function.events
    assert event["httpMethod"] == "POST"
    assert event["path"] == "/payments/webhook"


def test_decline_by_authorisation_id_over_https(tables, states, stack):
    clients, _ = stack
    authorisation_id = _waiting(tables, states)

    delivery = deliver_sandbox_webhook(
        authorisation_id=authorisation_id,
        outcome="declined",
        decline_reason="insufficient_funds",
        clients=clients,
    )

    assert delivery.accepted
    assert delivery.transport == "post"
    ((kind, call),) = states.calls
    assert (kind, call["error"]) == ("failure", "PaymentDeclined")
    assert json.loads(call["cause"]) == {
        "authorisationId": authorisation_id,
        "code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
    }


def test_without_an_outcome_the_test_card_decides(tables, states, stack):
    clients, _ = stack
    _waiting(tables, states, card="pm_card_chargeDeclinedExpiredCard")

    delivery = deliver_sandbox_webhook(execution_arn=EXECUTION, transport="invoke", clients=clients)

    assert delivery.event["type"] == "authorisation.declined"
    assert delivery.event["data"]["declineCode"] == "expired_card"


def test_delivering_twice_is_a_duplicate_the_webhook_ignores(tables, states, stack):
    clients, _ = stack
    authorisation_id = _waiting(tables, states)

    first = deliver_sandbox_webhook(
        authorisation_id=authorisation_id, outcome="authorised", transport="invoke", clients=clients
    )
    second = deliver_sandbox_webhook(
        authorisation_id=authorisation_id, outcome="authorised", transport="invoke", clients=clients
    )

    assert first.event["id"] == second.event["id"] == sandbox_event_id(authorisation_id, "authorised")
    assert (first.response["status"], second.response["status"]) == ("delivered", "duplicate")
    assert second.accepted
    assert len(states.calls) == 1


def test_a_real_providers_authorisation_is_never_answered(tables, states, stack):
    clients, function = stack
    authorisation_id = _waiting(tables, states, provider=FakeProvider())  # provider id "prov_auth_1"

    with pytest.raises(NotASandboxAuthorisationError, match="belongs to a real payment provider"):
        deliver_sandbox_webhook(authorisation_id=authorisation_id, outcome="authorised", clients=clients)
    assert function.events == []


def test_nothing_to_answer_yet(tables, stack):
    clients, _ = stack

    with pytest.raises(
        AuthorisationNotFoundError, match="has the execution reached 'Request payment authorisation'"
    ):
        deliver_sandbox_webhook(execution_arn=EXECUTION, clients=clients)


class FakeClock:
    """Stands in for the sandbox module's ``time``: sleeping advances it and runs ``on_sleep``."""

    def __init__(self, on_sleep):
        self.now, self.pauses, self.on_sleep = 1_000.0, [], on_sleep

    def monotonic(self):
        return self.now

    def time(self):
        return time.time()

    def sleep(self, seconds):
        self.pauses.append(seconds)
        self.now += seconds
        self.on_sleep(len(self.pauses))


def test_the_wait_backs_off_from_milliseconds_and_answers_once_the_execution_asks(
    tables, states, stack, monkeypatch
):
    # GIVEN an execution that asks for authorisation only while the tool waits (after its 8th pause)
    clients, function = stack
    clock = FakeClock(lambda pauses: _waiting(tables, states) if pauses == 8 else None)
    monkeypatch.setattr(payments_sandbox, "time", clock)

    # WHEN the tool waits for it
    delivery = deliver_sandbox_webhook(
        execution_arn=EXECUTION, clients=clients, transport="invoke", wait_seconds=20
    )

    # THEN it looked again after 5 ms, doubling each pause up to POLL_INTERVAL_SECONDS, and answered
    assert clock.pauses == pytest.approx(
        [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, payments_sandbox.POLL_INTERVAL_SECONDS]
    )
    assert delivery.accepted
    assert len(function.events) == 1


def test_the_wait_never_pauses_past_its_deadline(tables, stack, monkeypatch):
    # GIVEN an execution that never asks
    clients, function = stack
    clock = FakeClock(lambda pauses: None)
    monkeypatch.setattr(payments_sandbox, "time", clock)

    # WHEN the tool waits 0.1 s for it
    with pytest.raises(AuthorisationNotFoundError):
        deliver_sandbox_webhook(execution_arn=EXECUTION, clients=clients, wait_seconds=0.1)

    # THEN its last pause ends at the deadline and nothing was delivered
    assert clock.pauses == pytest.approx([0.005, 0.01, 0.02, 0.04, 0.025])
    assert function.events == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "maybe"}, "outcome must be 'authorised' or 'declined'. Received: \\[maybe\\]"),
        ({"outcome": "authorised", "decline_reason": "card_declined"}, "decline_reason only goes with"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_read(kwargs, message):
    with pytest.raises(SandboxWebhookError, match=message):
        deliver_sandbox_webhook(authorisation_id="a", clients=object(), **kwargs)


def test_the_tools_signature_is_what_the_webhook_verifies():
    body = json.dumps(
        build_event(
            {
                "authorisationId": "a",
                "providerAuthorisationId": "sbx_auth_1",
                "amountCents": 5,
                "currency": "EUR",
                "providerData": {},
            },
            created=1_767_225_600,
        )
    ).encode()

    header = sign(SIGNING_SECRET, 1_767_225_600, body)

    assert (
        verify_signature(secret=SIGNING_SECRET, header=header, body=body, now=1_767_225_600) == 1_767_225_600
    )
