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


@pytest.fixture
def ended_dev_runs(cloud, stages):
    """A finished execution of dev's stack-deployment and of dev's billing machine, by name."""
    deployment = cloud.state_machine("dev-stack-deployment", PASS, "Done")
    runs = {"deployment": "dev-stack-deployment-a", "billing": "dev-billing-b"}
    for machine, name in ((deployment, runs["deployment"]), (stages["dev-billing"], runs["billing"])):
        cloud.wait_until(cloud.start(machine, name, {}), ended=True)
    return runs


def test_approve_in_a_stage_recognises_that_stages_deployment_runs(run, ended_dev_runs, monkeypatch):
    monkeypatch.delenv("WORKFLOWS_STAGE", raising=False)
    # WHEN approving dev's run with --stage dev, THEN it is taken for a deployment (only nothing waits)
    staged = run("--stage", "dev", "approve", ended_dev_runs["deployment"])
    assert (staged.exit_code, staged.stderr.strip()) == (
        3,
        "error: no approval is pending: [dev-stack-deployment-a] is SUCCEEDED",
    )
    # AND without the stage the same run is another workflow's, as before
    unstaged = run("approve", ended_dev_runs["deployment"])
    assert unstaged.exit_code == 2
    assert "[dev-stack-deployment-a] is a dev-stack-deployment execution" in unstaged.stderr


def test_pay_in_a_stage_recognises_that_stages_billing_runs(run, ended_dev_runs, monkeypatch):
    monkeypatch.delenv("WORKFLOWS_STAGE", raising=False)
    staged = run("--stage", "dev", "pay", ended_dev_runs["billing"], "--transport", "invoke")
    assert (staged.exit_code, staged.stderr.strip()) == (
        3,
        "error: no payment is waiting: [dev-billing-b] is SUCCEEDED",
    )
    unstaged = run("pay", ended_dev_runs["billing"], "--transport", "invoke")
    assert unstaged.exit_code == 2
    assert "[dev-billing-b] is a dev-billing execution" in unstaged.stderr
