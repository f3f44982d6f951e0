"""``--stage`` / ``WORKFLOWS_STAGE``: the CLI finds the machines of the stage it is given, and only those."""

from __future__ import annotations

import re

import pytest

PASS = {"Done": {"Type": "Pass", "End": True}}


@pytest.fixture
def stages(cloud):
    """The billing machine of the unstaged deployment and of stages dev and prod, by name."""
    return {
        name: cloud.state_machine(name, PASS, "Done") for name in ("billing", "dev-billing", "prod-billing")
    }


@pytest.fixture
def ended(cloud, stages):
    """An ended execution named ``dev-billing-run`` of dev's billing, and one named ``billing-run`` of
    the unstaged billing: an execution name is unique per machine only."""
    arns = {}
    for machine, name in (("dev-billing", "dev-billing-run"), ("billing", "billing-run")):
        arns[name] = cloud.start(stages[machine], name, {})
        cloud.wait_until(arns[name], ended=True)
    return arns


def _started(outcome) -> tuple[str, str]:
    assert outcome.exit_code == 0, outcome.stderr
    name = re.search(r"^Started (\S+)$", outcome.stdout, re.MULTILINE).group(1)
    arn = re.search(r"execution ARN\s+(\S+)", outcome.stdout).group(1)
    return name, arn


def test_start_with_a_stage_runs_that_stages_machine(run, stages):
    # WHEN the operator starts billing in stage dev
    name, arn = _started(
        run("--stage", "dev", "start", "billing", "--reason", "Monthly run", "--input", "-", input="{}")
    )
    # THEN dev's machine runs it, and the execution name leads with the machine's name
    assert arn.startswith(stages["dev-billing"].replace(":stateMachine:", ":execution:") + ":")
    assert name.startswith("dev-billing-monthly-run-")


def test_start_without_a_stage_runs_the_unstaged_machine_as_before(run, stages, monkeypatch):
    monkeypatch.delenv("WORKFLOWS_STAGE", raising=False)
    name, arn = _started(run("start", "billing", "--reason", "Monthly run", "--input", "-", input="{}"))
    assert arn.startswith(stages["billing"].replace(":stateMachine:", ":execution:") + ":")
    assert name.startswith("billing-monthly-run-")


def test_the_stage_comes_from_workflows_stage_too(run, stages, monkeypatch):
    monkeypatch.setenv("WORKFLOWS_STAGE", "prod")
    _, arn = _started(run("start", "billing", "--reason", "Monthly run", "--input", "-", input="{}"))
    assert arn.startswith(stages["prod-billing"].replace(":stateMachine:", ":execution:") + ":")


def test_list_with_a_stage_shows_only_that_stages_executions(run, cloud, stages, monkeypatch):
    monkeypatch.delenv("WORKFLOWS_STAGE", raising=False)
    for machine, execution in (("dev-billing", "dev-billing-a"), ("prod-billing", "prod-billing-b")):
        cloud.wait_until(cloud.start(stages[machine], execution, {}), ended=True)
    # WHEN listing in stage dev, all of it and billing only
    everything, billing = (
        run("--stage", "dev", "list"),
        run("--stage", "dev", "list", "--workflow", "billing"),
    )
    # THEN only dev's execution shows; without a stage, every machine's do (as before)
    for outcome in (everything, billing):
        assert outcome.exit_code == 0, outcome.stderr
        assert [line.split()[0] for line in outcome.stdout.splitlines()[1:]] == ["dev-billing-a"]
    unstaged = run("list")
    assert sorted(line.split()[0] for line in unstaged.stdout.splitlines()[1:]) == [
        "dev-billing-a",
        "prod-billing-b",
    ]


def test_an_unknown_workflow_in_a_stage_lists_that_stages_workflows(run, stages):
    outcome = run(
        "--stage", "dev", "start", "customer-onboarding", "--reason", "x", "--input", "-", input="{}"
    )
    assert outcome.exit_code == 2
    assert outcome.stderr.strip() == "error: unknown workflow [customer-onboarding]; known workflows: billing"


def test_an_invalid_stage_is_a_usage_error_naming_the_rule(run, stages):
    outcome = run("--stage", "Dev", "list")
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith("error: --stage: stage must be 1-16 characters of lowercase letters")
    assert outcome.stderr.strip().endswith("Received: [Dev]")


def test_status_with_a_stage_finds_the_execution_in_that_stages_machines(run, ended):
    # WHEN asking for dev's run by name, in stage dev
    outcome = run("--stage", "dev", "status", "dev-billing-run")
    # THEN it is found there
    assert outcome.exit_code == 0, outcome.stderr
    assert ended["dev-billing-run"] in outcome.stdout
    # AND the unstaged run is not dev's: not found, saying where it looked
    other = run("--stage", "dev", "status", "billing-run")
    assert other.exit_code == 3
    assert other.stderr.strip() == (
        "error: execution not found: no state machine has an execution named [billing-run] "
        "(searched 1 of stage dev: billing)"
    )


def test_why_with_a_stage_searches_that_stages_machines_only(run, ended, monkeypatch):
    # GIVEN the stage from the environment
    monkeypatch.setenv("WORKFLOWS_STAGE", "prod")
    # WHEN explaining a run of another stage, THEN it is not found in prod's machines
    outcome = run("why", "dev-billing-run", "--no-logs")
    assert outcome.exit_code == 3
    assert "(searched 1 of stage prod: billing)" in outcome.stderr
    # AND in its own stage it is explained
    monkeypatch.setenv("WORKFLOWS_STAGE", "dev")
    explained = run("why", "dev-billing-run", "--no-logs")
    assert explained.exit_code == 0, explained.stderr
    assert "dev-billing-run" in explained.stdout
    assert "SUCCEEDED" in explained.stdout
