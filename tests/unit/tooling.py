"""Paths and helpers shared by the tooling tests (diff, diagrams)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ASSEMBLIES = Path(__file__).resolve().parents[1] / "fixtures" / "assemblies"
DEFINITIONS = Path(__file__).resolve().parents[1] / "fixtures" / "definitions"


def fixture_template(variant: str = "base") -> dict[str, Any]:
    """The Billing template of a fixture assembly, freshly read: a test may edit it."""
    return dict(json.loads((ASSEMBLIES / variant / "Billing.template.json").read_text()))
