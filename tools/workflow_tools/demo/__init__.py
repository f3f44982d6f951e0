"""``make demo``: deploy the app to a local cloud with the real CDK CLI and run each workflow's scenarios.

Scenarios are pluggable: each workflow team adds a module ``tools/workflow_tools/demo/<workflow>.py``
(underscores for dashes) that declares ``SCENARIOS``, with the inputs as JSON files under
``samples/<workflow>/``::

    # tools/workflow_tools/demo/billing.py
    from workflow_tools.demo import Scenario

    def pay(cloud, execution):
        cloud.complete_callback(execution, "Wait for the payment", {"paid": True})

    SCENARIOS = [
        Scenario(workflow="billing", title="An invoice is paid", sample="paid-invoice.json",
                 reason="invoice paid", during=pay),
        Scenario(workflow="billing", title="A card is declined", sample="declined-card.json",
                 reason="card declined", expect_status="FAILED", expect_error="PaymentDeclined"),
    ]

A scenario whose workflow the app does not deploy is reported as skipped, not failed. The driver
is ``python -m workflow_tools.demo`` (see ``workflow_tools.demo._runner``).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow_local_cloud import Execution, LocalCloudHarness

SAMPLES_DIR = Path(__file__).resolve().parents[3] / "samples"
"""``samples/<workflow>/<sample>.json``: the inputs of the scenarios."""

Hook = Callable[[LocalCloudHarness], None]
DuringHook = Callable[[LocalCloudHarness, Execution], None]
StartHook = Callable[[LocalCloudHarness], Execution]


@dataclass(frozen=True)
class Scenario:
    """One demo run of a workflow: its input, what should happen, and what to do while it runs.

    ``before`` runs before the execution starts (seed data); ``during`` runs right after it
    started (answer a callback, time one out: the harness waits for the step itself). ``start``
    replaces the start itself, for a run something else starts (a fired schedule): it returns the
    execution the scenario follows.
    """

    workflow: str
    title: str
    sample: str
    """File name under ``samples/<workflow>/``."""
    reason: str
    """Why the execution runs; becomes part of its name (``workflow_constructs.naming``)."""
    expect_status: str = "SUCCEEDED"
    expect_error: str | None = None
    before: Hook | None = None
    during: DuringHook | None = None
    timeout_seconds: float = 30.0
    start: StartHook | None = None

    def input(self) -> Any:
        """The execution input, read from ``samples/<workflow>/<sample>``."""
        return json.loads((SAMPLES_DIR / self.workflow / self.sample).read_text())


def scenarios() -> list[Scenario]:
    """Every scenario of every module of this package (modules starting with ``_`` are the driver's)."""
    found: list[Scenario] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if module.name.startswith("_"):
            continue
        declared = getattr(importlib.import_module(f"{__name__}.{module.name}"), "SCENARIOS", [])
        found += declared
    return found


__all__ = ["SAMPLES_DIR", "Scenario", "scenarios"]
