"""Bad input: every malformed request fails at the first step with the workflow's named error and
changes nothing; a request over 256 KiB is refused by Step Functions before any execution exists.

The payloads are drawn by hypothesis from each workflow's valid request (``malformed.py``),
derandomized so CI sees the same examples every run. Each example is one execution, with an
inventory of the local cloud (items, objects, messages, emails, roles, secrets, keys, stacks)
before and after it.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, example, given, settings
from workflow_local_cloud import ExecutionResult, HarnessError
from workflow_local_cloud.patches import MAX_PAYLOAD_BYTES

from tests.reliability.malformed import malformed_request, single_corruptions
from tests.reliability.profiles.base import settle
from tests.reliability.tally import Verdict

DRAWN_PER_WORKFLOW = 25
"""Drawn combinations of corruptions per workflow, on top of one example per corruption of each field."""
IGNORED = ("stepfunctions:executions",)  # the rejected execution itself
RUN_SECONDS = 10.0  # a rejection takes well under a second; longer means the request was accepted


def test_malformed_requests_fail_at_the_first_step_with_the_named_error_and_change_nothing(profile, tally):
    harness = profile.harness
    valid = profile.request("malformed")
    settle(harness)

    @settings(
        max_examples=DRAWN_PER_WORKFLOW,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=malformed_request(valid, profile))
    def check(case):
        done, request = case
        assert len(json.dumps(request).encode()) < MAX_PAYLOAD_BYTES, "drawn over the quota: see malformed.py"
        # GIVEN the local cloud's inventory
        before = harness.inventory()

        # WHEN the malformed request is started
        execution = harness.start(profile.workflow, request, reason="reliability malformed request")
        try:
            result = harness.wait(execution, timeout=RUN_SECONDS)
        except HarnessError:
            result = _stopped(harness, execution)

        # THEN it failed with the named error at the first step, without retrying, and changed nothing
        verdict = Verdict()
        if (result.status, result.error) != ("FAILED", profile.invalid_error):
            verdict.lost.append(f"{'; '.join(done)}: ended {result.status} {result.error}")
        tasks = {
            event["stateEnteredEventDetails"]["name"]
            for event in harness.history(result.execution)
            if event["type"] == "TaskStateEntered"
        }
        if tasks - {profile.validation_state}:
            verdict.lost.append(f"{'; '.join(done)}: went past the first step into {sorted(tasks)}")
        if harness.pauses(result.execution):
            verdict.lost.append(f"{'; '.join(done)}: the validation was retried")
        verdict.side_effects += [
            f"{'; '.join(done)}: {change}"
            for change in harness.inventory().changes_since(before, ignore=IGNORED)
        ]
        tally.record("inputs", profile.workflow, verdict)
        assert verdict.clean, verdict.render() + "\n" + harness.trace(result.execution).render()

    for case in single_corruptions(valid, profile):
        check = example(case=case)(check)
    check()


def test_a_request_over_256_kib_is_refused_by_step_functions_and_no_execution_exists(profile, tally):
    # GIVEN a valid request padded past Step Functions' 256 KiB quota
    harness = profile.harness
    request = {**profile.request("oversized"), "padding": "x" * MAX_PAYLOAD_BYTES}
    settle(harness)
    before = harness.inventory()

    # WHEN it is started
    with pytest.raises(ClientError) as refused:
        harness.start(profile.workflow, request, reason="reliability oversized request")

    # THEN StartExecution refused it, and nothing at all changed: not even an execution was created
    verdict = Verdict(side_effects=[str(c) for c in harness.inventory().changes_since(before)])
    if refused.value.response["Error"]["Code"] != "ValidationException":
        verdict.lost.append(f"refused with {refused.value.response['Error']}")
    tally.record("inputs", profile.workflow, verdict)
    assert verdict.clean, verdict.render()


def _stopped(harness, execution):
    """An execution that accepted a malformed request, stopped before it does more (and its result)."""
    harness.client("stepfunctions").stop_execution(executionArn=execution.arn, error="Reliability")
    for waiting in harness.control("GET", "callbacks"):
        if waiting["executionArn"] == execution.arn:
            harness.control("POST", "callbacks/timeout", {"taskToken": waiting["taskToken"]})
    try:
        return harness.wait(execution, timeout=RUN_SECONDS)
    except HarnessError:
        description = harness.client("stepfunctions").describe_execution(executionArn=execution.arn)
        return ExecutionResult(execution, description["status"], None, None, None, RUN_SECONDS)
