"""Reading a synthesized workflow for the contract tests (``tests/unit/*/test_contract.py``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from workflow_constructs.definition import iter_states, state_machines


def only_definition(template: Mapping[str, Any]) -> dict[str, Any]:
    """The ASL of the template's one state machine."""
    (definition,) = state_machines(template).values()
    return definition


def definition_by_prefix(template: Mapping[str, Any], logical_id_prefix: str) -> dict[str, Any]:
    """The ASL of the template's one state machine whose logical id starts with the prefix."""
    machines = state_machines(template)
    (definition,) = [d for logical_id, d in machines.items() if logical_id.startswith(logical_id_prefix)]
    return definition


def state_names(definition: Mapping[str, Any]) -> set[str]:
    return {ref.name for ref in iter_states(definition)}


def fail_errors(definition: Mapping[str, Any]) -> set[str]:
    """The Error of every Fail state that names one."""
    return {
        ref.state["Error"] for ref in iter_states(definition) if ref.type == "Fail" and "Error" in ref.state
    }


def caught_errors(definition: Mapping[str, Any]) -> set[str]:
    """Every error some Catch names."""
    return {
        error
        for ref in iter_states(definition)
        for catcher in ref.state.get("Catch", [])
        for error in catcher["ErrorEquals"]
    }


def metric_filter_patterns(template: Mapping[str, Any]) -> list[str]:
    return [
        r["Properties"]["FilterPattern"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Logs::MetricFilter"
    ]


def dashboard_bodies(template: Mapping[str, Any]) -> list[str]:
    return [
        json.dumps(r["Properties"]["DashboardBody"])
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
