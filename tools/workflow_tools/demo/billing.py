"""``make demo`` scenarios of the billing workflow: a payment authorised, a card declined, bad input,
and a scheduled period run (the billing schedule fired twice, as a duplicate delivery would).

The payment provider is the sandbox: while an execution waits at "Request payment authorisation",
``during`` delivers the sandbox's signed webhook to the billing stack's webhook function, as the
operator CLI's ``workflows pay`` / ``workflows decline`` do (``workflow_tools.payments_sandbox``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from workflow_local_cloud import Execution, LocalCloudHarness

from workflow_tools.demo import SAMPLES_DIR, Scenario
from workflow_tools.payments_sandbox import SandboxClients, deliver_sandbox_webhook, stack_outputs

WORKFLOW = "billing"
ANSWER_WITHIN_SECONDS = 20.0
SCHEDULED_CUSTOMERS_SAMPLE = "scheduled-customers.json"
SCHEDULED_AT = datetime(2026, 3, 1, 6, tzinfo=UTC)
"""The demo's scheduled run: 1 March 2026, 06:00 UTC, bills February (the other scenarios bill January)."""


class ScheduledRunError(RuntimeError):
    """The fired schedule did not start exactly one billing run per customer."""


def fire_the_billing_schedule_twice(cloud: LocalCloudHarness) -> Execution:
    """Fire the app's billing schedule, then again for the same time (a duplicate delivery).

    Returns the run of the first sample customer; the runs of the others are answered by
    ``answer_every_scheduled_run``. Raises :class:`ScheduledRunError` unless the two triggers
    started exactly one run per customer.
    """
    schedule = stack_outputs(cloud.client("cloudformation"), "Billing")["ScheduleName"]
    for execution_id in ("demo-trigger-1", "demo-trigger-2"):
        firing = cloud.fire_schedule(schedule, scheduled_time=SCHEDULED_AT, execution_id=execution_id)
        if not firing.delivered:
            raise ScheduledRunError(f"the schedule's target refused the trigger: {firing.error_message}")
    runs = _scheduled_runs(cloud)
    customers = [c["customerId"] for c in _scheduled_customers()]
    if len(runs) != len(customers):
        raise ScheduledRunError(f"expected one run per customer {customers}, found {[r.name for r in runs]}")
    return runs[0]


def answer_every_scheduled_run(cloud: LocalCloudHarness, execution: Execution) -> None:
    """Deliver the sandbox's answer to every run the schedule started (the followed one last)."""
    for run in [r for r in _scheduled_runs(cloud) if r.arn != execution.arn]:
        answer_as_the_test_card_decides(cloud, run)
        cloud.wait(run)
    answer_as_the_test_card_decides(cloud, execution)


def _scheduled_customers() -> list[dict[str, object]]:
    return list(json.loads((SAMPLES_DIR / WORKFLOW / SCHEDULED_CUSTOMERS_SAMPLE).read_text()))


def _scheduled_runs(cloud: LocalCloudHarness) -> list[Execution]:
    machine = cloud.state_machine_arn(WORKFLOW)
    pages = cloud.client("stepfunctions").get_paginator("list_executions").paginate(stateMachineArn=machine)
    period = f"-scheduled-{SCHEDULED_AT.year:04d}-{SCHEDULED_AT.month - 1:02d}-"
    found = [e for page in pages for e in page["executions"] if period in e["name"]]
    return [
        Execution(arn=e["executionArn"], name=e["name"], workflow=WORKFLOW)
        for e in sorted(found, key=lambda e: e["name"])
    ]


def answer_as_the_test_card_decides(cloud: LocalCloudHarness, execution: Execution) -> None:
    """Deliver the sandbox provider's answer once the execution has asked for authorisation."""
    delivery = deliver_sandbox_webhook(
        execution_arn=execution.arn,
        transport="invoke",
        clients=SandboxClients.from_session(cloud.session, endpoint_url=cloud.endpoint_url),
        wait_seconds=ANSWER_WITHIN_SECONDS,
    )
    if not delivery.accepted:
        raise RuntimeError(
            f"the webhook refused the sandbox's answer: {delivery.status_code} {delivery.response}"
        )


SCENARIOS = [
    Scenario(
        workflow=WORKFLOW,
        title="The provider authorises the payment: captured once, invoice paid, receipt sent",
        sample="authorised-payment.json",
        reason="demo payment authorised",
        during=answer_as_the_test_card_decides,
    ),
    Scenario(
        workflow=WORKFLOW,
        title="The provider declines the card: invoice marked, customer told, execution fails",
        sample="declined-payment.json",
        reason="demo card declined",
        expect_status="FAILED",
        expect_error="PaymentDeclined",
        during=answer_as_the_test_card_decides,
    ),
    Scenario(
        workflow=WORKFLOW,
        title="An invalid billing request fails at once, listing every problem",
        sample="invalid-request.json",
        reason="demo invalid request",
        expect_status="FAILED",
        expect_error="BillingRequestInvalid",
    ),
    Scenario(
        workflow=WORKFLOW,
        title="The monthly schedule fires (twice, for the same time): one paid run per customer",
        sample=SCHEDULED_CUSTOMERS_SAMPLE,
        reason="scheduled",
        start=fire_the_billing_schedule_twice,
        during=answer_every_scheduled_run,
        timeout_seconds=60.0,
    ),
]
