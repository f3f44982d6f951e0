"""The diff as Markdown (a pull-request comment, a CI job summary) or as plain text (a terminal).

Both say the same things in the same order: hazards first, then per stack the resources, then per
state machine the states added, removed and changed (field by field) and the transitions that moved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from workflow_review.asl import Transition
from workflow_review.diff.model import (
    AssemblyDiff,
    Hazard,
    Rerouted,
    ResourceChange,
    StackChange,
    StateChange,
    StateMachineChange,
)
from workflow_review.diff.values import MISSING, FieldChange, show

DEFAULT_TITLE = "Synthesized diff"
COMMENT_MARKER = "<!-- workflow-tools:diff -->"
"""First line of the Markdown: lets CI find and update its own pull-request comment."""

# Symbols, not ASCII signs: they stand out in a pull-request comment, and a "+" or "-" at the start
# of a Markdown line would start a list.
_MD_KIND = {"added": "➕", "removed": "➖", "modified": "✏️"}  # noqa: RUF001
_TEXT_KIND = {"added": "+", "removed": "-", "modified": "~"}
_MD_ALERT = {"danger": "CAUTION", "warning": "WARNING"}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _summary(diff: AssemblyDiff) -> str:
    summary = f"{_plural(len(diff.stacks), 'stack')} changed"
    if diff.unchanged_stacks:
        summary += f", {len(diff.unchanged_stacks)} unchanged ({', '.join(diff.unchanged_stacks)})"
    return summary


def _resource_counts(resources: Sequence[ResourceChange]) -> str:
    counts = [
        f"{sum(1 for r in resources if r.kind == kind)} {kind}"
        for kind in ("added", "modified", "removed")
        if any(r.kind == kind for r in resources)
    ]
    return ", ".join(counts)


def _what_changed(change: ResourceChange) -> list[str]:
    """The top-level fields of a modified resource that changed, definition last."""
    tops = list(dict.fromkeys(field.top for field in change.fields))
    if change.definition_changed:
        tops.append("definition")
    return tops


def _scope(scope: Sequence[str]) -> str:
    return " > ".join(scope) if scope else "top level"


def _transition_source(transition: Transition | Rerouted) -> str:
    if isinstance(transition, Transition) and transition.kind == "start":
        return f"start of {transition.source}" if transition.source else "start of the state machine"
    return transition.source


def _state_note(state: StateChange) -> str:
    if state.kind == "added" and state.new_scope:
        return f" in {_scope(state.new_scope)}"
    if state.kind == "removed" and state.old_scope:
        return f" from {_scope(state.old_scope)}"
    if state.moved:
        return f", moved from {_scope(state.old_scope)} to {_scope(state.new_scope)}"
    return ""


# Markdown ---------------------------------------------------------------------------------------


def code(text: str, *, in_table: bool = False) -> str:
    """``text`` as an inline code span that survives backticks (and pipes, inside a table cell)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    span = f"{fence}{padded}{fence}"
    return span.replace("|", "\\|") if in_table else span


def _md_value(value: object) -> str:
    return "*(absent)*" if value is MISSING else code(show(value), in_table=True)


def _md_fields(fields: Iterable[FieldChange], indent: str = "") -> list[str]:
    lines = [f"{indent}| Field | Before | After |", f"{indent}|---|---|---|"]
    lines.extend(
        f"{indent}| {code(field.path, in_table=True)} | {_md_value(field.old)} | {_md_value(field.new)} |"
        for field in fields
    )
    return lines


def _md_hazards(diff: AssemblyDiff) -> list[str]:
    lines: list[str] = []
    for severity in ("danger", "warning"):
        found: list[tuple[str, Hazard]] = [(s, h) for s, h in diff.hazards if h.severity == severity]
        if not found:
            continue
        lines.append(f"> [!{_MD_ALERT[severity]}]")
        for stack, hazard in found:
            lines.append(
                f"> - **{stack} / {code(hazard.logical_id)}** ({code(hazard.type)}): {hazard.message}"
            )
        lines.append("")
    return lines


def _md_resources(stack: StackChange) -> list[str]:
    if not stack.resources:
        return []
    lines = [
        f"**Resources:** {_resource_counts(stack.resources)}",
        "",
        "| | Resource | Type | Changed |",
        "|---|---|---|---|",
    ]
    for change in stack.resources:
        changed = ", ".join(code(top, in_table=True) for top in _what_changed(change))
        if change.replaced_by:
            changed += f" — **replaced** ({', '.join(change.replaced_by)})"
        lines.append(
            f"| {_MD_KIND[change.kind]} {change.kind} | {code(change.logical_id, in_table=True)} "
            f"| {code(change.type, in_table=True)} | {changed} |"
        )
    detailed = [change for change in stack.resources if change.fields]
    if detailed or stack.sections:
        lines += ["", "<details><summary>Property changes</summary>", ""]
        for change in detailed:
            lines += [f"{code(change.logical_id)} ({change.type})", "", *_md_fields(change.fields), ""]
        for section in stack.sections:
            lines += [f"Template section {code(section.section)}", "", *_md_fields(section.fields), ""]
        lines += ["</details>"]
    lines.append("")
    return lines


def _md_transition(transition: Transition) -> str:
    return f"{code(_transition_source(transition))} on {transition.trigger} → {code(transition.target)}"


def _md_state_machine(machine: StateMachineChange) -> list[str]:
    heading = f"#### State machine {code(machine.name)} ({machine.kind})"
    if machine.kind == "removed":
        return [heading, "", f"Removed, with its {_plural(machine.state_count, 'state')}.", ""]
    if machine.kind == "added":
        names = ", ".join(f"{code(state.name)} ({state.type})" for state in machine.states)
        return [heading, "", f"New, with {_plural(machine.state_count, 'state')}: {names}.", ""]
    lines = [heading, ""]
    for field in machine.definition_fields:
        lines.append(f"- {code(field.path)}: {_md_value(field.old)} → {_md_value(field.new)}")
    if machine.definition_fields:
        lines.append("")
    if machine.states:
        lines += ["**States**", ""]
        for state in machine.states:
            lines.append(
                f"- {_MD_KIND[state.kind]} **{state.name}** ({state.type}) {state.kind}{_state_note(state)}"
            )
            if state.fields:
                lines += ["", *_md_fields(state.fields, indent="  "), ""]
        lines.append("")
    if machine.rerouted or machine.transitions_added or machine.transitions_removed:
        lines += ["**Transitions**", ""]
        lines += [
            f"- ↪️ rerouted: {code(_transition_source(r))} on {r.trigger}: "
            f"{code(r.old_target)} → {code(r.new_target)}"
            for r in machine.rerouted
        ]
        lines += [f"- {_MD_KIND['added']} added: {_md_transition(t)}" for t in machine.transitions_added]
        lines += [
            f"- {_MD_KIND['removed']} removed: {_md_transition(t)}" for t in machine.transitions_removed
        ]
        lines.append("")
    return lines


def render_markdown(diff: AssemblyDiff, *, title: str = DEFAULT_TITLE) -> str:
    """The diff as GitHub-flavoured Markdown, fit for a pull-request comment or a job summary."""
    lines = [COMMENT_MARKER, f"## {title}", ""]
    if not diff.has_changes:
        lines += [f"No changes: every stack synthesizes to the same template ({code(diff.new)}).", ""]
        return "\n".join(lines)
    lines += [f"{_summary(diff)}. Before: {code(diff.old)}, after: {code(diff.new)}.", ""]
    lines += _md_hazards(diff)
    for stack in diff.stacks:
        lines += [f"### Stack {code(stack.name)} ({stack.kind})", ""]
        lines += _md_resources(stack)
        for machine in stack.state_machines:
            lines += _md_state_machine(machine)
    return "\n".join(lines).rstrip("\n") + "\n"


# Plain text -------------------------------------------------------------------------------------


def _text_field(field: FieldChange) -> str:
    if field.kind == "added":
        return f"{field.path}: added {show(field.new)}"
    if field.kind == "removed":
        return f"{field.path}: removed {show(field.old)}"
    return f"{field.path}: {show(field.old)} -> {show(field.new)}"


def _text_transition(transition: Transition) -> str:
    return f"{_transition_source(transition)} on {transition.trigger} -> {transition.target}"


def _text_state_machine(machine: StateMachineChange) -> list[str]:
    lines = [f"  State machine {machine.name} ({machine.kind}, {machine.logical_id})"]
    if machine.kind == "removed":
        return [*lines, f"    removed, with its {_plural(machine.state_count, 'state')}"]
    if machine.kind == "added":
        lines.append(f"    new, with {_plural(machine.state_count, 'state')}:")
        return lines + [f"    + {state.name} ({state.type}){_state_note(state)}" for state in machine.states]
    lines += [f"    {_text_field(field)}" for field in machine.definition_fields]
    for state in machine.states:
        lines.append(f"    {_TEXT_KIND[state.kind]} {state.name} ({state.type}){_state_note(state)}")
        lines += [f"        {_text_field(field)}" for field in state.fields]
    if machine.rerouted or machine.transitions_added or machine.transitions_removed:
        lines.append("    Transitions")
        lines += [
            f"      ~ {_transition_source(r)} on {r.trigger}: {r.old_target} -> {r.new_target}"
            for r in machine.rerouted
        ]
        lines += [f"      + {_text_transition(t)}" for t in machine.transitions_added]
        lines += [f"      - {_text_transition(t)}" for t in machine.transitions_removed]
    return lines


def render_text(diff: AssemblyDiff, *, title: str = DEFAULT_TITLE) -> str:
    """The diff as plain text for a terminal."""
    lines = [f"{title}: {diff.old} -> {diff.new}"]
    if not diff.has_changes:
        return "\n".join([*lines, "No changes: every stack synthesizes to the same template."]) + "\n"
    lines += [_summary(diff), ""]
    for stack_name, hazard in diff.hazards:
        label = "!! DANGER " if hazard.severity == "danger" else "!  WARNING"
        lines.append(f"{label} {stack_name}/{hazard.logical_id} ({hazard.type}): {hazard.message}")
    if diff.hazards:
        lines.append("")
    for stack in diff.stacks:
        lines.append(f"Stack {stack.name} ({stack.kind})")
        if stack.resources:
            lines.append(f"  Resources: {_resource_counts(stack.resources)}")
            width = max(len(change.logical_id) for change in stack.resources)
            for change in stack.resources:
                line = f"    {_TEXT_KIND[change.kind]} {change.logical_id:<{width}}  {change.type}"
                if change.replaced_by:
                    line += f"  [REPLACED: {', '.join(change.replaced_by)}]"
                if change.definition_changed:
                    line += "  [definition: see below]"
                lines.append(line)
                lines += [f"        {_text_field(field)}" for field in change.fields]
        for section in stack.sections:
            lines.append(f"  {section.section}")
            lines += [f"    {_text_field(field)}" for field in section.fields]
        for machine in stack.state_machines:
            lines += _text_state_machine(machine)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
