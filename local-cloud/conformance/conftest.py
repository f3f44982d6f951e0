"""The conformance suite: the local cloud measured against AWS's documented behaviour.

Each case runs a small state machine of its own on one local cloud (shared by the session) and
asserts the exact output, error and cause the Step Functions developer guide documents. A case
carries ``@pytest.mark.conformance("<area>")``; the area names the part of AWS's behaviour it
checks (for example ``service-integrations``, ``errors``, ``intrinsics``, ``jsonata``,
``callbacks``, ``timeouts``, ``api``), and ``make bench`` reports the pass rate per area.
Where AWS does not document its exact text, the case says so and pins the local text instead.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from workflow_local_cloud import LocalCloudHarness, running_local_cloud

ROLE_ARN = "arn:aws:iam::123456789012:role/conformance"


@dataclass(frozen=True)
class Run:
    """A finished execution of a conformance case, as DescribeExecution and the history answer it."""

    execution_arn: str
    described: dict[str, Any]
    history: list[dict[str, Any]]

    @property
    def status(self) -> str:
        return str(self.described["status"])

    @property
    def output(self) -> Any:
        return json.loads(self.described["output"]) if "output" in self.described else None

    @property
    def error(self) -> str | None:
        return self.described.get("error")

    @property
    def cause(self) -> str | None:
        return self.described.get("cause")

    def events(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.history if event["type"] == event_type]

    def evaluation_failed(self) -> dict[str, Any]:
        """The details of the execution's one ``EvaluationFailed`` event (JSONata and variable errors)."""
        [event] = self.events("EvaluationFailed")
        return dict(event["evaluationFailedEventDetails"])


class Cases:
    """Creates a state machine per case and runs it to its end on the shared local cloud."""

    def __init__(self, cloud: LocalCloudHarness) -> None:
        self.cloud = cloud
        self.sfn = cloud.client("stepfunctions")

    def create(self, definition: dict[str, Any], *, name: str = "case", **kwargs: Any) -> str:
        return str(
            self.sfn.create_state_machine(
                name=f"{name}-{uuid.uuid4().hex[:12]}",
                definition=json.dumps(definition),
                roleArn=ROLE_ARN,
                **kwargs,
            )["stateMachineArn"]
        )

    def start(self, state_machine_arn: str, input: Any = None) -> str:
        return str(
            self.sfn.start_execution(
                stateMachineArn=state_machine_arn,
                name=f"conformance-{uuid.uuid4().hex[:12]}",
                input=json.dumps({} if input is None else input),
            )["executionArn"]
        )

    def wait(self, execution_arn: str, *, timeout: float = 30.0) -> Run:
        deadline = time.monotonic() + timeout
        while True:
            described = self.sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        history = self.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        return Run(execution_arn, described, history)

    def run(self, definition: dict[str, Any], input: Any = None, **kwargs: Any) -> Run:
        return self.wait(self.start(self.create(definition, **kwargs), input))


@pytest.fixture(scope="session")
def conformance_cloud() -> Iterator[LocalCloudHarness]:
    with running_local_cloud() as harness:
        yield harness


@pytest.fixture
def cases(conformance_cloud: LocalCloudHarness) -> Cases:
    return Cases(conformance_cloud)
