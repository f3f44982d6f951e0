"""The benchmark arithmetic: medians, ratios against a baseline, and target verdicts."""

from __future__ import annotations

import pytest
from workflow_tools.bench.stats import Result, Target, compared, median, ratio


def test_median_of_odd_and_even_sample_counts():
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_median_of_no_samples_is_an_error():
    with pytest.raises(ValueError, match=r"^median of no samples$"):
        median([])


def test_ratio_compares_medians_so_one_outlier_does_not_move_it():
    # GIVEN a baseline and a subject, each with one run slowed down by a noisy neighbour
    baseline = [2.0, 2.0, 9.0]
    subject = [2.5, 30.0, 2.5]
    # THEN the ratio is that of the typical runs
    assert ratio(subject, baseline) == pytest.approx(1.25)


def test_ratio_against_a_zero_baseline_is_an_error():
    with pytest.raises(ValueError, match=r"^baseline median must be positive. Received: \[0.0\]$"):
        ratio([1.0], [0.0])


@pytest.mark.parametrize(
    ("samples", "target", "status"),
    [
        ((80.0, 100.0, 85.0), Target(90.0), "met"),
        ((95.0, 91.0, 99.0), Target(90.0), "missed"),
        ((90.0,), Target(90.0), "met"),  # the limit itself is within target
        ((1.0,), None, "tracked"),
        ((), Target(1.0), "skipped"),
    ],
)
def test_status_of_a_median_target(samples, target, status):
    assert Result(key="k", title="t", unit="s", samples=samples, target=target).status == status


def test_status_of_a_ratio_target_uses_the_ratio_not_the_median():
    # GIVEN a full app that is slow in absolute terms but close to its baseline
    baseline = Result(key="base", title="baseline", unit="s", samples=(10.0, 10.0, 10.0))
    full = Result(
        key="full", title="full", unit="s", samples=(12.0, 12.5, 12.0), target=Target(1.3, of="ratio")
    )
    # WHEN it is compared to the baseline
    result = compared(full, baseline)
    # THEN it carries the ratio and meets a ratio target of 1.3
    assert result.baseline == "base"
    assert result.ratio == pytest.approx(1.2)
    assert result.status == "met"
    assert compared(full, Result(key="base", title="b", unit="s", samples=(9.0,))).status == "missed"


def test_errors_and_skips_win_over_samples():
    assert Result(key="k", title="t", unit="s", samples=(1.0,), error="boom").status == "error"
    assert Result(key="k", title="t", unit="s", skipped="not yet").status == "skipped"


def test_comparing_with_a_baseline_without_samples_leaves_no_ratio():
    subject = Result(key="s", title="s", unit="s", samples=(1.0,))
    assert compared(subject, Result(key="b", title="b", unit="s")).ratio is None


def test_json_form_carries_samples_median_ratio_target_and_status():
    result = Result(key="k", title="t", unit="s", samples=(1.0, 3.0, 2.0), target=Target(2.5), note="n")
    assert result.to_json() == {
        "key": "k",
        "title": "t",
        "unit": "s",
        "samples": [1.0, 3.0, 2.0],
        "median": 2.0,
        "baseline": None,
        "ratio": None,
        "target": {"limit": 2.5, "of": "median"},
        "status": "met",
        "note": "n",
        "error": None,
        "skipped": None,
        "details": {},
    }
