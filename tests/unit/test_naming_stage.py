"""The stage rule: which stages are valid, and what they make of a name (``naming.physical_name``)."""

from __future__ import annotations

import pytest
from workflow_constructs.naming import (
    STAGE_MAX_LENGTH,
    InvalidStageError,
    logical_name,
    parse_stage,
    physical_name,
)


@pytest.mark.parametrize("stage", ["dev", "prod", "staging", "a", "pr-1234", "x" * STAGE_MAX_LENGTH, "s3"])
def test_valid_stages_prefix_the_name(stage):
    assert parse_stage(stage) == stage
    assert physical_name("billing", stage) == f"{stage}-billing"


@pytest.mark.parametrize("no_stage", [None, ""])
def test_no_stage_leaves_every_name_as_it_is_today(no_stage):
    assert parse_stage(no_stage) is None
    assert physical_name("customer-onboarding", no_stage) == "customer-onboarding"
    assert physical_name("CustomerOnboarding", no_stage) == "CustomerOnboarding"


@pytest.mark.parametrize(
    "stage",
    [
        "Dev",  # dashboards and stack names would take it, workflow names are lowercase
        "1dev",  # stack names must start with a letter
        "-dev",
        "dev-",  # would read as "dev--billing"
        "dev_1",  # '_' is not allowed in stack names
        "dev.1",
        "dev 1",
        "dév",
        "x" * (STAGE_MAX_LENGTH + 1),
        7,
    ],
)
def test_invalid_stages_fail_with_a_named_error_echoing_the_value(stage):
    with pytest.raises(InvalidStageError) as raised:
        parse_stage(stage)
    assert str(raised.value).startswith(f"stage must be 1-{STAGE_MAX_LENGTH} characters of lowercase")
    assert str(raised.value).endswith(f"Received: [{stage}]")
    with pytest.raises(InvalidStageError):
        physical_name("billing", stage)  # type: ignore[arg-type]


def test_the_longest_stage_leaves_room_for_the_tightest_name():
    # GIVEN the tightest limit: an SES template name (64), the longest being onboarding's welcome
    longest = physical_name("customer-onboarding-welcome", "x" * STAGE_MAX_LENGTH)
    # THEN it fits, as the longest state machine does within 80
    assert len(longest) <= 64
    assert len(physical_name("bulk-user-provisioning", "x" * STAGE_MAX_LENGTH)) <= 80


def test_logical_name_undoes_the_prefix_and_rejects_other_stages():
    assert logical_name(physical_name("billing", "dev"), "dev") == "billing"
    assert logical_name("prod-billing", "dev") is None
    assert logical_name("dev-", "dev") is None
    # Without a stage every name is its own: the tooling sees every machine, as today
    assert logical_name("dev-billing", None) == "dev-billing"
