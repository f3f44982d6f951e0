"""The demo's scheduled billing scenario: its start hook on a fake cloud (the whole run: tests/behaviour)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from workflow_local_cloud import Firing
from workflow_tools.demo import SAMPLES_DIR, billing

CUSTOMERS = [
    c["customerId"]
    for c in json.loads((SAMPLES_DIR / "billing" / billing.SCHEDULED_CUSTOMERS_SAMPLE).read_text())
]


@dataclass
class FakeCloud:
    """A schedule whose triggers start one run per customer: every time with ``per_trigger``, else once."""

    per_trigger: int = 0
    refuse: bool = False
    names: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return self

    # CloudFormation: the stack outputs
    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        return {"Stacks": [{"Outputs": [{"OutputKey": "ScheduleName", "OutputValue": "billing-schedule"}]}]}

    def fire_schedule(self, name: str, *, scheduled_time: Any, execution_id: str) -> Firing:
        self.fired.append(f"{name} {execution_id}")
        if not self.refuse and (self.per_trigger or len(self.fired) == 1):
            period = f"{scheduled_time.year:04d}-{scheduled_time.month - 1:02d}"
            self.names += [f"billing-scheduled-{period}-x-{c}" for c in CUSTOMERS]
        error = "AccessDenied" if self.refuse else None
        return Firing(
            "arn:schedule", execution_id, "t", "{}", None if error else {}, error, error, bool(error)
        )

    def state_machine_arn(self, workflow: str) -> str:
        return f"arn:aws:states:eu-west-1:1:stateMachine:{workflow}"

    def get_paginator(self, operation: str) -> Any:
        return self

    def paginate(self, **_: Any) -> list[dict[str, Any]]:
        return [{"executions": [{"executionArn": f"arn:{n}", "name": n} for n in self.names]}]


def test_two_triggers_for_one_time_follow_the_first_customers_only_run():
    cloud = FakeCloud()

    followed = billing.fire_the_billing_schedule_twice(cloud)  # type: ignore[arg-type]

    assert cloud.fired == ["billing-schedule demo-trigger-1", "billing-schedule demo-trigger-2"]
    assert followed.name == sorted(cloud.names)[0]


def test_a_duplicate_that_started_runs_again_fails_the_scenario():
    with pytest.raises(billing.ScheduledRunError, match=r"expected one run per customer"):
        billing.fire_the_billing_schedule_twice(FakeCloud(per_trigger=1))  # type: ignore[arg-type]


def test_a_refused_trigger_fails_the_scenario():
    with pytest.raises(billing.ScheduledRunError, match=r"refused the trigger: AccessDenied"):
        billing.fire_the_billing_schedule_twice(FakeCloud(refuse=True))  # type: ignore[arg-type]
