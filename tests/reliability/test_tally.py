"""The tally behind the reliability report, and the malformed-request strategies: pure, no cloud."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reliability.malformed import malformed_request, parse_path, render_path, single_corruptions
from tests.reliability.tally import README_END, README_START, Tally, Verdict, replace_readme_block

PROFILE = SimpleNamespace(
    required=("correlationId", "order", "order.id"),
    bounded_strings=("order.note",),
    identifiers=("order.id",),
    amounts=("order.lines[0].quantity",),
    any_scalar=("order.options.*",),
    strips_whitespace=False,
)
VALID = {
    "correlationId": "c-1",
    "order": {"id": "o-1", "note": "hi", "lines": [{"quantity": 2}], "options": {"gift": True}},
}


def test_counts_come_from_what_was_recorded():
    # GIVEN a clean attempt, a faulty one and a repaired one
    tally = Tally()
    tally.record("inputs", "billing", Verdict())
    tally.record("faults", "billing", Verdict(lost=["stuck"], doubled=["two emails"]), repaired=True)
    tally.record("faults", "onboarding", Verdict(side_effects=["a record", "an object"]), attempts=3)

    # THEN the totals add them up, per category and per workflow
    totals = tally.totals()
    assert (totals["inputs"].tried, totals["faults"].tried) == (1, 4)
    assert (totals["faults"].side_effects, totals["faults"].lost, totals["faults"].doubled) == (2, 1, 1)
    assert totals["faults"].repaired == 1
    assert totals["forged"].tried == 0
    assert tally.workflows() == ["billing", "onboarding"]
    assert tally.lines()[1].startswith("Faults injected:")
    assert "| Faults injected | 4 | 2 | 1 | 1 |" in tally.markdown()


def test_an_unknown_category_is_refused():
    with pytest.raises(ValueError, match=r"category must be one of .* Received: \[typos\]"):
        Tally().record("typos", "billing", Verdict())


def test_the_readme_block_is_replaced_between_its_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n{README_START}\nold\n{README_END}\n\nafter\n")

    assert replace_readme_block(readme, "| new |") is True
    assert readme.read_text() == f"# Title\n\n{README_START}\n| new |\n{README_END}\n\nafter\n"
    (tmp_path / "OTHER.md").write_text("no markers")
    assert replace_readme_block(tmp_path / "OTHER.md", "x") is False


def test_paths_render_as_they_parse():
    assert parse_path("order.lines[0].quantity") == ("order", "lines", 0, "quantity")
    assert render_path(("order", "lines", 0, "quantity")) == "order.lines[0].quantity"


@settings(max_examples=200, deadline=None, database=None)
@given(case=malformed_request(VALID, PROFILE))
def test_every_drawn_request_differs_from_the_valid_one_and_stays_json(case):
    done, request = case
    assert done
    assert request != VALID
    json.dumps(request)  # always a JSON document


def test_the_single_corruptions_touch_each_named_field_once_per_kind():
    labels = [label for (label,), _ in single_corruptions(VALID, PROFILE)]
    assert "order.id removed" in labels
    assert "order.note = 5000 characters" in labels
    assert "order.lines[0].quantity = -1" in labels
    assert "order.id = 'o-1\\n'" in labels
    assert labels[-1] == "the request is a list"
    assert all(request != VALID for _, request in single_corruptions(VALID, PROFILE))


@given(st.sampled_from(["x", 1, True]))
def test_any_scalar_fields_only_take_containers_as_the_wrong_type(value):
    from tests.reliability.malformed import _other_types

    assert all(isinstance(v, (list, dict)) for v in _other_types(value, any_scalar=True))
