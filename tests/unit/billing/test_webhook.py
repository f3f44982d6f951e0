"""The webhook: only signed, fresh, known, matching events move an execution, and only once."""

from __future__ import annotations

import base64
import json

import pytest
from billing.authorisations import AuthorisationStatus
from billing.signature import signature_header
from billing.webhook import MAX_BODY_BYTES, WebhookRequest, handle_webhook, request_from_api_gateway

from tests.unit.billing.fakes import SIGNING_SECRET

NOW = 1_767_225_600
TOKEN = "AAAA-task-token-of-the-waiting-step"
AUTHORISATION_ID = "inv-2026-01-abc-a1"


@pytest.fixture
def waiting(tables):
    """An authorisation request whose execution waits for the provider."""
    store = tables.authorisation_store
    store.open(
        authorisation_id=AUTHORISATION_ID,
        invoice_id="inv-2026-01-abc",
        execution_id="arn:aws:states:eu-west-1:123456789012:execution:billing:run-1",
        customer_id="cus_123",
        amount_cents=8650,
        currency="EUR",
        payment_method_id="pm_card_visa",
        task_token=TOKEN,
        requested_at=NOW - 60,
        expires_at=NOW + 86_400,
    )
    store.set_provider_reference(AUTHORISATION_ID, "prov_auth_1", {})
    return store


def _event(kind="authorisation.succeeded", event_id="evt_1", **data):
    body = {
        "authorisationId": AUTHORISATION_ID,
        "providerAuthorisationId": "prov_auth_1",
        "amountCents": 8650,
        "currency": "EUR",
        **data,
    }
    return {"id": event_id, "type": kind, "created": NOW, "data": body}


def _request(event=None, *, secret=SIGNING_SECRET, signed_at=NOW, body=None, headers=None):
    raw = body if body is not None else json.dumps(event or _event()).encode()
    if headers is None:
        headers = {"payment-signature": signature_header(secret, signed_at, raw)}
    return WebhookRequest(headers=headers, body=raw)


def _handle(request, store, states, now=NOW):
    return handle_webhook(
        request, signing_secret=SIGNING_SECRET, authorisations=store, states_client=states, now=now
    )


def test_authorised_event_resumes_the_waiting_execution(waiting, states):
    # WHEN the provider posts a genuine "authorised" event
    response = _handle(_request(), waiting, states)

    # THEN the step gets SendTaskSuccess with the authorisation, once, and the token is forgotten
    assert (response.status_code, response.body) == (
        200,
        {"status": "delivered", "authorisationId": AUTHORISATION_ID},
    )
    ((kind, call),) = states.calls
    assert kind == "success"
    assert call["taskToken"] == TOKEN
    assert json.loads(call["output"]) == {
        "authorisationId": AUTHORISATION_ID,
        "providerAuthorisationId": "prov_auth_1",
        "outcome": "authorised",
        "amountCents": 8650,
        "currency": "EUR",
        "providerEventId": "evt_1",
    }
    record = waiting.get(AUTHORISATION_ID)
    assert record.status == AuthorisationStatus.DELIVERED
    assert record.task_token is None
    assert response.delivery.first_delivery


def test_declined_event_fails_the_step_with_payment_declined(waiting, states):
    event = _event(
        "authorisation.declined", declineCode="insufficient_funds", declineMessage="Not enough money."
    )

    response = _handle(_request(event), waiting, states)

    assert response.status_code == 200
    ((kind, call),) = states.calls
    assert kind == "failure"
    assert call["error"] == "PaymentDeclined"
    assert json.loads(call["cause"]) == {
        "authorisationId": AUTHORISATION_ID,
        "code": "insufficient_funds",
        "message": "Not enough money.",
    }


def test_duplicate_delivery_is_acknowledged_and_changes_nothing(waiting, states):
    # GIVEN an event delivered once
    request = _request()
    _handle(request, waiting, states)

    # WHEN the provider delivers it again (and then a contradicting event for the same authorisation)
    again = _handle(request, waiting, states)
    contradicting = _handle(_request(_event("authorisation.declined", event_id="evt_2")), waiting, states)

    # THEN both are acknowledged as duplicates, and the execution was answered exactly once
    assert (again.status_code, again.body["status"]) == (200, "duplicate")
    assert (contradicting.status_code, contradicting.body["status"]) == (200, "duplicate")
    assert [kind for kind, _ in states.calls] == ["success"]
    assert not again.delivery.first_delivery


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(lambda: _request(secret="whsec_" + "x" * 58), id="wrong secret"),
        pytest.param(lambda: _request(headers={}), id="missing header"),
        pytest.param(lambda: _request(signed_at=NOW - 301), id="old timestamp"),
        pytest.param(
            lambda: WebhookRequest(
                headers=_request().headers, body=json.dumps(_event(amountCents=1)).encode()
            ),
            id="tampered body",
        ),
    ],
)
def test_forged_requests_get_401_and_have_no_effect(waiting, states, forged):
    response = _handle(forged(), waiting, states)

    assert (response.status_code, response.body) == (401, {"message": "Unauthorized"})
    assert states.calls == []
    assert waiting.get(AUTHORISATION_ID).status == AuthorisationStatus.REQUESTED


def test_replay_after_the_window_is_rejected(waiting, states):
    # GIVEN a genuine declined event that was captured, never delivered
    captured = _request(_event("authorisation.declined"))

    # WHEN someone replays it ten minutes later
    response = _handle(captured, waiting, states, now=NOW + 600)

    # THEN it is refused and the execution still waits
    assert response.status_code == 401
    assert states.calls == []


def test_oversized_body_is_rejected_before_anything_else(waiting, states):
    body = json.dumps({**_event(), "padding": "x" * MAX_BODY_BYTES}).encode()

    response = _handle(_request(body=body), waiting, states)

    assert response.status_code == 413
    assert states.calls == []


def test_unknown_authorisation_is_rejected_without_effect(waiting, states):
    response = _handle(_request(_event(authorisationId="inv-2026-01-other-a1")), waiting, states)

    assert (response.status_code, response.body) == (404, {"message": "unknown authorisation"})
    assert states.calls == []


@pytest.mark.parametrize(
    "data",
    [{"amountCents": 1}, {"currency": "USD"}, {"providerAuthorisationId": "prov_auth_other"}],
    ids=["amount", "currency", "provider id"],
)
def test_event_that_does_not_match_the_request_is_rejected(waiting, states, data):
    response = _handle(_request(_event(**data)), waiting, states)

    assert response.status_code == 422
    assert states.calls == []
    assert waiting.get(AUTHORISATION_ID).status == AuthorisationStatus.REQUESTED


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "the event must be a JSON object"),
        (
            json.dumps({**_event(), "type": "charge.refunded"}).encode(),
            "unknown event type [charge.refunded]",
        ),
        (json.dumps({**_event(), "id": ""}).encode(), "the event has no id"),
        (
            json.dumps({**_event(), "data": {"authorisationId": AUTHORISATION_ID}}).encode(),
            "the event has no amountCents and currency",
        ),
    ],
)
def test_signed_but_malformed_event_is_a_bad_request(waiting, states, body, message):
    response = _handle(_request(body=body), waiting, states)

    assert (response.status_code, response.body) == (400, {"message": message})
    assert states.calls == []


def test_answer_for_a_step_that_no_longer_waits_is_kept_for_its_next_try(waiting, states):
    # GIVEN the token was invalidated (the step's Lambda try failed and Step Functions retries it)
    states.fail_with = "TaskTimedOut"

    # WHEN the provider answers
    response = _handle(_request(), waiting, states)

    # THEN the webhook acknowledges, and the decision stays recorded for the next try to pick up
    assert (response.status_code, response.body["status"]) == (200, "not-waiting")
    assert waiting.get(AUTHORISATION_ID).status == AuthorisationStatus.DECIDED


def test_answer_after_the_timeout_is_acknowledged_and_ignored(waiting, states):
    waiting.close(AUTHORISATION_ID, AuthorisationStatus.TIMED_OUT)

    response = _handle(_request(), waiting, states)

    assert (response.status_code, response.body["status"]) == (200, "closed")
    assert states.calls == []


def test_throttling_by_step_functions_is_transient(waiting, states):
    from workflow_runtime.errors import TransientError

    states.fail_with = "ThrottlingException"

    with pytest.raises(TransientError):
        _handle(_request(), waiting, states)
    # The provider retries; then the recorded decision is delivered.
    states.fail_with = None
    assert _handle(_request(), waiting, states).body["status"] == "delivered"


def test_api_gateway_event_is_read_case_insensitively_and_base64_decoded():
    event = {
        "headers": {"Payment-Signature": "t=1,v1=ab", "Content-Type": "application/json"},
        "body": base64.b64encode(b'{"a": 1}').decode(),
        "isBase64Encoded": True,
    }

    request = request_from_api_gateway(event)

    assert request.headers["payment-signature"] == "t=1,v1=ab"
    assert request.body == b'{"a": 1}'


def test_the_task_token_never_reaches_the_logs(waiting, states, caplog):
    caplog.set_level("DEBUG")

    _handle(_request(), waiting, states)
    _handle(_request(secret="whsec_" + "x" * 58), waiting, states)

    # Every attribute of every record our code logged, extras included (the AWS SDK's own debug
    # logging of requests is off in Lambda and not ours to judge)
    ours = [r for r in caplog.records if not r.name.startswith(("botocore", "boto3", "moto", "urllib3"))]
    logged = " ".join(str(vars(record)) for record in ours)
    assert "Webhook accepted" in logged
    assert TOKEN not in logged
