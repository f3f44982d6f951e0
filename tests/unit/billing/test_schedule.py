"""Billing on a schedule: the period from the scheduled time, one run per customer, none twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from billing.errors import BillingRequestInvalid
from billing.schedule import billing_period, run_name, start_period_runs
from workflow_constructs.naming import execution_name

from tests.unit.billing.fakes import billing_input

WORKFLOW = "billing"
DEFINITION = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}


def _customer(customer_id: str) -> dict[str, Any]:
    request = billing_input(customerId=customer_id)
    del request["correlationId"], request["billingPeriod"]
    return request


def _trigger(**overrides: Any) -> dict[str, Any]:
    event = {
        "scheduledTime": "2026-02-01T06:00:00Z",
        "correlationId": "d32c5kddcf5bb8c3",
        "timeZone": "UTC",
        "customers": [_customer("cus_1"), _customer("cus_2")],
    }
    event.update(overrides)
    return event


@pytest.fixture
def states(aws):
    client = aws.client("stepfunctions")
    arn = client.create_state_machine(
        name=WORKFLOW, definition=json.dumps(DEFINITION), roleArn="arn:aws:iam::123456789012:role/billing"
    )["stateMachineArn"]
    return client, arn


@pytest.mark.parametrize(
    ("scheduled", "zone", "period"),
    [
        (datetime(2026, 2, 1, 6, tzinfo=UTC), "UTC", "2026-01"),
        (datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "UTC", "2025-12"),  # January bills December
        # 1 February 00:30 in Berlin is still 31 January in UTC: the zone decides, not UTC.
        (datetime(2026, 1, 31, 23, 30, tzinfo=UTC), "Europe/Berlin", "2026-01"),
        (datetime(2026, 1, 31, 23, 30, tzinfo=UTC), "UTC", "2025-12"),
    ],
)
def test_the_period_is_the_month_before_the_scheduled_time_in_the_schedules_zone(scheduled, zone, period):
    assert billing_period(scheduled, zone) == period


def test_run_names_follow_the_naming_rule_with_an_id_fixed_by_customer_and_period():
    # GIVEN a scheduled time WHEN naming the run of a customer and period
    moment = datetime(2026, 2, 1, 6, tzinfo=UTC)
    name = run_name(WORKFLOW, "2026-01", "cus_1", moment)

    # THEN it is the library's rule (reason + UTC stamp + 8 hex), and the same every time it is asked
    unique_id = name.rsplit("-", 1)[1]
    assert name == execution_name(WORKFLOW, "scheduled 2026-01", now=moment, unique_id=unique_id)
    assert name == run_name(WORKFLOW, "2026-01", "cus_1", moment)
    assert name != run_name(WORKFLOW, "2026-01", "cus_2", moment)
    assert name != run_name(WORKFLOW, "2026-02", "cus_1", moment)
    long = run_name("w" * 100, "2026-01", "cus_1", moment)
    assert len(long) == 80
    assert long.endswith("-scheduled-2026-01-20260201T060000Z-" + unique_id)


def test_a_trigger_starts_one_run_per_customer_with_the_period_and_correlation_id(states):
    client, arn = states

    runs = start_period_runs(_trigger(), states=client, state_machine_arn=arn, workflow=WORKFLOW)

    assert [(r.customer_id, r.started) for r in runs] == [("cus_1", True), ("cus_2", True)]
    execution = client.describe_execution(executionArn=runs[0].execution_arn)
    assert execution["name"] == run_name(WORKFLOW, "2026-01", "cus_1", datetime(2026, 2, 1, 6, tzinfo=UTC))
    started_with = json.loads(execution["input"])
    assert started_with == {
        **_customer("cus_1"),
        "billingPeriod": "2026-01",
        "correlationId": "d32c5kddcf5bb8c3",
    }


def test_a_duplicate_trigger_for_the_period_starts_no_second_run(states):
    # GIVEN the period's runs started by a first delivery of the trigger
    client, arn = states
    start_period_runs(_trigger(), states=client, state_machine_arn=arn, workflow=WORKFLOW)

    # WHEN Scheduler delivers the same scheduled time again (another execution id)
    again = start_period_runs(
        _trigger(correlationId="e43d6leedg6cc9d4"), states=client, state_machine_arn=arn, workflow=WORKFLOW
    )

    # THEN nothing new started: one execution per customer
    assert [r.started for r in again] == [False, False]
    assert len(client.list_executions(stateMachineArn=arn)["executions"]) == 2


def test_a_bad_trigger_lists_every_problem_and_starts_nothing(states):
    client, arn = states
    bad = _trigger(
        scheduledTime="2026-02-01 06:00",
        timeZone="Mars/Olympus",
        correlationId="",
        customers=[_customer("cus_1"), "cus_2"],
    )

    with pytest.raises(BillingRequestInvalid) as raised:
        start_period_runs(bad, states=client, state_machine_arn=arn, workflow=WORKFLOW)

    message = str(raised.value)
    for field in ("scheduledTime", "timeZone", "correlationId"):
        assert field in message
    assert client.list_executions(stateMachineArn=arn)["executions"] == []


def test_a_bad_customer_or_a_customer_listed_twice_starts_nobodys_run(states):
    client, arn = states
    broken = {**_customer("cus_3"), "currency": "eur"}
    bad = _trigger(customers=[_customer("cus_1"), _customer("cus_1"), broken, "cus_4"])

    with pytest.raises(BillingRequestInvalid) as raised:
        start_period_runs(bad, states=client, state_machine_arn=arn, workflow=WORKFLOW)

    message = str(raised.value)
    assert "customers[2]: currency" in message
    assert "customers[3] must be an object" in message
    assert "Received twice: ['cus_1']" in message
    assert client.list_executions(stateMachineArn=arn)["executions"] == []


def test_no_customers_is_a_bad_trigger(states):
    client, arn = states
    with pytest.raises(BillingRequestInvalid, match=r"customers must be a non-empty list"):
        start_period_runs(_trigger(customers=[]), states=client, state_machine_arn=arn, workflow=WORKFLOW)
