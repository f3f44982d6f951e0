"""Canaries for the moto patches: each must still fit the pinned moto, and fail loudly when it does not.

Patching is process-wide, so the patches are checked, applied and verified in a child process
(``python -m workflow_tools.local_cloud --canary``); this test process keeps a pristine moto for
tests that use ``mock_aws``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_tools.local_cloud import patches
from workflow_tools.local_cloud.patches import MOTO_VERSION, PATCHES, PatchDriftError

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def canary_report() -> dict[str, str]:
    finished = subprocess.run(
        [sys.executable, "-m", "workflow_tools.local_cloud", "--canary"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.stdout, finished.stderr
    return dict(json.loads(finished.stdout))


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.name)
def test_the_patch_still_applies_to_the_pinned_moto(canary_report, patch):
    # GIVEN the pinned moto in a fresh process
    # WHEN the patch is checked (the target has the expected shape), applied, then verified (behaviour)
    # THEN every stage passed
    assert canary_report[patch.name] == "ok", f"{patch.name} ({patch.why}): {canary_report[patch.name]}"


def test_every_patch_is_run_by_the_canary_and_says_why(canary_report):
    assert sorted(canary_report) == sorted(patch.name for patch in PATCHES)
    assert len({patch.name for patch in PATCHES}) == len(PATCHES)
    assert all(len(patch.why) > 20 for patch in PATCHES)


def test_the_pinned_moto_is_the_one_the_patches_were_written_for():
    pinned = re.search(r'"moto\[[^\]]*\]==([0-9.]+)"', (REPO_ROOT / "pyproject.toml").read_text())
    assert pinned is not None
    assert pinned.group(1) == MOTO_VERSION


def test_a_changed_signature_is_reported_as_drift():
    # GIVEN a target whose parameters are not the ones a patch expects
    def renamed(self, env, seconds):  # pragma: no cover - only its signature matters
        return None

    # WHEN the patch checks it
    # THEN it fails naming the patch, the target and both signatures
    with pytest.raises(
        PatchDriftError,
        match=r"\[sfn-wait-clock\].*takes \('self', 'env', 'seconds'\), "
        r"expected \('self', 'env', 'wait_seconds'\)",
    ):
        patches._require_parameters("sfn-wait-clock", renamed, ("self", "env", "wait_seconds"))


def test_sdk_errors_carry_the_prefixes_the_library_retries_on():
    # GIVEN the prefixes the library's sdk_transient retry preset names errors with
    from workflow_constructs.retry import sdk_error_prefix

    # THEN the local cloud names AWS SDK integration errors the same way, service by service
    for service, prefix in patches.SDK_ERROR_PREFIXES.items():
        assert sdk_error_prefix(service) == prefix, service


# The IAM evaluation mode's policy evaluation (patch "iam-evaluation") --------------------------------

_MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:billing"
_WEBHOOK = "arn:aws:iam::123456789012:role/Billing-Webhook"
_GUARD = {
    "Statement": [
        {
            "Effect": "Deny",
            "Action": ["states:SendTaskSuccess", "states:SendTaskFailure"],
            "Resource": _MACHINE,
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [_WEBHOOK]}},
        }
    ]
}
_ANSWER_ANYTHING = {"Statement": {"Effect": "Allow", "Action": "states:*", "Resource": "*"}}


def _decide(documents, principal, resource=_MACHINE, action="states:SendTaskSuccess"):
    return patches.evaluate_iam(documents, action, resource, {"aws:principalarn": principal})


def test_iam_mode_an_explicit_deny_beats_an_allow_for_other_principals():
    reader = "arn:aws:iam::123456789012:user/reader"
    assert _decide([_ANSWER_ANYTHING], reader) == "allowed"
    assert _decide([_ANSWER_ANYTHING, _GUARD], reader) == "explicit deny"


def test_iam_mode_arn_not_equals_exempts_the_named_role():
    assert _decide([_ANSWER_ANYTHING, _GUARD], _WEBHOOK) == "allowed"


def test_iam_mode_a_deny_on_another_resource_does_not_apply():
    other = "arn:aws:states:eu-west-1:123456789012:stateMachine:stack-deployment"
    assert _decide([_ANSWER_ANYTHING, _GUARD], "arn:aws:iam::123456789012:user/x", other) == "allowed"


def test_iam_mode_no_allow_is_an_implicit_deny_and_actions_match_case_insensitively():
    assert _decide([], "arn:aws:iam::123456789012:user/x") == "implicit deny"
    lower = {"Statement": [{"Effect": "Allow", "Action": "states:sendtasksuccess", "Resource": "*"}]}
    assert _decide([lower], "arn:aws:iam::123456789012:user/x") == "allowed"


def test_iam_mode_fails_closed_on_a_condition_it_cannot_evaluate():
    unknown = {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    allow = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": unknown}]}
    deny = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": unknown}]}
    principal = "arn:aws:iam::123456789012:user/x"
    assert _decide([allow], principal) == "implicit deny"
    assert _decide([_ANSWER_ANYTHING, deny], principal) == "explicit deny"
