"""Which demo scenario is a workflow's happy path, for the benchmark and the cost report."""

from __future__ import annotations

import json

import pytest
from workflow_tools.bench import local
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


class _SynthesizedError(Exception):
    """Stops local_cloud_with_app once it has synthesized (no local cloud is started)."""


def test_the_local_cloud_synth_allows_the_placeholder_senders(tmp_path, monkeypatch):
    # GIVEN a synth that records how app.py was run
    runs = []

    def run_measured(command, *, cwd, env, log):
        runs.append((command, env))
        raise _SynthesizedError

    monkeypatch.setattr(local, "run_measured", run_measured)

    # WHEN the benchmark synthesizes the app for the local cloud
    with (
        pytest.raises(_SynthesizedError),
        local.local_cloud_with_app(tmp_path, tmp_path, {"KEEP": "1"}, "python"),
    ):
        pass

    # THEN app.py ran with the placeholder senders allowed (the local cloud verifies no SES identity)
    [(command, env)] = runs
    assert command == ["python", "app.py"]
    assert json.loads(env["CDK_CONTEXT_JSON"]) == {"allowPlaceholderSenders": True}
    assert env["KEEP"] == "1"
    assert env["CDK_OUTDIR"] == str(tmp_path / "local-cloud.out")
