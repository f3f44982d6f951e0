"""Task tokens and personal data never reach a log line.

Each workflow runs its scenarios with personal data of its own (names, email addresses: the
profile's ``personal_fields``); then every line every Lambda function wrote in this session (these
runs, and every run of every test before) is searched for those values and for every task token
the runs waited on.
"""

from __future__ import annotations

import json

import pytest

from tests.reliability.malformed import exists, get, parse_path
from tests.reliability.test_duplicates import _callback_tokens


def test_no_log_line_holds_a_task_token_or_personal_data(profile):
    if profile.no_personal_data:
        assert not profile.personal_fields, f"{profile.workflow}: personal fields and no personal data?"
        pytest.skip(f"{profile.workflow}: {profile.no_personal_data}")
    harness = profile.harness
    # GIVEN every scenario of the workflow, run with its own personal data
    secrets: dict[str, str] = {}
    for scenario in profile.scenarios:
        run = profile.run(scenario)
        harness.clear_faults()
        for path in profile.personal_fields:
            if exists(run.request, parse_path(path)):
                secrets[str(get(run.request, parse_path(path)))] = f"{path} of [{scenario.name}]"
        for token in _callback_tokens(harness.history(run.execution)):
            secrets[token] = f"a task token of [{scenario.name}]"
    assert secrets, f"{profile.workflow}: nothing to look for (no personal fields, no callbacks)"

    # WHEN every Lambda log line of the session is read
    lines = harness.lambda_log_lines()

    # THEN none holds any of them (as written, or JSON-escaped inside a log document)
    leaks = [
        f"{secrets[secret]} in {line.function_name}: {line.message[:200]}"
        for line in lines
        for secret in secrets
        if secret in line.message or json.dumps(secret)[1:-1] in line.message
    ]
    assert leaks == []
