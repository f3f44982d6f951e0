"""The payment provider's webhook: verify, then hand the decision to the waiting execution once.

Works on a plain :class:`WebhookRequest` (headers and raw body), so it runs and is tested without
API Gateway; :func:`request_from_api_gateway` and :meth:`WebhookResponse.to_api_gateway` adapt the
proxy integration's event and response.

The event the provider posts (JSON)::

    {"id": "evt_...", "type": "authorisation.succeeded" | "authorisation.declined",
     "created": 1767225600,
     "data": {"authorisationId": "<ours>", "providerAuthorisationId": "...",
              "amountCents": 4900, "currency": "EUR",
              "declineCode": "insufficient_funds", "declineMessage": "..."}}   # declined only

Answers, none of which changes anything unless it is 200 ``delivered``:

====  =====================================================================
413   body larger than ``MAX_BODY_BYTES`` (checked before anything else)
401   not signed by the provider, or outside the replay window (no detail)
400   signed, but not an event this webhook understands
404   signed, but for an authorisation this workflow never requested
422   signed, but amount, currency or provider id differ from the request (or an
      authorisation without any provider id: there would be nothing to capture)
200   ``delivered``; ``duplicate`` (answered before: the provider may stop retrying);
      ``closed`` (nobody waits any more); ``not-waiting`` (recorded; the waiting step picks it up)
====  =====================================================================
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from billing.authorisations import AuthorisationStore, Decision, DeliveryResult, decide_and_deliver
from billing.signature import SIGNATURE_HEADER, SignatureError, verify_signature

MAX_BODY_BYTES = 64 * 1024  # a provider event is well under 4 KiB
EVENT_TYPES = {"authorisation.succeeded": "authorised", "authorisation.declined": "declined"}

_log = Logger(child=True)


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request: header names in lower case, and the raw body bytes as signed."""

    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class WebhookResponse:
    """The HTTP answer, and the delivery when a decision was handed over."""

    status_code: int
    body: dict[str, Any]
    delivery: DeliveryResult | None = field(default=None, compare=False)

    def to_api_gateway(self) -> dict[str, Any]:
        """The response in the shape of a Lambda proxy integration."""
        return {
            "statusCode": self.status_code,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(self.body),
        }


def request_from_api_gateway(event: Mapping[str, Any]) -> WebhookRequest:
    """The request inside an API Gateway (REST, proxy integration) event."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            body = raw.encode()  # cannot be a valid signed body; verification rejects it
    else:
        body = raw.encode()
    return WebhookRequest(headers=headers, body=body)


def _reject(status: int, message: str) -> WebhookResponse:
    return WebhookResponse(status_code=status, body={"message": message})


def _decision(event: object) -> tuple[str, Decision, int, str] | str:
    """(authorisation id, decision, amount, currency) from a provider event, or what is wrong with it."""
    if not isinstance(event, Mapping):
        return "the event must be a JSON object"
    data = event.get("data")
    event_id, kind = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not event_id:
        return "the event has no id"
    if kind not in EVENT_TYPES:
        return f"unknown event type [{kind}]"
    if not isinstance(data, Mapping):
        return "the event has no data"
    authorisation_id, amount, currency = (
        data.get("authorisationId"),
        data.get("amountCents"),
        data.get("currency"),
    )
    if not isinstance(authorisation_id, str) or not authorisation_id:
        return "the event names no authorisationId"
    if not isinstance(amount, int) or isinstance(amount, bool) or not isinstance(currency, str):
        return "the event has no amountCents and currency"
    provider_id = data.get("providerAuthorisationId")
    decision = Decision(
        outcome="authorised" if EVENT_TYPES[kind] == "authorised" else "declined",
        provider_event_id=event_id,
        provider_authorisation_id=provider_id if isinstance(provider_id, str) and provider_id else None,
        decline_code=str(data.get("declineCode") or "declined") if EVENT_TYPES[kind] == "declined" else None,
        decline_message=str(data.get("declineMessage") or "") or None,
    )
    return authorisation_id, decision, amount, currency


def handle_webhook(
    request: WebhookRequest,
    *,
    signing_secret: str,
    authorisations: AuthorisationStore,
    states_client: Any,
    now: float,
) -> WebhookResponse:
    """Answer one webhook request (see the module docstring for every answer)."""
    if len(request.body) > MAX_BODY_BYTES:
        _log.warning("Webhook rejected: body too large", extra={"bytes": len(request.body)})
        return _reject(413, "Payload Too Large")
    try:
        verify_signature(
            secret=signing_secret, header=request.headers.get(SIGNATURE_HEADER), body=request.body, now=now
        )
    except SignatureError as error:
        _log.warning("Webhook rejected: signature", extra={"reason": error.reason})
        return _reject(401, "Unauthorized")
    try:
        event = json.loads(request.body)
    except ValueError:
        event = None
    parsed = _decision(event)
    if isinstance(parsed, str):
        _log.warning("Webhook rejected: malformed event", extra={"reason": parsed})
        return _reject(400, parsed)
    authorisation_id, decision, amount, currency = parsed
    context = {"authorisation_id": authorisation_id, "provider_event_id": decision.provider_event_id}
    record = authorisations.get(authorisation_id)
    if record is None:
        _log.warning("Webhook rejected: unknown authorisation", extra=context)
        return _reject(404, "unknown authorisation")
    mismatch = (
        amount != record.amount_cents
        or currency != record.currency
        or (
            decision.provider_authorisation_id is not None
            and record.provider_authorisation_id is not None
            and decision.provider_authorisation_id != record.provider_authorisation_id
        )
    )
    if mismatch:
        _log.warning("Webhook rejected: event does not match the authorisation request", extra=context)
        return _reject(422, "the event does not match the authorisation request")
    if decision.outcome == "authorised" and not (
        decision.provider_authorisation_id or record.provider_authorisation_id
    ):
        _log.warning("Webhook rejected: authorised without a provider authorisation id", extra=context)
        return _reject(422, "an authorised event must name the providerAuthorisationId")
    delivery = decide_and_deliver(authorisations, states_client, authorisation_id, decision)
    _log.info(
        "Webhook accepted",
        extra={
            **context,
            "outcome": decision.outcome,
            "delivery": delivery.status,
            "execution": record.execution_id,
        },
    )
    return WebhookResponse(
        status_code=200,
        body={"status": delivery.status, "authorisationId": authorisation_id},
        delivery=delivery,
    )
