"""Billing on a schedule: one scheduled trigger starts the period's billing run of every customer.

EventBridge Scheduler invokes the ``start_period_runs`` handler with the schedule's input, in which
Scheduler has put its context attributes::

    {"scheduledTime": "<aws.scheduler.scheduled-time>", "correlationId": "<aws.scheduler.execution-id>",
     "timeZone": "Europe/Berlin",
     "customers": [{"customerId": "cus_1", "currency": "EUR", "paymentMethodId": "pm_card_visa",
                    "customerEmail": "ada@example.com", "lineItems": [...]}]}

The billed period is the calendar month before the scheduled time, read in the schedule's time zone
(a run scheduled for 1 February 00:30 in Berlin, 31 January 23:30 UTC, bills January). The scheduled
time is the nominal one: the flexible window delays the invocation, never moves it into another month.
Scheduler's execution id is the correlation id of every run the trigger starts (one business request,
several runs), and of the trigger's own log lines.

Billing runs per customer (one invoice per customer and period), so the trigger fans out here, one
``StartExecution`` per customer. Each run's name follows the naming rule
(``<workflow>-<reason>-<UTC stamp>-<8 hex>``, ``workflow_constructs.naming.execution_name``) with
the scheduled time as the stamp and an id derived from customer and period, not random: a duplicate
trigger of the same schedule time (Scheduler delivers at least once) asks for the same name, and Step
Functions answers ``ExecutionAlreadyExists`` instead of starting a second run. A trigger at another
time for the same period (a manual re-fire) gets other names, and the runs it starts bill nobody twice:
the invoice is written once per customer and period (``billing.invoices``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from billing.errors import BillingRequestInvalid
from billing.request import request_problems

SCHEDULED_REASON = "scheduled"
_SCHEDULED_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
_EXECUTION_NAME_MAX_LENGTH = 80


@dataclass(frozen=True)
class StartedRun:
    """What one customer's trigger did: ``started`` False when the run existed already."""

    customer_id: str
    execution_name: str
    started: bool
    execution_arn: str | None = None

    def to_json(self) -> dict[str, Any]:
        """For the handler's answer and its log."""
        return {
            "customerId": self.customer_id,
            "executionName": self.execution_name,
            "started": self.started,
            "executionArn": self.execution_arn,
        }


def billing_period(scheduled_time: datetime, time_zone: str) -> str:
    """The month before ``scheduled_time`` in ``time_zone``, as ``YYYY-MM``.

    >>> billing_period(datetime(2026, 1, 31, 23, 30, tzinfo=UTC), "Europe/Berlin")
    '2026-01'
    >>> billing_period(datetime(2026, 1, 1, 0, 30, tzinfo=UTC), "UTC")
    '2025-12'
    """
    local = scheduled_time.astimezone(_zone(time_zone))
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def run_name(workflow: str, period: str, customer_id: str, scheduled_time: datetime) -> str:
    """The run's execution name: the naming rule, with an id fixed by customer and period.

    >>> run_name("billing", "2026-01", "cus_1", datetime(2026, 2, 1, 6, tzinfo=UTC))
    'billing-scheduled-2026-01-20260201T060000Z-9d37c630'
    """
    unique_id = hashlib.sha256(f"{customer_id}/{period}".encode()).hexdigest()[:8]
    utc = scheduled_time.astimezone(UTC)
    suffix = f"{utc:%Y%m%dT%H%M%SZ}-{unique_id}"
    reason = f"{SCHEDULED_REASON}-{period}"
    room = _EXECUTION_NAME_MAX_LENGTH - len(suffix) - len(reason) - 2  # two dashes
    return f"{workflow[:room].rstrip('-_')}-{reason}-{suffix}"


def start_period_runs(
    event: Mapping[str, Any], *, states: Any, state_machine_arn: str, workflow: str
) -> list[StartedRun]:
    """Start the billing run of every customer of ``event`` for the period of its scheduled time.

    Validates the whole trigger first (every customer's request, with the derived period), so a bad
    entry starts nothing: ``BillingRequestInvalid`` lists every problem. ``states`` is a Step Functions
    client. Returns one :class:`StartedRun` per customer, in the order given.
    """
    scheduled_time, time_zone, correlation_id, customers = _trigger(event)
    period = billing_period(scheduled_time, time_zone)
    requests: list[dict[str, Any]] = []
    problems: list[str] = []
    for index, customer in enumerate(customers):
        if not isinstance(customer, Mapping):
            problems.append(f"customers[{index}] must be an object. Received: [{customer!r}]")
            continue
        # The period and the correlation id are the trigger's, whatever an entry says.
        request = {**customer, "correlationId": correlation_id, "billingPeriod": period}
        problems.extend(f"customers[{index}]: {p}" for p in request_problems(request))
        requests.append(request)
    ids = [r.get("customerId") for r in requests]
    duplicates = sorted({str(i) for i in ids if ids.count(i) > 1})
    if duplicates:
        problems.append(f"customers must be listed once each. Received twice: {duplicates}")
    if problems:
        raise BillingRequestInvalid(problems)
    runs = []
    for request in requests:
        name = run_name(workflow, period, request["customerId"], scheduled_time)
        try:
            answer = states.start_execution(
                stateMachineArn=state_machine_arn, name=name, input=json.dumps(request, sort_keys=True)
            )
        except states.exceptions.ExecutionAlreadyExists:
            runs.append(StartedRun(request["customerId"], name, started=False))
            continue
        runs.append(
            StartedRun(request["customerId"], name, started=True, execution_arn=answer["executionArn"])
        )
    return runs


def _trigger(event: Mapping[str, Any]) -> tuple[datetime, str, str, list[Mapping[str, Any]]]:
    if not isinstance(event, Mapping):
        raise BillingRequestInvalid([f"input must be a JSON object. Received: [{type(event).__name__}]"])
    problems = []
    raw_time = event.get("scheduledTime")
    scheduled_time = None
    if isinstance(raw_time, str) and _SCHEDULED_TIME.match(raw_time):
        scheduled_time = datetime.strptime(raw_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    else:
        problems.append(f"scheduledTime must be a UTC time as YYYY-MM-DDTHH:MM:SSZ. Received: [{raw_time!r}]")
    time_zone = event.get("timeZone")
    if not isinstance(time_zone, str) or _zone_problem(time_zone):
        problems.append(f"timeZone must be an IANA time zone (e.g. Europe/Berlin). Received: [{time_zone!r}]")
    correlation_id = event.get("correlationId")
    if not isinstance(correlation_id, str) or not correlation_id.strip():
        problems.append(f"correlationId must be a non-empty string. Received: [{correlation_id!r}]")
    customers = event.get("customers")
    if not isinstance(customers, list) or not customers:
        problems.append(f"customers must be a non-empty list. Received: [{customers!r}]")
    if problems:
        raise BillingRequestInvalid(problems)
    assert scheduled_time is not None
    assert isinstance(time_zone, str)
    assert isinstance(correlation_id, str)
    assert isinstance(customers, list)
    return scheduled_time, time_zone, correlation_id, customers


def _zone_problem(time_zone: str) -> bool:
    try:
        _zone(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return True
    return False


def _zone(time_zone: str) -> ZoneInfo:
    return ZoneInfo(time_zone)
