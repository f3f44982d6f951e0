"""Compare two synthesized assemblies stack by stack."""

from __future__ import annotations

from pathlib import Path

from workflow_constructs.definition import DefinitionError

from workflow_review.assembly import CloudAssembly, Stack, load_assembly
from workflow_review.diff.model import AssemblyDiff, StackChange
from workflow_review.diff.resources import hazards, resource_changes, section_changes
from workflow_review.diff.state_machines import state_machine_changes


class DiffError(Exception):
    """The assemblies could not be compared (a definition that is not valid, for instance)."""


def diff_directories(old: str | Path, new: str | Path) -> AssemblyDiff:
    """Load both cloud assemblies and compare them (raises ``AssemblyError`` or :class:`DiffError`)."""
    return diff_assemblies(load_assembly(old), load_assembly(new))


def diff_assemblies(old: CloudAssembly, new: CloudAssembly) -> AssemblyDiff:
    """Every stack that differs; stacks in the new assembly's order, then removed ones."""
    changes: list[StackChange] = []
    unchanged: list[str] = []
    for name, stack in new.stacks.items():
        change = diff_stack(old.stacks.get(name), stack)
        if change.changed:
            changes.append(change)
        else:
            unchanged.append(name)
    changes.extend(diff_stack(stack, None) for name, stack in old.stacks.items() if name not in new.stacks)
    return AssemblyDiff(
        old=str(old.directory),
        new=str(new.directory),
        stacks=tuple(changes),
        unchanged_stacks=tuple(unchanged),
    )


def diff_stack(old: Stack | None, new: Stack | None) -> StackChange:
    """One stack before and after; ``None`` on the side where it does not exist."""
    either = new or old
    if either is None:
        raise ValueError("diff_stack needs a stack on at least one side")
    name = either.name
    old_template = old.template if old else {}
    new_template = new.template if new else {}
    old_resources = old.resources if old else {}
    new_resources = new.resources if new else {}
    resources = resource_changes(old_resources, new_resources)
    try:
        machines = state_machine_changes(old_template, new_template)
    except DefinitionError as error:
        raise DiffError(f"stack [{name}]: {error}") from error
    return StackChange(
        name,
        "removed" if new is None else "added" if old is None else "modified",
        resources=tuple(resources),
        hazards=tuple(hazards(old_resources, new_resources, resources)),
        state_machines=tuple(machines),
        sections=tuple(section_changes(old_template, new_template)) if old and new else (),
    )
