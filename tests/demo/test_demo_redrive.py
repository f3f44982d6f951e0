"""The demo's redrive scenario: its hooks on a fake cloud, and the whole scenario on the local cloud."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from rich.console import Console
from workflow_local_cloud import Execution, ExecutionResult
from workflow_tools.demo import customer_onboarding
from workflow_tools.demo._runner import run_scenarios

EXECUTION = Execution(
    arn="arn:aws:states:us-east-1:1:execution:customer-onboarding:x", name="x", workflow="w"
)
(SCENARIO,) = [s for s in customer_onboarding.SCENARIOS if s.sample == customer_onboarding.REDRIVEN_SAMPLE]


@dataclass
class FakeCloud:
    """Records what the hooks ask; the re-run ends ``rerun``, a redrive sends ``resent`` more emails."""

    rerun: str = "FAILED"
    resent: int = 0
    calls: list[str] = field(default_factory=list)
    sent: int = 1

    def inject_permanent_fault(self, workflow: str, state: str, **_: Any) -> None:
        self.calls.append(f"fault {state}")

    def clear_faults(self) -> None:
        self.calls.append("clear")

    def run(self, workflow: str, input: Any, *, reason: str, timeout: float) -> None:
        self.calls.append(f"run {reason} for {input['customer']['email']}")

    def wait(self, execution: Execution, *, timeout: float) -> ExecutionResult:
        self.calls.append("wait")
        status = self.rerun if "redrive" not in self.calls else "SUCCEEDED"
        return ExecutionResult(execution, status, {}, None, None, 0.1)

    def redrive(self, execution: Execution) -> Execution:
        self.calls.append("redrive")
        self.sent += self.resent
        return execution

    def emails(self, *, to: str) -> list[str]:
        return [to] * self.sent


def test_before_signs_up_with_ses_refusing_then_arms_the_fault_the_re_run_fails_on():
    cloud = FakeCloud()
    SCENARIO.before(cloud)
    assert cloud.calls == [
        "fault Send the welcome email",
        "run customer signed up for katherine@example.com",
        "clear",
        "fault Record the resent welcome email",
    ]


def test_during_redrives_the_failed_re_run_once_the_fault_is_cleared():
    cloud = FakeCloud()
    SCENARIO.during(cloud, EXECUTION)
    assert cloud.calls == ["wait", "clear", "redrive", "wait"]


def test_during_refuses_a_re_run_that_did_not_fail_and_redrives_nothing():
    cloud = FakeCloud(rerun="SUCCEEDED")
    with pytest.raises(RuntimeError, match=r"should have failed at \[Record the resent welcome email\]"):
        SCENARIO.during(cloud, EXECUTION)
    assert "redrive" not in cloud.calls


def test_during_fails_when_the_redrive_sends_the_email_again():
    with pytest.raises(RuntimeError, match="sent the welcome email again"):
        SCENARIO.during(FakeCloud(resent=1), EXECUTION)


@pytest.mark.behaviour
def test_the_redrive_scenario_passes_on_the_local_cloud(local_cloud):
    # GIVEN the deployed app WHEN the demo runs the redrive scenario THEN it ends as it expects
    (outcome,) = run_scenarios(Console(record=True, width=160), local_cloud, [SCENARIO])
    assert outcome.passed, outcome
    assert outcome.actual == "SUCCEEDED"
