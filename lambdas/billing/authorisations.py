"""Authorisation requests, the task tokens waiting on them, and handing each decision over once.

One record per authorisation attempt (partition key ``authorisationId``), with the task token of
the execution step that waits for it. Statuses (attribute ``status``)::

    REQUESTED -> DECIDED -> DELIVERED     (the provider answered; the step got the answer)
        |            |
        +------------+-> TIMED_OUT        (nobody waits any more; the authorisation was voided)
        +------------+-> SUPERSEDED       (a later attempt for the same invoice took over)

``DECIDED`` is written before the answer is sent to Step Functions and ``DELIVERED`` after, so a
delivery interrupted half-way is completed by the provider's retry (or by the waiting step itself,
see :mod:`billing.authorise`) and never happens twice. The task token is removed once delivered
or closed, and is never logged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from botocore.exceptions import ClientError
from workflow_runtime import TransientError

from billing.contract import PAYMENT_DECLINED
from billing.invoices import is_conditional_check_failure

RECORD_RETENTION_SECONDS = 400 * 24 * 60 * 60  # kept a little over a year for disputes, then purged
MAX_CAUSE_MESSAGE_LENGTH = 500
# Step Functions errors that mean the step no longer waits for this token.
TOKEN_GONE_ERRORS = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})
THROTTLING_ERRORS = frozenset({"ThrottlingException", "TooManyRequestsException", "ServiceUnavailable"})

Outcome = Literal["authorised", "declined"]


class AuthorisationStatus(StrEnum):
    REQUESTED = "REQUESTED"
    DECIDED = "DECIDED"
    DELIVERED = "DELIVERED"
    TIMED_OUT = "TIMED_OUT"
    SUPERSEDED = "SUPERSEDED"


CLOSED_STATUSES = frozenset({AuthorisationStatus.TIMED_OUT, AuthorisationStatus.SUPERSEDED})


@dataclass(frozen=True)
class Decision:
    """The provider's answer to one authorisation request."""

    outcome: Outcome
    provider_event_id: str
    provider_authorisation_id: str | None = None
    decline_code: str | None = None
    decline_message: str | None = None


@dataclass(frozen=True)
class AuthorisationRecord:
    """A stored authorisation request."""

    authorisation_id: str
    invoice_id: str
    execution_id: str
    customer_id: str
    amount_cents: int
    currency: str
    payment_method_id: str
    status: AuthorisationStatus
    task_token: str | None = field(repr=False)
    provider_authorisation_id: str | None = None
    provider_data: Mapping[str, str] = field(default_factory=dict)
    decision: Decision | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> AuthorisationRecord:
        decision = None
        if item.get("outcome"):
            decision = Decision(
                outcome=item["outcome"],
                provider_event_id=str(item.get("providerEventId", "")),
                provider_authorisation_id=item.get("providerAuthorisationId"),
                decline_code=item.get("declineCode"),
                decline_message=item.get("declineMessage"),
            )
        return cls(
            authorisation_id=str(item["authorisationId"]),
            invoice_id=str(item["invoiceId"]),
            execution_id=str(item["executionId"]),
            customer_id=str(item["customerId"]),
            amount_cents=int(item["amountCents"]),
            currency=str(item["currency"]),
            payment_method_id=str(item["paymentMethodId"]),
            status=AuthorisationStatus(item["status"]),
            task_token=item.get("taskToken"),
            provider_authorisation_id=item.get("providerAuthorisationId"),
            provider_data=dict(item.get("providerData") or {}),
            decision=decision,
        )


class DecisionAlreadyRecorded(Exception):  # noqa: N818  (control flow, never leaves this package)
    """The authorisation was no longer REQUESTED; ``record`` is how it stands."""

    def __init__(self, record: AuthorisationRecord) -> None:
        super().__init__(record.authorisation_id)
        self.record = record


class AuthorisationStore:
    """The authorisations table, as a boto3 ``Table`` resource."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, authorisation_id: str) -> AuthorisationRecord | None:
        item = self._table.get_item(Key={"authorisationId": authorisation_id}, ConsistentRead=True).get(
            "Item"
        )
        return AuthorisationRecord.from_item(item) if item else None

    def open(
        self,
        *,
        authorisation_id: str,
        invoice_id: str,
        execution_id: str,
        customer_id: str,
        amount_cents: int,
        currency: str,
        payment_method_id: str,
        task_token: str,
        requested_at: int,
        expires_at: int,
    ) -> AuthorisationRecord:
        """Create the request, or hand the latest task token to the same execution's existing one.

        Each try of a callback step gets a new token; the newest is the one that waits.
        """
        try:
            item = self._table.update_item(
                Key={"authorisationId": authorisation_id},
                UpdateExpression=(
                    "SET taskToken = :token, invoiceId = :invoice, executionId = :execution, "
                    "customerId = :customer, amountCents = :amount, currency = :currency, "
                    "paymentMethodId = :method, #status = if_not_exists(#status, :requested), "
                    "requestedAt = if_not_exists(requestedAt, :now), expiresAt = :expires, purgeAt = :purge"
                ),
                ConditionExpression=(
                    "attribute_not_exists(authorisationId) OR "
                    "(executionId = :execution AND NOT #status IN (:timedOut, :superseded))"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":token": task_token,
                    ":invoice": invoice_id,
                    ":execution": execution_id,
                    ":customer": customer_id,
                    ":amount": amount_cents,
                    ":currency": currency,
                    ":method": payment_method_id,
                    ":requested": str(AuthorisationStatus.REQUESTED),
                    ":now": requested_at,
                    ":expires": expires_at,
                    ":purge": expires_at + RECORD_RETENTION_SECONDS,
                    ":timedOut": str(AuthorisationStatus.TIMED_OUT),
                    ":superseded": str(AuthorisationStatus.SUPERSEDED),
                },
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise TransientError(
                    f"authorisation [{authorisation_id}] is closed or held by another execution"
                ) from error
            raise
        return AuthorisationRecord.from_item(item)

    def set_provider_reference(
        self, authorisation_id: str, provider_authorisation_id: str, provider_data: Mapping[str, str]
    ) -> None:
        """Keep the provider's id (and data) of a pending authorisation; a webhook may have set it first."""
        self._table.update_item(
            Key={"authorisationId": authorisation_id},
            UpdateExpression="SET providerAuthorisationId = if_not_exists(providerAuthorisationId, :id), "
            "providerData = :data",
            ConditionExpression="attribute_exists(authorisationId)",
            ExpressionAttributeValues={":id": provider_authorisation_id, ":data": dict(provider_data)},
        )

    def record_decision(self, authorisation_id: str, decision: Decision) -> AuthorisationRecord:
        """REQUESTED -> DECIDED; raises ``DecisionAlreadyRecorded`` when it was decided or closed before."""
        values: dict[str, Any] = {
            ":decided": str(AuthorisationStatus.DECIDED),
            ":requested": str(AuthorisationStatus.REQUESTED),
            ":outcome": decision.outcome,
            ":event": decision.provider_event_id,
        }
        sets = ["#status = :decided", "outcome = :outcome", "providerEventId = :event"]
        if decision.provider_authorisation_id:
            sets.append("providerAuthorisationId = if_not_exists(providerAuthorisationId, :providerId)")
            values[":providerId"] = decision.provider_authorisation_id
        if decision.outcome == "declined":
            sets += ["declineCode = :code", "declineMessage = :message"]
            values[":code"] = decision.decline_code or "declined"
            values[":message"] = decision.decline_message or "The payment was declined."
        try:
            item = self._table.update_item(
                Key={"authorisationId": authorisation_id},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="#status = :requested",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            current = self.get(authorisation_id)
            if current is None:
                raise
            raise DecisionAlreadyRecorded(current) from error
        return AuthorisationRecord.from_item(item)

    def _move(self, authorisation_id: str, to: str, from_any_of: tuple[AuthorisationStatus, ...]) -> bool:
        """Move to status ``to`` (forgetting the token) only from one of ``from_any_of``; whether it moved."""
        allowed = {f":from{index}": str(status) for index, status in enumerate(from_any_of)}
        try:
            self._table.update_item(
                Key={"authorisationId": authorisation_id},
                UpdateExpression="SET #status = :to REMOVE taskToken",
                ConditionExpression=f"#status IN ({', '.join(allowed)})",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":to": to, **allowed},
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def mark_delivered(self, authorisation_id: str) -> bool:
        """DECIDED -> DELIVERED and forget the token; False when it was already delivered."""
        return self._move(authorisation_id, AuthorisationStatus.DELIVERED, (AuthorisationStatus.DECIDED,))

    def forget_token(self, authorisation_id: str) -> None:
        """Remove the task token of an authorisation nobody waits on any more."""
        self._table.update_item(
            Key={"authorisationId": authorisation_id},
            UpdateExpression="REMOVE taskToken",
            ConditionExpression="attribute_exists(authorisationId)",
        )

    def close(self, authorisation_id: str, status: AuthorisationStatus) -> bool:
        """REQUESTED or DECIDED -> ``status`` (TIMED_OUT, SUPERSEDED); False if it was closed or delivered."""
        if status not in CLOSED_STATUSES:
            raise ValueError(f"status must be one of {sorted(CLOSED_STATUSES)}. Received: [{status}]")
        return self._move(
            authorisation_id, status, (AuthorisationStatus.REQUESTED, AuthorisationStatus.DECIDED)
        )


# Handing decisions to the waiting step ----------------------------------------------------------

DeliveryStatus = Literal["delivered", "duplicate", "closed", "not-waiting"]


@dataclass(frozen=True)
class DeliveryResult:
    """What became of a decision.

    ``delivered``: the waiting step has it; ``duplicate``: it had it already; ``closed``: nobody
    waits for this authorisation any more (timed out or superseded); ``not-waiting``: recorded,
    but the step's token is no longer valid (a newer try of the step will pick the decision up).
    ``first_delivery`` is True exactly once per authorisation: count metrics on it.
    """

    status: DeliveryStatus
    record: AuthorisationRecord
    first_delivery: bool = False


def task_output(record: AuthorisationRecord) -> dict[str, Any]:
    """What the callback step returns when the payment is authorised."""
    decision = record.decision
    return {
        "authorisationId": record.authorisation_id,
        "providerAuthorisationId": (decision and decision.provider_authorisation_id)
        or record.provider_authorisation_id,
        "outcome": "authorised",
        "amountCents": record.amount_cents,
        "currency": record.currency,
        "providerEventId": decision.provider_event_id if decision else None,
    }


def decline_cause(record: AuthorisationRecord) -> str:
    """The ``Cause`` of the ``PaymentDeclined`` failure: JSON with the decline code and message."""
    decision = record.decision
    return json.dumps(
        {
            "authorisationId": record.authorisation_id,
            "code": (decision and decision.decline_code) or "declined",
            "message": ((decision and decision.decline_message) or "The payment was declined.")[
                :MAX_CAUSE_MESSAGE_LENGTH
            ],
        }
    )


def send_to_waiting_step(states_client: Any, record: AuthorisationRecord) -> bool:
    """Send the recorded decision to the step holding ``record.task_token``; False if it no longer waits."""
    if not record.task_token or record.decision is None:
        return False
    try:
        if record.decision.outcome == "authorised":
            states_client.send_task_success(
                taskToken=record.task_token, output=json.dumps(task_output(record))
            )
        else:
            states_client.send_task_failure(
                taskToken=record.task_token, error=PAYMENT_DECLINED, cause=decline_cause(record)
            )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in TOKEN_GONE_ERRORS:
            return False
        if code in THROTTLING_ERRORS:
            raise TransientError(f"Step Functions throttled the callback ({code})") from error
        raise
    return True


def deliver_recorded(
    store: AuthorisationStore, states_client: Any, record: AuthorisationRecord
) -> DeliveryResult:
    """Hand a recorded decision (DECIDED or DELIVERED) to the step that waits now."""
    if not send_to_waiting_step(states_client, record):
        return DeliveryResult(status="not-waiting", record=record)
    first = store.mark_delivered(record.authorisation_id)
    if not first:
        store.forget_token(record.authorisation_id)
    return DeliveryResult(status="delivered", record=record, first_delivery=first)


def decide_and_deliver(
    store: AuthorisationStore, states_client: Any, authorisation_id: str, decision: Decision
) -> DeliveryResult:
    """Record the provider's decision once and hand it to the waiting step.

    A repeated delivery of an answered authorisation changes nothing (``duplicate``); a delivery
    interrupted after recording is completed with the decision recorded first, whatever this one says.
    """
    try:
        record = store.record_decision(authorisation_id, decision)
    except DecisionAlreadyRecorded as already:
        record = already.record
        if record.status == AuthorisationStatus.DELIVERED:
            return DeliveryResult(status="duplicate", record=record)
        if record.status in CLOSED_STATUSES:
            return DeliveryResult(status="closed", record=record)
    return deliver_recorded(store, states_client, record)
