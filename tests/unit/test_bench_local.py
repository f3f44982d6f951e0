"""Which demo scenario is a workflow's happy path, for the benchmark and the cost report."""

from __future__ import annotations

from workflow_tools.bench.local import happy_paths
from workflow_tools.demo import Scenario


def _scenario(workflow: str, title: str, status: str = "SUCCEEDED") -> Scenario:
    return Scenario(workflow=workflow, title=title, sample="x.json", reason="bench", expect_status=status)


def test_the_first_succeeding_scenario_of_each_deployed_workflow_is_its_happy_path():
    # GIVEN scenarios in the order the demo modules declare them, failures among them
    declared = [
        _scenario("billing", "An invalid request is rejected", status="FAILED"),
        _scenario("billing", "An invoice is paid"),
        _scenario("billing", "An invoice is paid late"),
        _scenario("customer-onboarding", "A customer signs up"),
        _scenario("local-cloud-check", "The local cloud works"),
    ]
    # WHEN the app deploys billing and onboarding only
    chosen = happy_paths(declared, deployed={"billing", "customer-onboarding", "stack-deployment"})
    # THEN each deployed workflow with a succeeding scenario gets its first one, in workflow order
    assert [(s.workflow, s.title) for s in chosen] == [
        ("billing", "An invoice is paid"),
        ("customer-onboarding", "A customer signs up"),
    ]
