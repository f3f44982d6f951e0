"""Fixtures of the reliability suites: the deployed workflows' profiles, which scenario reaches which step.

Tests taking a ``workflow`` argument run once per deployed workflow that has a profile
(``profiles/__init__.py``), read from the session's synthesized templates at collection time.
"""

from __future__ import annotations

import pytest
from workflow_constructs.definition import STATE_MACHINE_TYPE
from workflow_local_cloud import LocalCloudHarness

from tests.conftest import synthesize_once
from tests.reliability.profiles import PROFILES
from tests.reliability.profiles.base import Deployment, Scenario, WorkflowProfile


def deployed_workflows(config: pytest.Config) -> list[str]:
    """The state machine names of the session's app."""
    return sorted(
        str(resource["Properties"]["StateMachineName"])
        for template in synthesize_once(config).templates.values()
        for resource in template.get("Resources", {}).values()
        if resource["Type"] == STATE_MACHINE_TYPE
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "workflow" in metafunc.fixturenames:
        covered = [name for name in deployed_workflows(metafunc.config) if name in PROFILES]
        metafunc.parametrize("workflow", covered)


@pytest.fixture(scope="session")
def deployment(local_cloud_session: LocalCloudHarness) -> Deployment:
    return Deployment(local_cloud_session)


@pytest.fixture
def profile(workflow: str, deployment: Deployment, local_cloud: LocalCloudHarness) -> WorkflowProfile:
    """The profile of ``workflow`` on the session's local cloud (faults cleared after the test)."""
    return PROFILES[workflow](deployment)


class Reachability:
    """Which Task states each scenario of a workflow enters, learnt by running each once (cached)."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self._entered: dict[tuple[str, str], frozenset[str]] = {}

    def entered(self, profile: WorkflowProfile, scenario: Scenario) -> frozenset[str]:
        key = (profile.workflow, scenario.name)
        if key not in self._entered:
            harness = self.deployment.harness
            run = profile.run(scenario)
            harness.clear_faults()
            assert scenario.expect.matches(run.result), (
                f"scenario [{scenario.name}] of {profile.workflow} should end {scenario.expect}:\n"
                + harness.trace(run.execution).render()
            )
            self._entered[key] = frozenset(
                event["stateEnteredEventDetails"]["name"]
                for event in harness.history(run.execution)
                if event["type"] == "TaskStateEntered"
            )
        return self._entered[key]

    def scenario_for(self, profile: WorkflowProfile, state: str) -> Scenario | None:
        """The first scenario that enters ``state`` without arming a fault on it itself."""
        for scenario in profile.scenarios:
            if any(armed == state for armed, _ in scenario.faults):
                continue
            if state in self.entered(profile, scenario):
                return scenario
        return None


@pytest.fixture(scope="session")
def reachability(deployment: Deployment) -> Reachability:
    return Reachability(deployment)
