"""Faults: every Task state of every workflow, once with a transient fault (it recovers) and once with
a permanent one (it ends in its compensation path), checked for the end state the workflow promises.

The cases are generated from the synthesized definitions (``task_steps_of_templates``), so a new
state gets its two cases without anyone writing them. Each case runs the first scenario of the
workflow's profile that reaches the state (the happy path, or e.g. "SES refuses the email" for the
rollback steps); a state no scenario reaches must be listed in the profile's ``excluded_steps``
with the reason.

A permanent fault inside the compensation itself (the rollback step fails) may leave what it could
not remove: then operations must have been told, and running the same request again (the fault
gone) must end clean. That is what "lose nothing" means when the safety net tears.
"""

from __future__ import annotations

from typing import Any

import pytest
from workflow_local_cloud import task_steps_of_templates
from workflow_local_cloud.steps import TaskStep

from tests.conftest import synthesize_once
from tests.reliability.profiles import NOT_COVERED, PROFILES
from tests.reliability.profiles.base import UNEXPECTED_ERROR, Deployment, Run
from tests.reliability.tally import Verdict

KINDS = ("transient", "permanent")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "step" in metafunc.fixturenames:
        steps = task_steps_of_templates(synthesize_once(metafunc.config).templates)
        cases = [(step, kind) for step in steps for kind in KINDS]
        metafunc.parametrize(("step", "kind"), cases, ids=[f"{kind}-{step}" for step, kind in cases])


def _delivered(harness: Any, step: TaskStep) -> int:
    return sum(
        1 for f in harness.delivered_faults() if (f.state_machine, f.state) == (step.workflow, step.state)
    )


def test_a_fault_in_any_step_ends_in_a_clean_state(
    step, kind, deployment: Deployment, local_cloud, reachability, tally
):
    # GIVEN the workflow's profile and a scenario that reaches the step
    if step.workflow in NOT_COVERED:
        pytest.skip(f"{step.workflow}: {NOT_COVERED[step.workflow]}")
    if step.workflow not in PROFILES:
        pytest.fail(f"{step.workflow} has no reliability profile: add one to tests/reliability/profiles")
    profile = PROFILES[step.workflow](deployment)
    if step.state in profile.excluded_steps:
        pytest.skip(f"{step}: {profile.excluded_steps[step.state]}")
    if kind == "transient" and step.transient_error is None:
        pytest.skip(f"{step} does not retry (its Retry was opted out): a transient fault would be permanent")
    scenario = reachability.scenario_for(profile, step.state)
    assert scenario is not None, (
        f"no scenario of {step.workflow} reaches [{step.state}]: add one to its profile, "
        "or list the state in excluded_steps with the reason"
    )
    delivered = _delivered(local_cloud, step)
    residual: str | None = None

    # WHEN the fault is armed and the scenario runs
    if kind == "transient":
        local_cloud.inject_transient_fault(
            step.workflow, step.state, times=step.max_transient_failures(step.transient_error)
        )
    else:
        local_cloud.inject_permanent_fault(step.workflow, step.state, error=UNEXPECTED_ERROR)
    run = profile.run(scenario)
    local_cloud.clear_faults()

    # THEN the fault reached the step, and the run ended where the workflow promises
    assert _delivered(local_cloud, step) > delivered, (
        f"[{scenario.name}] did not reach [{step.state}]:\n{local_cloud.trace(run.execution).render()}"
    )
    verdict = _ending(run, kind, step, scenario.expect)
    judged = profile.judge_run(run)
    repaired = kind == "permanent" and not judged.clean
    if repaired:
        # The compensation itself failed: operations must hear of it, and running the same request
        # again (the fault gone) must end clean.
        if not profile.operations_notified(run):
            verdict.lost.append(f"nobody was told: {judged.render()}")
        profile.before_repair(run)
        rerun = profile.run(scenario, request=run.request, setup=False)
        local_cloud.clear_faults()
        if not scenario.expect.matches(rerun.result):
            verdict.lost.append(f"the re-run ended {rerun.result.status} {rerun.result.error}")
        after_rerun = profile.judge_run(rerun)
        if scenario.expect.status != "SUCCEEDED":
            # A compensated end leaves nothing of either run behind.
            after_rerun.side_effects += [
                f"still there after the re-run: {c}" for c in profile.leftovers(run.before, rerun.after)
            ]
        if after_rerun.side_effects and step.state in profile.residual_faults:
            # Documented: what this failure leaves, only a person removes (operations were told).
            residual = f"{step}: {profile.residual_faults[step.state]}"
            after_rerun.side_effects = []
        verdict.extend(after_rerun)
    else:
        verdict.extend(judged)
    tally.record("faults", step.workflow, verdict, repaired=repaired and residual is None, residual=residual)
    assert verdict.clean, verdict.render() + "\n" + local_cloud.trace(run.execution).render()


def _ending(run: Run, kind: str, step: TaskStep, expected: Any) -> Verdict:
    """Transient: the scenario's own end. Permanent: caught -> any end the judge accepts; not caught
    -> the execution fails with the fault's error (nothing can compensate a step without a Catch)."""
    verdict = Verdict()
    result = run.result
    if kind == "transient" and not expected.matches(result):
        verdict.lost.append(
            f"a transient fault in [{step.state}] changed the end to {result.status} {result.error}"
        )
    if kind == "permanent" and not step.is_caught(UNEXPECTED_ERROR) and result.status != "FAILED":
        verdict.lost.append(f"an uncaught fault in [{step.state}] ended {result.status}")
    return verdict
