"""The CLI's names (workflow_cli.naming) are the construct library's (workflow_constructs.naming).

The CLI keeps its own copy of the stage and execution-name rules so that it installs without
aws-cdk-lib; these properties make sure, for any input, that the copy gives the same answers.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from workflow_cli import naming as cli
from workflow_constructs import naming as library

STAGE_LIKE = st.one_of(st.from_regex(r"[a-z][a-z0-9-]{0,17}", fullmatch=True), st.text(max_size=20))
NAMES = st.text(min_size=1, max_size=90)
MOMENTS = st.datetimes(timezones=st.just(UTC), min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))


def test_the_stage_variable_and_limits_are_the_librarys():
    assert cli.STAGE_ENV_VAR == library.STAGE_ENV_VAR
    assert cli.STAGE_MAX_LENGTH == library.STAGE_MAX_LENGTH
    assert cli.EXECUTION_NAME_MAX_LENGTH == library.EXECUTION_NAME_MAX_LENGTH


@given(STAGE_LIKE)
def test_a_stage_is_valid_for_the_cli_exactly_when_it_is_for_the_library(value):
    try:
        expected = library.parse_stage(value)
    except library.InvalidStageError:
        with pytest.raises(cli.InvalidStageError, match=r"Received: \["):
            cli.parse_stage(value)
    else:
        assert cli.parse_stage(value) == expected


@given(NAMES, st.sampled_from([None, "dev", "prod-eu"]))
def test_physical_and_logical_names_are_the_librarys(name, stage):
    assert cli.physical_name(name, stage) == library.physical_name(name, stage)
    assert cli.logical_name(name, stage) == library.logical_name(name, stage)


@given(NAMES, st.text(max_size=120), MOMENTS, st.from_regex(r"[0-9a-f]{8}", fullmatch=True))
def test_execution_names_are_the_librarys(workflow, reason, moment, unique_id):
    assert cli.execution_name(workflow, reason, now=moment, unique_id=unique_id) == library.execution_name(
        workflow, reason, now=moment, unique_id=unique_id
    )


def test_an_execution_name_without_a_moment_or_id_is_now_and_random():
    first, second = cli.execution_name("billing", "run"), cli.execution_name("billing", "run")
    assert first != second
    assert first.startswith(f"billing-run-{datetime.now(UTC):%Y%m%d}")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"now": datetime(2026, 1, 2)}, r"now must be timezone-aware .* Received: \[datetime"),
        ({"unique_id": "XYZ"}, r"unique_id must be 8 lowercase hex characters. Received: \[XYZ\]"),
    ],
)
def test_a_naive_moment_or_a_malformed_id_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cli.execution_name("billing", "run", **kwargs)
