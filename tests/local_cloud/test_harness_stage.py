"""The harness on a staged app (``stage=``): workflows by their name without the stage, that stage's only.

No local cloud is needed: the harness is handed a fake Step Functions client, as its ``client``
method is the one way it reaches AWS.
"""

from __future__ import annotations

from typing import Any

import pytest
from workflow_constructs.naming import InvalidStageError
from workflow_local_cloud.harness import LocalCloudHarness

ARN = "arn:aws:states:eu-west-1:000000000000:stateMachine:"
DEPLOYED = ("billing", "dev-billing", "dev-customer-onboarding", "prod-billing")


class FakeStepFunctions:
    """``list_state_machines`` (one page) and ``start_execution`` over a fixed set of machines."""

    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []

    def get_paginator(self, operation: str) -> Any:
        assert operation == "list_state_machines"
        machines = [{"name": name, "stateMachineArn": f"{ARN}{name}"} for name in DEPLOYED]

        class Pages:
            def paginate(self) -> list[dict[str, Any]]:
                return [{"stateMachines": machines}]

        return Pages()

    def start_execution(self, **request: Any) -> dict[str, str]:
        self.started.append(request)
        arn = request["stateMachineArn"].replace(":stateMachine:", ":execution:")
        return {"executionArn": f"{arn}:{request['name']}"}


class FakeHarness(LocalCloudHarness):
    def __init__(self, stage: str | None) -> None:
        super().__init__("http://127.0.0.1:1", stage=stage)
        self.sfn = FakeStepFunctions()

    def client(self, service: str) -> Any:
        assert service == "stepfunctions"
        return self.sfn


def test_a_staged_harness_sees_only_its_stage_by_unprefixed_name():
    harness = FakeHarness("dev")
    assert harness.workflows() == ["billing", "customer-onboarding"]
    assert harness.state_machine_arn("billing") == f"{ARN}dev-billing"


def test_a_staged_harness_starts_its_stage_machine_named_after_it():
    harness = FakeHarness("dev")
    execution = harness.start("billing", {}, reason="invoice paid")
    assert harness.sfn.started[0]["stateMachineArn"] == f"{ARN}dev-billing"
    assert execution.name.startswith("dev-billing-invoice-paid-")
    assert execution.workflow == "billing"


def test_an_unstaged_harness_sees_every_machine_as_before():
    harness = FakeHarness(None)
    assert harness.workflows() == sorted(DEPLOYED)
    assert harness.state_machine_arn("billing") == f"{ARN}billing"


def test_an_invalid_stage_is_refused_before_any_call():
    with pytest.raises(InvalidStageError):
        FakeHarness("Dev")
