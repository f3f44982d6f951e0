"""Handlers of the operations CLI's behaviour-test workflows (test-only code, deployed as an asset
together with ``workflow_runtime``), written the house way: the ``@handler`` decorator, then logic."""

from __future__ import annotations

from typing import Any

from workflow_runtime import RequestInvalidError, handler, logger

CARD_LIMIT = 1000


class ChargeRequestInvalid(RequestInvalidError):  # noqa: N818 - the class name is the Step Functions error
    """The charge request is incomplete."""


class PaymentDeclined(Exception):  # noqa: N818 - the class name is the Step Functions error
    """The card was declined: final, not worth retrying."""


@handler
def validate_charge(event: dict[str, Any], context: Any) -> dict[str, Any]:
    problems = [f"{key} is required" for key in ("correlationId", "amount") if key not in event]
    if problems:
        raise ChargeRequestInvalid(problems)
    return {"valid": True}


@handler
def charge_card(event: dict[str, Any], context: Any) -> dict[str, Any]:
    amount = int(event["amount"])
    logger.info("Charging the card", extra={"amount": amount})
    if amount > CARD_LIMIT:
        raise PaymentDeclined(f"card ending 4242 was declined: {amount} is over the limit of {CARD_LIMIT}")
    return {"charged": amount}


@handler
def request_approval(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # The task token is a credential: log that one arrived, never its value.
    logger.info(
        "Approval requested", extra={"stack": event.get("stack"), "has_task_token": "taskToken" in event}
    )
    return {"requested": True}
