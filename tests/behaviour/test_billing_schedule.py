"""Billing on a schedule, on the local cloud: the app's schedule fired as EventBridge Scheduler would.

The app is synthesized with the sample customers (``samples/billing/scheduled-customers.json``);
each test fires the schedule for a period of its own (a random month decades ahead), so it shares
no invoice with the other billing tests or the demo.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from billing import contract
from billing.schedule import run_name
from workflow_tools.payments_sandbox import SandboxClients, deliver_sandbox_webhook, stack_outputs

WORKFLOW = contract.DEFAULT_WORKFLOW_NAME
CUSTOMERS = json.loads(
    (Path(__file__).resolve().parents[2] / "samples" / "billing" / "scheduled-customers.json").read_text()
)


@pytest.fixture
def outputs(local_cloud) -> dict[str, str]:
    return stack_outputs(local_cloud.client("cloudformation"), "Billing")


@pytest.fixture
def scheduled_time() -> datetime:
    """The 1st of a month no other test bills, 06:00 UTC (the schedule's default time)."""
    year, month = random.randint(2040, 2099), random.randint(2, 12)
    return datetime(year, month, 1, 6, tzinfo=UTC)


def _period(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month - 1:02d}"


def _runs(local_cloud, period: str) -> list[dict]:
    machine = local_cloud.state_machine_arn(WORKFLOW)
    pages = (
        local_cloud.client("stepfunctions").get_paginator("list_executions").paginate(stateMachineArn=machine)
    )
    return [e for page in pages for e in page["executions"] if f"-scheduled-{period}-" in e["name"]]


def _invoices(local_cloud, outputs, period: str) -> dict[str, int]:
    items = local_cloud.client("dynamodb").scan(TableName=outputs["InvoicesTableName"])["Items"]
    counts: dict[str, int] = {}
    for item in items:
        if item["billingPeriod"]["S"] == period:
            counts[item["customerId"]["S"]] = counts.get(item["customerId"]["S"], 0) + 1
    return counts


def test_the_schedule_starts_each_customers_run_with_the_period_name_and_correlation_id(
    local_cloud, outputs, scheduled_time
):
    # WHEN Scheduler fires the app's billing schedule
    firing = local_cloud.fire_schedule(
        outputs["ScheduleName"], scheduled_time=scheduled_time, execution_id="d32c5kddcf5bb8c3"
    )

    # THEN one run per customer started, named by the rule, with the month before and Scheduler's id
    assert firing.delivered, firing
    period = _period(scheduled_time)
    runs = {r["name"]: r for r in _runs(local_cloud, period)}
    expected = {run_name(WORKFLOW, period, c["customerId"], scheduled_time): c for c in CUSTOMERS}
    assert sorted(runs) == sorted(expected)
    for name, customer in expected.items():
        described = local_cloud.client("stepfunctions").describe_execution(
            executionArn=runs[name]["executionArn"]
        )
        assert json.loads(described["input"]) == {
            **customer,
            "billingPeriod": period,
            "correlationId": "d32c5kddcf5bb8c3",
        }


def test_a_duplicate_trigger_for_the_period_bills_no_customer_twice(local_cloud, outputs, scheduled_time):
    # GIVEN the period's trigger delivered twice (Scheduler delivers at least once)
    schedule = outputs["ScheduleName"]
    first = local_cloud.fire_schedule(schedule, scheduled_time=scheduled_time, execution_id="first0001")
    second = local_cloud.fire_schedule(schedule, scheduled_time=scheduled_time, execution_id="second002")
    assert first.delivered
    assert second.delivered
    period = _period(scheduled_time)

    # THEN one run per customer, not two
    runs = _runs(local_cloud, period)
    assert len(runs) == len(CUSTOMERS)

    # WHEN the provider authorises every run
    sandbox = SandboxClients.from_session(local_cloud.session, endpoint_url=local_cloud.endpoint_url)
    for run in runs:
        delivery = deliver_sandbox_webhook(
            execution_arn=run["executionArn"], transport="invoke", clients=sandbox, wait_seconds=20
        )
        assert delivery.accepted, delivery
    results = [local_cloud.wait(run["executionArn"]) for run in runs]

    # THEN every customer has one paid invoice for the period
    assert [r.status for r in results] == ["SUCCEEDED"] * len(CUSTOMERS)
    assert _invoices(local_cloud, outputs, period) == {c["customerId"]: 1 for c in CUSTOMERS}
