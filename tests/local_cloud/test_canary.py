"""Canaries for the moto patches: each must still fit the pinned moto, and fail loudly when it does not.

Patching is process-wide, so the patches are checked, applied and verified in a child process
(``python -m workflow_local_cloud --canary``); this test process keeps a pristine moto for
tests that use ``mock_aws``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_local_cloud import patches
from workflow_local_cloud.patches import MOTO_VERSION, PATCHES, PatchDriftError

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def canary_report() -> dict[str, str]:
    finished = subprocess.run(
        [sys.executable, "-m", "workflow_local_cloud", "--canary"],
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


# sts-assume-role-trust: the trust policy AssumeRole evaluates ----------------------------------------

BROKER_SESSION = "arn:aws:sts::123456789012:assumed-role/sign-in/session-1"
TENANT_ROLE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:role/services/sign-in"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringLike": {"aws:RequestTag/tenant": "?*", "aws:RequestTag/user": "?*"},
                "StringEquals": {"aws:RequestTag/access": ["read-write", "read-only"]},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["tenant", "user", "access"]},
            },
        }
    ],
}
TAGS = {"tenant": "acme", "user": "u-1", "access": "read-only"}


def _call(caller=BROKER_SESSION, tags=None, account="123456789012", **context):
    return patches.AssumeRoleCall(
        caller_arn=caller,
        caller_account=account,
        role_arn="arn:aws:iam::123456789012:role/user-provisioning/scopes",
        session_tags=dict(TAGS if tags is None else tags),
        context=context,
    )


def test_the_named_broker_with_the_required_session_tags_may_assume_the_role():
    assert patches.trust_policy_decision(TENANT_ROLE_TRUST, _call()) is None


@pytest.mark.parametrize(
    "caller",
    [
        "arn:aws:iam::123456789012:user/developer",  # a developer allowed sts:AssumeRole on *
        "arn:aws:sts::123456789012:assumed-role/ci-deploy/build-42",  # a CI role allowed the same
        "arn:aws:sts::123456789012:assumed-role/scopes/acme-u-1",  # a tenant session, re-assuming
        "arn:aws:sts::210987654321:assumed-role/sign-in/session-1",  # a role of that name elsewhere
    ],
)
def test_a_principal_the_trust_policy_does_not_name_is_refused_assume_role(caller):
    assert patches.trust_policy_decision(TENANT_ROLE_TRUST, _call(caller=caller)) == "sts:AssumeRole"


@pytest.mark.parametrize(
    "tags",
    [
        {},  # an untagged session would match no prefix, but is refused outright
        {"user": "u-1", "access": "read-only"},  # no tenant
        {"tenant": "", "user": "u-1", "access": "read-only"},  # an empty tenant
        {**TAGS, "access": "admin"},  # an access level the role does not know
        {**TAGS, "department": "finance"},  # a tag the role does not accept
    ],
)
def test_a_broker_session_without_exactly_the_tenant_user_and_access_tags_is_refused(tags):
    assert patches.trust_policy_decision(TENANT_ROLE_TRUST, _call(tags=tags)) is not None


def test_an_account_principal_trusts_every_principal_of_the_account_and_no_other():
    # The default this issue removes: what any developer or CI role could assume.
    account_trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
            }
        ]
    }
    developer = _call(caller="arn:aws:iam::123456789012:user/developer", tags={})
    outsider = _call(caller="arn:aws:iam::210987654321:user/developer", tags={}, account="210987654321")
    assert patches.trust_policy_decision(account_trust, developer) is None
    assert patches.trust_policy_decision(account_trust, outsider) == "sts:AssumeRole"
    # Tags need sts:TagSession, which this policy does not allow.
    assert (
        patches.trust_policy_decision(account_trust, _call(caller=developer.caller_arn)) == "sts:TagSession"
    )


def test_an_explicit_deny_in_the_trust_policy_wins_and_unknown_operators_fail_closed():
    deny = {
        "Statement": [
            *TENANT_ROLE_TRUST["Statement"],
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sts:*",
                "Condition": {"StringNotEquals": {"sts:ExternalId": "expected"}},
            },
        ]
    }
    assert patches.trust_policy_decision(deny, _call()) == "sts:AssumeRole"
    assert patches.trust_policy_decision(deny, _call(**{"sts:externalid": "expected"})) is None
    unknown = {
        "Statement": [{**TENANT_ROLE_TRUST["Statement"][0], "Condition": {"NumericMagic": {"x": "1"}}}]
    }
    assert patches.trust_policy_decision(unknown, _call()) == "sts:AssumeRole"


# The conformance patches' own logic (the behaviour on the local cloud: local-cloud/conformance) ------


def test_sdk_http_metadata_lists_every_header_value_and_keeps_the_last():
    from workflow_local_cloud.sdk_metadata import sdk_http_metadata

    shaped = sdk_http_metadata(200, [("x-amzn-RequestId", "r-1"), ("Vary", "a"), ("Vary", "b")], "r-1")

    assert shaped == {
        "SdkHttpMetadata": {
            "AllHttpHeaders": {"x-amzn-RequestId": ["r-1"], "Vary": ["a", "b"]},
            "HttpHeaders": {"x-amzn-RequestId": "r-1", "Vary": "b"},
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": "r-1"},
    }


def test_an_execution_output_is_the_json_text_of_any_json_value():
    import datetime

    from workflow_local_cloud.describe_output import execution_output

    when = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert [execution_output(value) for value in ("hi", None, 3, {"at": when})] == [
        '"hi"',
        "null",
        "3",
        '{"at": "2024-01-02T03:04:05+00:00"}',
    ]


def test_a_timeout_budget_allows_waits_up_to_the_deadline_then_expires():
    from workflow_local_cloud import timeouts

    arn = "arn:aws:states:us-east-1:123456789012:execution:budget:test"
    timeouts._budgets[arn] = timeouts.Budget(env=None, timeout_seconds=60.0, started=0.0)
    try:
        assert timeouts.take(arn, 20.0, now=10.0) == (20.0, None)  # 10 real + 20 simulated
        allowed, expired = timeouts.take(arn, 100.0, now=15.0)  # 15 real + 20 simulated: 25 left
    finally:
        timeouts._budgets.pop(arn)
    assert allowed == 25.0
    assert expired is not None
    assert timeouts.take("arn:aws:states:us-east-1:123456789012:execution:none:x", 5.0) == (5.0, None)


@pytest.mark.parametrize(
    ("error", "names", "decided"),
    [
        ("States.Runtime", ["States.ALL"], False),
        ("States.Runtime", ["States.Runtime"], False),
        ("States.DataLimitExceeded", ["States.ALL"], False),
        ("States.DataLimitExceeded", ["States.DataLimitExceeded"], None),
        ("SQS.QueueDoesNotExistException", ["States.ALL"], None),
    ],
)
def test_states_runtime_is_never_matched_and_data_limit_only_by_name(error, names, decided):
    from workflow_local_cloud.error_handling import matches

    assert matches(error, names) is decided


def test_a_states_all_entry_must_be_the_last():
    from workflow_local_cloud.error_handling import StatesAllNotLastError, check_states_all_last

    check_states_all_last("Retry", [["Lambda.Unknown"], ["States.ALL"]])
    with pytest.raises(StatesAllNotLastError, match=r"last entry of the Catch array; it is in entry 0 of 2"):
        check_states_all_last("Catch", [["States.ALL"], ["Lambda.Unknown"]])
