"""``--stage`` for this app's plugins: approve/reject and pay/decline recognise their stage's runs."""

from __future__ import annotations

import pytest

from tests.cli.test_cli_stage import PASS, stages

__all__ = ["stages"]  # a fixture the tests below use


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
