"""Unit tests of the demo's scenario registry and of how the driver judges each scenario (a fake cloud)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from rich.console import Console
from workflow_local_cloud import Execution, ExecutionResult, Trace
from workflow_tools.demo import Scenario, scenarios
from workflow_tools.demo._render import trace_table
from workflow_tools.demo._runner import run_scenarios


@dataclass
class FakeCloud:
    """Stands in for LocalCloudHarness: every execution ends as ``ends`` says."""

    deployed: list[str]
    ends: dict[str, tuple[str, str | None]]
    started: list[str] = field(default_factory=list)

    def workflows(self) -> list[str]:
        return self.deployed

    def start(self, workflow: str, input: object, *, reason: str) -> Execution:
        self.started.append(workflow)
        return Execution(
            arn=f"arn:aws:states:us-east-1:1:execution:{workflow}:x", name="x", workflow=workflow
        )

    def wait(self, execution: Execution, *, timeout: float) -> ExecutionResult:
        status, error = self.ends[execution.workflow]
        return ExecutionResult(execution, status, {}, error, None, 0.1)

    def trace(self, execution: Execution) -> Trace:
        status, error = self.ends[execution.workflow]
        return Trace(execution.name, status, 0.1, error, None, (), 0.0)


def _scenario(workflow: str, **kwargs) -> Scenario:
    return Scenario(
        workflow=workflow, title=f"{workflow} runs", sample="visitor.json", reason="test", **kwargs
    )


@pytest.fixture
def console():
    return Console(record=True, width=160)


def test_every_declared_scenario_has_a_readable_sample():
    declared = scenarios()

    assert "local-cloud-check" in {scenario.workflow for scenario in declared}
    for scenario in declared:
        # A scenario that starts its own run (a fired schedule) reads its sample itself.
        assert isinstance(scenario.input(), list if scenario.start else dict), scenario.title


def test_scenarios_pass_when_they_end_as_expected_and_are_skipped_when_not_deployed(console, monkeypatch):
    # GIVEN one workflow deployed, ending as expected in one scenario and not in another, and one missing
    monkeypatch.setattr(Scenario, "input", lambda self: {"correlationId": "c-1"})
    cloud = FakeCloud(deployed=["billing"], ends={"billing": ("FAILED", "CardDeclined")})
    declared = [
        _scenario("billing", expect_status="FAILED", expect_error="CardDeclined"),
        _scenario("billing"),
        _scenario("onboarding"),
    ]

    # WHEN the driver runs them
    outcomes = run_scenarios(console, cloud, declared)

    # THEN the first passed, the second failed, the third was skipped without running
    assert [outcome.passed for outcome in outcomes] == [True, False, None]
    assert cloud.started == ["billing", "billing"]
    assert outcomes[1].actual == "FAILED (CardDeclined)"


def test_a_deployed_workflow_without_a_scenario_is_pointed_out(console):
    run_scenarios(console, FakeCloud(deployed=["user-provisioning"], ends={}), [])

    assert "add tools/workflow_tools/demo/user_provisioning.py" in console.export_text()


def test_a_scenario_whose_hook_fails_is_a_failure_and_the_others_still_run(console, monkeypatch):
    monkeypatch.setattr(Scenario, "input", lambda self: {})
    cloud = FakeCloud(deployed=["billing"], ends={"billing": ("SUCCEEDED", None)})

    def broken(cloud, execution):
        raise RuntimeError("no payment API in this test")

    outcomes = run_scenarios(console, cloud, [_scenario("billing", during=broken), _scenario("billing")])

    assert [(outcome.passed, outcome.note) for outcome in outcomes] == [(False, "RuntimeError"), (True, "")]


def test_a_cause_with_brackets_is_shown_as_written(console):
    # GIVEN an execution whose cause echoes a value in brackets, as validation errors do
    trace = Trace(
        "x", "FAILED", 0.1, "RequestInvalid", "stackName is wrong. Received: [billing_core]", (), 0.0
    )

    # WHEN its trace is printed
    console.print(trace_table(trace))

    # THEN the brackets are text, not rich markup
    assert "Received: [billing_core]" in console.export_text()
