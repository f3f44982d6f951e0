"""Medians, ratios and targets: the arithmetic of a benchmark run, kept pure so it is unit-tested.

Machines are noisy, and this one is shared: every number is the median of several runs, and the
numbers that carry a target are ratios against a baseline measured in the same run, interleaved
with it, so that load which slows one slows the other.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Status = Literal["met", "missed", "tracked", "skipped", "error"]
"""``tracked``: measured, no target; ``skipped``: not measurable yet (says why); ``error``: failed."""

TargetOf = Literal["median", "ratio"]


def median(samples: Sequence[float]) -> float:
    """The median of ``samples``; raises ValueError on none."""
    if not samples:
        raise ValueError("median of no samples")
    return float(statistics.median(samples))


def ratio(subject: Sequence[float], baseline: Sequence[float]) -> float:
    """median(subject) / median(baseline): how many baselines the subject costs."""
    base = median(baseline)
    if base <= 0:
        raise ValueError(f"baseline median must be positive. Received: [{base}]")
    return median(subject) / base


@dataclass(frozen=True)
class Target:
    """An upper bound on a result's median or on its ratio to the baseline (met when ``<= limit``)."""

    limit: float
    of: TargetOf = "median"

    def describe(self, unit: str) -> str:
        return f"ratio ≤ {self.limit:g}" if self.of == "ratio" else f"≤ {self.limit:g} {unit}"


@dataclass(frozen=True)
class Result:
    """One benchmark's samples and verdict. ``baseline`` is the key of the result it is compared to."""

    key: str
    title: str
    unit: str
    samples: tuple[float, ...] = ()
    baseline: str | None = None
    ratio: float | None = None
    target: Target | None = None
    note: str = ""
    error: str | None = None
    skipped: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return median(self.samples) if self.samples else None

    @property
    def status(self) -> Status:
        if self.error is not None:
            return "error"
        if self.skipped is not None or not self.samples:
            return "skipped"
        if self.target is None:
            return "tracked"
        value = self.ratio if self.target.of == "ratio" else self.median
        if value is None:
            return "error"
        return "met" if value <= self.target.limit else "missed"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "unit": self.unit,
            "samples": list(self.samples),
            "median": self.median,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "target": None if self.target is None else {"limit": self.target.limit, "of": self.target.of},
            "status": self.status,
            "note": self.note,
            "error": self.error,
            "skipped": self.skipped,
            "details": self.details,
        }


def compared(subject: Result, baseline: Result) -> Result:
    """``subject`` with its ratio to ``baseline`` filled in (None when either has no samples)."""
    if not subject.samples or not baseline.samples:
        return subject
    return replace(subject, baseline=baseline.key, ratio=ratio(subject.samples, baseline.samples))
