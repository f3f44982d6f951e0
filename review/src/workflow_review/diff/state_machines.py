"""State machine definitions compared state by state, instead of as one escaped string.

Definitions are reassembled by :mod:`workflow_constructs.definition`. States are matched by name
(Step Functions requires state names to be unique in a state machine, branches included), so a
state that moved into a Map or Parallel is one moved state, not a removal and an addition.
Retriers and catchers are matched by the errors they handle: ``Retry[TransientError].MaxAttempts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow_constructs.definition import StateRef, iter_states, state_machines

from workflow_review.asl import CONTAINER_KEYS, Transition, transitions
from workflow_review.assembly import machine_name
from workflow_review.diff.model import Rerouted, StateChange, StateMachineChange
from workflow_review.diff.values import KeyFunction, diff_values

STATE_LIST_KEYS: dict[str, KeyFunction] = {
    "Retry": lambda retrier: tuple(map(str, retrier.get("ErrorEquals", []))),
    "Catch": lambda catcher: tuple(map(str, catcher.get("ErrorEquals", []))),
}
"""Retriers and catchers are named by the errors they handle."""


def state_machine_changes(
    old_template: Mapping[str, Any], new_template: Mapping[str, Any]
) -> list[StateMachineChange]:
    """Every state machine added, removed or with a changed definition, in template order.

    Raises ``workflow_constructs.definition.DefinitionError`` for a definition that is not valid.
    """
    old = state_machines(old_template)
    new = state_machines(new_template)
    changes: list[StateMachineChange] = []
    for logical_id, definition in new.items():
        name = machine_name(new_template, logical_id)
        if logical_id in old:
            change = compare_definitions(logical_id, name, old[logical_id], definition)
            if change.definition_changed:
                changes.append(change)
        else:
            states = tuple(
                StateChange(ref.name, ref.type, "added", new_scope=ref.path)
                for ref in iter_states(definition)
            )
            changes.append(
                StateMachineChange(logical_id, name, "added", state_count=len(states), states=states)
            )
    for logical_id, definition in old.items():
        if logical_id not in new:
            count = sum(1 for _ in iter_states(definition))
            changes.append(
                StateMachineChange(
                    logical_id, machine_name(old_template, logical_id), "removed", state_count=count
                )
            )
    return changes


def compare_definitions(
    logical_id: str, name: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> StateMachineChange:
    """One state machine's definition before and after, compared state by state."""
    old_states = {ref.name: ref for ref in iter_states(old)}
    new_states = {ref.name: ref for ref in iter_states(new)}
    states: list[StateChange] = []
    for state_name, ref in new_states.items():
        before = old_states.get(state_name)
        if before is None:
            states.append(StateChange(state_name, ref.type, "added", new_scope=ref.path))
            continue
        fields = tuple(diff_values(_own_fields(before), _own_fields(ref), keys=STATE_LIST_KEYS))
        if fields or before.path != ref.path:
            states.append(
                StateChange(
                    state_name, ref.type, "modified", fields=fields, old_scope=before.path, new_scope=ref.path
                )
            )
    states.extend(
        StateChange(state_name, ref.type, "removed", old_scope=ref.path)
        for state_name, ref in old_states.items()
        if state_name not in new_states
    )
    added, removed, rerouted = _transition_changes(list(transitions(old)), list(transitions(new)))
    return StateMachineChange(
        logical_id,
        name,
        "modified",
        state_count=len(new_states),
        definition_fields=tuple(diff_values(_top_level(old), _top_level(new))),
        states=tuple(states),
        transitions_added=added,
        transitions_removed=removed,
        rerouted=rerouted,
    )


def _top_level(definition: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in definition.items() if key != "States"}


def _own_fields(ref: StateRef) -> dict[str, Any]:
    """A state without the states nested in it (those are compared on their own)."""
    own = dict(ref.state)
    for key in CONTAINER_KEYS:
        if key not in own:
            continue
        if key == "Branches":
            own[key] = [_without_states(branch) for branch in own[key]]
        else:
            own[key] = _without_states(own[key])
    return own


def _without_states(scope: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in scope.items() if key != "States"}


def _transition_changes(
    old: list[Transition], new: list[Transition]
) -> tuple[tuple[Transition, ...], tuple[Transition, ...], tuple[Rerouted, ...]]:
    old_by_key = {transition.key: transition for transition in old}
    new_by_key = {transition.key: transition for transition in new}
    added = tuple(t for t in new if t.key not in old_by_key)
    removed = tuple(t for t in old if t.key not in new_by_key)
    rerouted = tuple(
        Rerouted(t.source, t.trigger, old_by_key[t.key].target, t.target)
        for t in new
        if t.key in old_by_key and old_by_key[t.key].target != t.target
    )
    return added, removed, rerouted
