"""What changed between two synthesized assemblies: plain, immutable records the renderers read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from workflow_review.asl import Transition
from workflow_review.diff.values import FieldChange

Kind = Literal["added", "removed", "modified"]
Severity = Literal["danger", "warning"]


@dataclass(frozen=True)
class ResourceChange:
    """A resource added, removed or modified; ``fields`` holds what changed in a modified one."""

    logical_id: str
    type: str
    kind: Kind
    fields: tuple[FieldChange, ...] = ()
    replaced_by: tuple[str, ...] = ()
    """The changed properties that make CloudFormation replace it (stateful types only, see ``stateful``)."""
    definition_changed: bool = False
    """A state machine whose definition changed (compared state by state in :class:`StateMachineChange`)."""


@dataclass(frozen=True)
class Hazard:
    """A change that loses data or orphans a resource: shown first, and loudly.

    ``danger``: data is lost (deleted, or replaced without being kept) or the deployment fails.
    ``warning``: the resource is kept but leaves CloudFormation's management, or is no longer kept.
    """

    logical_id: str
    type: str
    severity: Severity
    message: str


@dataclass(frozen=True)
class StateChange:
    """A state added, removed or modified (fields changed, or moved into another Map/Parallel)."""

    name: str
    type: str
    kind: Kind
    fields: tuple[FieldChange, ...] = ()
    old_scope: tuple[str, ...] = ()
    new_scope: tuple[str, ...] = ()
    """Enclosing Parallel/Map states, outermost first; differs from ``old_scope`` when the state moved."""

    @property
    def moved(self) -> bool:
        return self.kind == "modified" and self.old_scope != self.new_scope


@dataclass(frozen=True)
class Rerouted:
    """A transition whose trigger stayed but whose target moved: ``Charge card`` on ``next``, A -> B."""

    source: str
    trigger: str
    old_target: str
    new_target: str


@dataclass(frozen=True)
class StateMachineChange:
    """One state machine's definition compared state by state."""

    logical_id: str
    name: str
    kind: Kind
    state_count: int = 0
    """How many states the machine has (after the change; before it, for a removed machine)."""
    definition_fields: tuple[FieldChange, ...] = ()
    """Top-level definition fields (StartAt, TimeoutSeconds, Comment, QueryLanguage)."""
    states: tuple[StateChange, ...] = ()
    transitions_added: tuple[Transition, ...] = ()
    transitions_removed: tuple[Transition, ...] = ()
    rerouted: tuple[Rerouted, ...] = ()

    @property
    def definition_changed(self) -> bool:
        return bool(
            self.definition_fields
            or self.states
            or self.transitions_added
            or self.transitions_removed
            or self.rerouted
        )


@dataclass(frozen=True)
class SectionChange:
    """Parameters, Outputs, Conditions, ...: a template section's entries that changed."""

    section: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class StackChange:
    """One stack: what happens to its resources and state machines."""

    name: str
    kind: Kind
    resources: tuple[ResourceChange, ...] = ()
    hazards: tuple[Hazard, ...] = ()
    state_machines: tuple[StateMachineChange, ...] = ()
    sections: tuple[SectionChange, ...] = ()

    @property
    def changed(self) -> bool:
        return self.kind != "modified" or bool(
            self.resources or self.hazards or self.state_machines or self.sections
        )


@dataclass(frozen=True)
class AssemblyDiff:
    """Everything that differs between two assemblies (``old`` and ``new`` say where they were read)."""

    old: str
    new: str
    stacks: tuple[StackChange, ...]
    unchanged_stacks: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(self.stacks)

    @property
    def hazards(self) -> tuple[tuple[str, Hazard], ...]:
        """(stack name, hazard) for every stack, most severe first."""
        found = [(stack.name, hazard) for stack in self.stacks for hazard in stack.hazards]
        return tuple(sorted(found, key=lambda item: item[1].severity != "danger"))
