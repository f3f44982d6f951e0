"""Property-based tests of the execution-name guarantees (hypothesis).

Every name is 1-80 characters of ``0-9A-Za-z-_``; it ends with the UTC stamp and the unique id,
exactly as given; only the reason is shortened, and it is the longest prefix that fits.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from workflow_constructs.naming import EXECUTION_NAME_MAX_LENGTH, execution_name, slugify

ALLOWED = re.compile(r"[0-9A-Za-z_-]+")
SUFFIX_LENGTH = len("-20260102T030405Z-0a1b2c3d")
ROOM = EXECUTION_NAME_MAX_LENGTH - SUFFIX_LENGTH - 1  # for "<workflow>-<reason>"

# Any text at all: control characters, emoji, right-to-left scripts, separators, only punctuation.
any_text = st.text(max_size=300)
# Names the Workflow construct accepts, short enough never to be shortened.
workflow_names = st.from_regex(r"[a-z][a-z0-9-]{0,50}[a-z0-9]", fullmatch=True).filter(
    lambda name: "--" not in name
)
moments = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]),
)
unique_ids = st.from_regex(r"[0-9a-f]{8}", fullmatch=True)


def _reason_part(name: str, workflow: str) -> str:
    return name[len(workflow) + 1 : -SUFFIX_LENGTH]


@given(workflow=any_text, reason=any_text, now=moments, unique_id=unique_ids)
def test_every_name_is_short_and_uses_only_allowed_characters(workflow, reason, now, unique_id):
    name = execution_name(workflow, reason, now=now, unique_id=unique_id)
    assert 1 <= len(name) <= EXECUTION_NAME_MAX_LENGTH
    assert ALLOWED.fullmatch(name)


@given(workflow=any_text, reason=any_text, now=moments, unique_id=unique_ids)
def test_stamp_and_unique_id_are_never_shortened(workflow, reason, now, unique_id):
    name = execution_name(workflow, reason, now=now, unique_id=unique_id)
    utc = now.astimezone(UTC)
    stamp = f"{utc.year:04d}{utc.month:02d}{utc.day:02d}T{utc:%H%M%S}Z"
    assert name.endswith(f"-{stamp}-{unique_id}")


@given(workflow=workflow_names, reason=any_text, now=moments, unique_id=unique_ids)
def test_workflow_name_leads_unchanged(workflow, reason, now, unique_id):
    name = execution_name(workflow, reason, now=now, unique_id=unique_id)
    assert name.startswith(f"{workflow}-")


@given(workflow=workflow_names, reason=any_text, now=moments, unique_id=unique_ids)
def test_reason_is_the_longest_prefix_of_its_slug_that_fits(workflow, reason, now, unique_id):
    # GIVEN any reason, WHEN named, THEN the reason part is its slug, cut only where the name must end
    name = execution_name(workflow, reason, now=now, unique_id=unique_id)
    slug = slugify(reason) or "unspecified"
    reason_part = _reason_part(name, workflow)
    fits = len(workflow) + 1 + len(slug) <= ROOM
    if fits:
        assert reason_part == slug
    else:
        assert reason_part == slug[: ROOM - len(workflow) - 1].rstrip("-_")
        assert reason_part  # never empty: a name always says why


@given(reason=any_text)
def test_the_reason_slug_is_never_empty_and_never_starts_or_ends_with_a_separator(reason):
    name = execution_name("billing", reason, now=datetime(2026, 1, 2, tzinfo=UTC), unique_id="00000000")
    reason_part = _reason_part(name, "billing")
    assert reason_part
    assert reason_part[0] not in "-_"
    assert reason_part[-1] not in "-_"


@given(workflow=any_text, reason=any_text, now=moments, unique_id=unique_ids)
def test_names_are_deterministic_given_the_moment_and_id(workflow, reason, now, unique_id):
    first = execution_name(workflow, reason, now=now, unique_id=unique_id)
    assert execution_name(workflow, reason, now=now, unique_id=unique_id) == first


@given(now=moments)
def test_without_a_unique_id_each_name_gets_its_own(now):
    names = {execution_name("billing", "run", now=now) for _ in range(20)}
    # 20 draws of 32 random bits: a collision here would mean the id is not random.
    assert len(names) == 20
