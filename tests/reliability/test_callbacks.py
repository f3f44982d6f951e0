"""Forged callbacks: while an execution waits, forged, stale, replayed, unknown and oversized answers
are refused and change nothing; the execution keeps waiting on the same token, and the genuine
answer still completes it.

Every callback workflow gets the answers anyone could try against Step Functions itself (an unknown
token, an output over 256 KiB); a workflow answered through a webhook adds its own forgeries
(``WorkflowProfile.answers_to_forge``: bad signatures, stale timestamps, tampered bodies, ...).
"""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from workflow_local_cloud import task_steps_of_templates
from workflow_local_cloud.patches import MAX_PAYLOAD_BYTES

from tests.conftest import synthesize_once
from tests.reliability.profiles import PROFILES
from tests.reliability.profiles.base import Forgery, callback_token, quiet_inventory, settle
from tests.reliability.tally import Verdict

IGNORED = ("stepfunctions:executions",)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "callback" in metafunc.fixturenames:
        steps = task_steps_of_templates(synthesize_once(metafunc.config).templates)
        cases = sorted({(s.workflow, s.state) for s in steps if s.is_callback})
        metafunc.parametrize("callback", cases, ids=[f"{w}/{s}" for w, s in cases])


def _refused_by_step_functions(call) -> bool:
    try:
        call()
    except ClientError:
        return True
    return False


def test_forged_answers_are_refused_and_the_genuine_one_still_completes(
    callback, deployment, local_cloud, tally
):
    workflow, state = callback
    assert workflow in PROFILES, f"{workflow} has no reliability profile"
    profile = PROFILES[workflow](deployment)
    happy = profile.scenarios[0]
    # GIVEN an execution of the happy path waiting on the callback step
    request = profile.request(uuid.uuid4().hex[:12])
    execution = local_cloud.start(workflow, request, reason="reliability forged callbacks")
    token = callback_token(local_cloud, execution, state)
    assert token is not None, local_cloud.trace(execution).render()
    sfn = local_cloud.client("stepfunctions")
    forgeries = [
        Forgery(
            "SendTaskSuccess with a made-up token",
            lambda: _refused_by_step_functions(
                lambda: sfn.send_task_success(taskToken=uuid.uuid4().hex * 4, output="{}")
            ),
            bool,
        ),
        Forgery(
            "SendTaskFailure with a made-up token",
            lambda: _refused_by_step_functions(
                lambda: sfn.send_task_failure(taskToken=uuid.uuid4().hex * 4, error="Forged")
            ),
            bool,
        ),
        Forgery(
            "SendTaskSuccess with the real token and an output over 256 KiB",
            lambda: _refused_by_step_functions(
                lambda: sfn.send_task_success(
                    taskToken=token, output=json.dumps({"x": "x" * MAX_PAYLOAD_BYTES})
                )
            ),
            bool,
        ),
        *profile.answers_to_forge(execution, request),
    ]

    # WHEN each forgery is tried
    for forgery in forgeries:
        settle(local_cloud)
        before = quiet_inventory(local_cloud)
        answer = forgery.deliver()

        # THEN it was refused, nothing changed, and the execution still waits on the same token
        verdict = Verdict(
            side_effects=[
                f"{forgery.label}: {c}" for c in local_cloud.inventory().changes_since(before, ignore=IGNORED)
            ]
        )
        if not forgery.refused(answer):
            verdict.side_effects.append(f"{forgery.label}: not refused ({answer})")
        if callback_token(local_cloud, execution, state) != token:
            verdict.lost.append(f"{forgery.label}: the execution no longer waits on its token")
        tally.record("forged", workflow, verdict)
        assert verdict.clean, verdict.render()

    # AND the genuine answer still completes the execution as the happy path ends
    profile.drive(execution, request)
    result = local_cloud.wait(execution)
    assert happy.expect.matches(result), local_cloud.trace(execution).render()
