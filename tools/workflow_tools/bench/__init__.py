"""Benchmarks and the cost report: ``make bench`` and ``make cost``.

``python -m workflow_tools.bench`` measures, as medians of several interleaved runs:

- ``cdk synth`` of the full app through the real CLI, as a ratio of a one-state-machine app built
  the same way (``bench/baseline_app.py``; target ratio ≤ 1.3), and the peak memory of its
  process tree;
- ``python app.py`` (synth without the CLI) and import times of the construct library;
- ``make test`` (target ≤ 90 s on 2 cores) and the behaviour suite alone (target ≤ 30 s);
- each workflow's happy path on the local cloud with simulated time (target ≤ 1 s each).

Targets are reported as met or missed, never asserted in tests. Results: ``bench/results.json``.
See ``docs/performance.md`` for what the numbers mean and what profiling found.

``python -m workflow_tools.bench.cost`` runs each workflow's happy path on the local cloud and
prices it at list prices (``workflow_tools.bench.pricing``): ``bench/cost.json``, ``docs/cost.md``.
"""

from __future__ import annotations

from workflow_tools.bench.stats import Result, Target

__all__ = ["Result", "Target"]
