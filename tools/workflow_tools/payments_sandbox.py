"""Deliver the sandbox payment provider's webhook: the answer a billing execution waits for.

The sandbox provider (``lambdas/billing/providers/sandbox.py``) accepts an authorisation request
and, like a real provider, answers later through the signed webhook. This module is that answer:
it builds the provider event exactly as the sandbox delivers it, signs it with the signing secret
from Secrets Manager, and delivers it to the billing stack's webhook:

- ``transport="invoke"`` (the local cloud): invokes the webhook function directly with an API
  Gateway proxy event;
- ``transport="post"`` (AWS): POSTs to the ``WebhookUrl`` output of the stack.

The operator CLI's ``workflows pay`` and ``workflows decline`` call :func:`deliver_sandbox_webhook`::

    deliver_sandbox_webhook(
        execution_arn: str | None = None,       # the billing execution that waits, or
        authorisation_id: str | None = None,    # the authorisation it waits for
        outcome: "authorised" | "declined" | None = None,   # None: what the test card decides
        decline_reason: str | None = None,      # decline code, e.g. "insufficient_funds"
        decline_message: str | None = None,     # shown to the customer; a default per code
        transport: "invoke" | "post" = "post",
        stack_name: str = "Billing",
        clients: SandboxClients | None = None,  # boto3 clients; default from the ambient session
        wait_seconds: float = 0,                # how long to wait for the execution to ask
        now: float | None = None,               # the signature's timestamp (Unix seconds)
    ) -> WebhookDelivery                        # .status_code, .response, .event, .accepted

It reads the stack outputs ``WebhookUrl``, ``WebhookFunctionName``, ``AuthorisationsTableName``
and ``ProviderSecretArn``. It refuses authorisations that are not the sandbox's (their provider id
does not start with ``sbx_auth_``): this tool must never be able to mark a real payment as paid.
Delivering the same outcome twice sends the same event id, which the webhook acknowledges as a
``duplicate`` and ignores.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import boto3
from boto3.dynamodb.types import TypeDeserializer

Outcome = Literal["authorised", "declined"]
Transport = Literal["invoke", "post"]

STACK_NAME = "Billing"
SIGNATURE_HEADER = "Payment-Signature"
SANDBOX_AUTHORISATION_PREFIX = "sbx_auth_"
SANDBOX_EVENT_PREFIX = "evt_sbx_"
WEBHOOK_RESOURCE = "/payments/webhook"
EXECUTION_INDEX = "byExecution"
FIRST_POLL_SECONDS = 0.005
"""The first pause while waiting for the execution to ask; each later one doubles, up to the next."""
POLL_INTERVAL_SECONDS = 0.5
"""The longest pause between two looks for the waiting authorisation (one query and one read each)."""
HTTP_TIMEOUT_SECONDS = 15.0
WAITING_STATUSES = ("REQUESTED",)
"""Statuses of an authorisation whose execution still waits for the provider."""

DEFAULT_DECLINE_MESSAGES = {
    "card_declined": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
}
DEFAULT_DECLINE_CODE = "card_declined"

HttpPost = Callable[[str, Mapping[str, str], bytes], tuple[int, bytes]]


class SandboxWebhookError(RuntimeError):
    """The sandbox webhook could not be built or delivered; the message says why."""


class AuthorisationNotFoundError(SandboxWebhookError):
    """No authorisation to answer: the execution has not asked yet (or never will)."""


class NotASandboxAuthorisationError(SandboxWebhookError):
    """The authorisation belongs to a real payment provider; the sandbox will not answer it."""


def _http_post(url: str, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]:
    if not url.startswith("https://"):
        raise SandboxWebhookError(f"the webhook URL must be https. Received: [{url}]")
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read() or b""


@dataclass(frozen=True)
class SandboxClients:
    """The AWS clients the delivery uses; tests and the local cloud pass their own."""

    cloudformation: Any
    dynamodb: Any
    secretsmanager: Any
    lambda_: Any
    http_post: HttpPost = field(default=_http_post)

    @classmethod
    def from_session(cls, session: Any = None, *, endpoint_url: str | None = None) -> SandboxClients:
        """Clients of ``session`` (default: the ambient boto3 session), optionally at ``endpoint_url``."""
        session = session or boto3.Session()
        kwargs = {"endpoint_url": endpoint_url} if endpoint_url else {}
        return cls(
            cloudformation=session.client("cloudformation", **kwargs),
            dynamodb=session.client("dynamodb", **kwargs),
            secretsmanager=session.client("secretsmanager", **kwargs),
            lambda_=session.client("lambda", **kwargs),
        )


@dataclass(frozen=True)
class WebhookDelivery:
    """What was delivered and how the webhook answered."""

    authorisation_id: str
    execution_arn: str
    event: dict[str, Any]
    status_code: int
    response: dict[str, Any]
    transport: Transport

    @property
    def accepted(self) -> bool:
        """Whether the webhook took the event (delivered now, or already had it)."""
        return self.status_code == 200 and self.response.get("status") in ("delivered", "duplicate")


# Building and signing ---------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Payment-Signature`` header: ``t=<timestamp>,v1=<hex HMAC-SHA256 of "<t>." + body>``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def sandbox_event_id(authorisation_id: str, outcome: Outcome) -> str:
    """The sandbox's event id: one per authorisation and outcome, so a re-delivery is a duplicate."""
    return SANDBOX_EVENT_PREFIX + hashlib.sha256(f"{authorisation_id}:{outcome}".encode()).hexdigest()[:24]


def build_event(
    authorisation: Mapping[str, Any],
    *,
    outcome: Outcome | None = None,
    decline_reason: str | None = None,
    decline_message: str | None = None,
    created: int,
) -> dict[str, Any]:
    """The provider event for a stored authorisation, as the sandbox provider delivers it.

    ``outcome=None`` takes the sandbox's decision for the test card (kept in ``providerData``).
    """
    data = authorisation.get("providerData") or {}
    chosen: Outcome = outcome or ("declined" if data.get("sandboxOutcome") == "declined" else "authorised")
    if chosen not in ("authorised", "declined"):
        raise SandboxWebhookError(f"outcome must be 'authorised' or 'declined'. Received: [{chosen}]")
    event_data: dict[str, Any] = {
        "authorisationId": authorisation["authorisationId"],
        "providerAuthorisationId": authorisation["providerAuthorisationId"],
        "amountCents": int(authorisation["amountCents"]),
        "currency": authorisation["currency"],
    }
    if chosen == "declined":
        code = decline_reason or data.get("sandboxDeclineCode") or DEFAULT_DECLINE_CODE
        event_data["declineCode"] = code
        event_data["declineMessage"] = (
            decline_message
            or (data.get("sandboxDeclineMessage") if code == data.get("sandboxDeclineCode") else None)
            or DEFAULT_DECLINE_MESSAGES.get(code, "Your payment was declined.")
        )
    return {
        "id": sandbox_event_id(str(authorisation["authorisationId"]), chosen),
        "type": "authorisation.succeeded" if chosen == "authorised" else "authorisation.declined",
        "created": created,
        "data": event_data,
    }


def api_gateway_event(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """An API Gateway (REST, Lambda proxy) event carrying a POST to the webhook."""
    return {
        "resource": WEBHOOK_RESOURCE,
        "path": WEBHOOK_RESOURCE,
        "httpMethod": "POST",
        "headers": dict(headers),
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": WEBHOOK_RESOURCE,
            "httpMethod": "POST",
            "path": f"/v1{WEBHOOK_RESOURCE}",
            "stage": "v1",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "workflow-tools-payments-sandbox"},
        },
        "body": body.decode(),
        "isBase64Encoded": False,
    }


# Reading the stack ------------------------------------------------------------------------------


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """The outputs of a deployed stack, by key."""
    stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    if not stacks:
        raise SandboxWebhookError(f"stack [{stack_name}] is not deployed")
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def _required(outputs: Mapping[str, str], key: str, stack_name: str) -> str:
    if key not in outputs:
        raise SandboxWebhookError(f"stack [{stack_name}] has no output [{key}]; is it the billing stack?")
    return outputs[key]


def _item(dynamodb: Any, table: str, authorisation_id: str) -> dict[str, Any] | None:
    item = dynamodb.get_item(
        TableName=table, Key={"authorisationId": {"S": authorisation_id}}, ConsistentRead=True
    ).get("Item")
    if not item:
        return None
    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(value) for key, value in item.items()}


def _authorisation_ids(dynamodb: Any, table: str, execution_arn: str) -> list[str]:
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        IndexName=EXECUTION_INDEX,
        KeyConditionExpression="executionId = :execution",
        ExpressionAttributeValues={":execution": {"S": execution_arn}},
    )
    return [item["authorisationId"]["S"] for page in pages for item in page.get("Items", [])]


def find_authorisation(
    dynamodb: Any,
    table: str,
    *,
    execution_arn: str | None = None,
    authorisation_id: str | None = None,
) -> dict[str, Any] | None:
    """The authorisation to answer, once the provider has accepted it; None while there is none.

    By execution: the one the execution still waits for (an execution has at most one).
    """
    if authorisation_id:
        candidates = [authorisation_id]
    elif execution_arn:
        candidates = _authorisation_ids(dynamodb, table, execution_arn)
    else:
        raise SandboxWebhookError("pass execution_arn or authorisation_id")
    records = [record for record in (_item(dynamodb, table, c) for c in candidates) if record]
    waiting = [r for r in records if r.get("status") in WAITING_STATUSES and r.get("providerAuthorisationId")]
    if waiting:
        return waiting[-1]
    if authorisation_id and records and records[0].get("providerAuthorisationId"):
        return records[0]  # answered or closed already: delivering again shows what the webhook does
    return None


# Delivering -------------------------------------------------------------------------------------


def _deliver(
    clients: SandboxClients,
    outputs: Mapping[str, str],
    transport: Transport,
    headers: dict[str, str],
    body: bytes,
    stack_name: str,
) -> tuple[int, dict[str, Any]]:
    if transport == "invoke":
        answer = clients.lambda_.invoke(
            FunctionName=_required(outputs, "WebhookFunctionName", stack_name),
            InvocationType="RequestResponse",
            Payload=json.dumps(api_gateway_event(headers, body)).encode(),
        )
        payload = json.loads(answer["Payload"].read() or b"{}")
        if answer.get("FunctionError"):
            raise SandboxWebhookError(f"the webhook function failed: {payload}")
        status, text = int(payload.get("statusCode", 502)), payload.get("body") or "{}"
    elif transport == "post":
        status, raw = clients.http_post(_required(outputs, "WebhookUrl", stack_name), headers, body)
        text = raw.decode(errors="replace") or "{}"
    else:
        raise SandboxWebhookError(f"transport must be 'invoke' or 'post'. Received: [{transport}]")
    try:
        response = json.loads(text)
    except ValueError:
        response = {"message": text}
    return status, response if isinstance(response, dict) else {"message": response}


def deliver_sandbox_webhook(
    *,
    execution_arn: str | None = None,
    authorisation_id: str | None = None,
    outcome: Outcome | None = None,
    decline_reason: str | None = None,
    decline_message: str | None = None,
    transport: Transport = "post",
    stack_name: str = STACK_NAME,
    clients: SandboxClients | None = None,
    wait_seconds: float = 0,
    now: float | None = None,
) -> WebhookDelivery:
    """Answer a billing execution's payment authorisation as the sandbox provider (see the module docstring).

    Raises ``AuthorisationNotFoundError`` when, after ``wait_seconds``, there is nothing to answer,
    ``NotASandboxAuthorisationError`` for a real provider's authorisation, and
    ``SandboxWebhookError`` when the stack or the delivery fails. A rejection by the webhook
    (401, 404, ...) is not raised: it is in the returned ``status_code`` and ``response``.
    """
    if outcome is not None and outcome not in ("authorised", "declined"):
        raise SandboxWebhookError(f"outcome must be 'authorised' or 'declined'. Received: [{outcome}]")
    if decline_reason and outcome == "authorised":
        raise SandboxWebhookError("decline_reason only goes with outcome='declined'")
    clients = clients or SandboxClients.from_session()
    outputs = stack_outputs(clients.cloudformation, stack_name)
    table = _required(outputs, "AuthorisationsTableName", stack_name)
    deadline = time.monotonic() + wait_seconds
    # Back off from a few milliseconds: on the local cloud the execution asks within a few tens of
    # them, so a fixed half-second poll was most of a happy path; against AWS the interval reaches
    # POLL_INTERVAL_SECONDS after a handful of looks.
    pause = FIRST_POLL_SECONDS
    while True:
        record = find_authorisation(
            clients.dynamodb, table, execution_arn=execution_arn, authorisation_id=authorisation_id
        )
        remaining = deadline - time.monotonic()
        if record is not None or remaining <= 0:
            break
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, POLL_INTERVAL_SECONDS)
    if record is None:
        raise AuthorisationNotFoundError(
            f"no payment authorisation is waiting for [{execution_arn or authorisation_id}] in stack "
            f"[{stack_name}] (has the execution reached 'Request payment authorisation'?)"
        )
    if not str(record["providerAuthorisationId"]).startswith(SANDBOX_AUTHORISATION_PREFIX):
        raise NotASandboxAuthorisationError(
            f"authorisation [{record['authorisationId']}] belongs to a real payment provider; "
            "only the provider can answer it"
        )
    secret = json.loads(
        clients.secretsmanager.get_secret_value(SecretId=_required(outputs, "ProviderSecretArn", stack_name))[
            "SecretString"
        ]
    )["signingSecret"]
    timestamp = int(time.time() if now is None else now)
    event = build_event(
        record,
        outcome=outcome,
        decline_reason=decline_reason,
        decline_message=decline_message,
        created=timestamp,
    )
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, timestamp, body)}
    status, response = _deliver(clients, outputs, transport, headers, body, stack_name)
    return WebhookDelivery(
        authorisation_id=str(record["authorisationId"]),
        execution_arn=str(record["executionId"]),
        event=event,
        status_code=status,
        response=response,
        transport=transport,
    )
