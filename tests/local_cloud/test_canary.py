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
