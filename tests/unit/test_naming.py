"""Readable state names and execution names."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from workflow_constructs.naming import execution_name, slugify, state_name_problem


@pytest.mark.parametrize("name", ["Send welcome email", "Record customer as ONBOARDING", "Step-2 of 3_x"])
def test_readable_names_pass(name):
    assert state_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "must be 1-80 characters long (has 0)"),
        ("x" * 81, "must be 1-80 characters long (has 81)"),
        (
            "Ask: why?",
            "may only contain letters, digits, spaces, '-' and '_', starting with a letter or digit",
        ),
        (
            " leading space",
            "may only contain letters, digits, spaces, '-' and '_', starting with a letter or digit",
        ),
        ("Task1", "is a placeholder, not a description of what the step does"),
        ("Lambda Invoke", "is a placeholder, not a description of what the step does"),
        ("step_3", "is a placeholder, not a description of what the step does"),
    ],
)
def test_unreadable_names_are_explained(name, problem):
    assert state_name_problem(name) == problem


def test_slugify_keeps_only_step_functions_name_characters():
    assert slugify("  Customer signed up: ACME Ltd. ") == "customer-signed-up-acme-ltd"
    assert slugify("√©∆") == ""


def test_execution_name_says_why_when_and_which():
    name = execution_name(
        "customer-onboarding",
        "Customer signed up",
        now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        unique_id="0a1b2c3d",
    )
    assert name == "customer-onboarding-customer-signed-up-20260102T030405Z-0a1b2c3d"


def test_execution_name_shortens_the_reason_never_the_stamp_or_id():
    name = execution_name("billing", "r" * 200, unique_id="deadbeef")
    assert len(name) == 80
    assert re.fullmatch(r"billing-r+-\d{8}T\d{6}Z-deadbeef", name)


def test_execution_name_rejects_a_malformed_unique_id():
    with pytest.raises(
        ValueError, match=r"^unique_id must be 8 lowercase hex characters. Received: \[XYZ\]$"
    ):
        execution_name("billing", "monthly run", unique_id="XYZ")


def test_execution_name_keeps_accented_reasons_readable():
    name = execution_name(
        "billing", "Réactivation demandée", now=datetime(2026, 1, 2, tzinfo=UTC), unique_id="00000000"
    )
    assert name == "billing-reactivation-demandee-20260102T000000Z-00000000"


def test_execution_name_rejects_a_naive_datetime():
    # GIVEN a datetime without a timezone (datetime.utcnow() style)
    # WHEN it is used as the moment of the run
    # THEN it is refused rather than silently read as the machine's local time
    with pytest.raises(ValueError, match=r"^now must be timezone-aware \(e.g. datetime.now\(UTC\)\)"):
        execution_name("billing", "monthly run", now=datetime(2026, 1, 2, 3, 4, 5))


def test_execution_name_writes_the_stamp_in_utc():
    # GIVEN a moment in UTC+02:00
    moment = datetime(2026, 1, 2, 1, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    # WHEN named
    name = execution_name("billing", "run", now=moment, unique_id="abcdef01")
    # THEN the stamp is the same instant in UTC, on the previous day
    assert name == "billing-run-20260101T230000Z-abcdef01"
