"""A state machine definition as a graph to draw: nodes, groups (Map, Parallel) and labelled edges.

One model, two renderers (Mermaid for GitHub, Graphviz for images), so both draw the same thing:
every state is a node or, for Map and Parallel, a group around the states it runs; every scope
(the state machine, a Map's item processor, a Parallel branch) has a start and an end marker;
Choice branches carry their condition, Catch edges the errors they catch; retried steps are marked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from workflow_constructs.definition import iter_states
from workflow_constructs.naming import slugify

from workflow_review.asl import (
    describe_condition,
    errors_label,
    integration,
    max_retries,
    timeout_label,
    wait_label,
)


class DiagramError(Exception):
    """A definition or the files around it cannot be turned into diagrams; the message says why."""


EdgeKind = Literal["start", "next", "choice", "default", "catch", "end"]
GroupKind = Literal["map", "parallel", "branch"]
MarkerKind = Literal["start", "end"]


@dataclass(frozen=True)
class Node:
    """A state (``type`` is its ASL type) or a start/end marker (``type`` is ``Start``/``End``)."""

    id: str
    name: str
    type: str
    details: tuple[str, ...] = ()
    """Short lines under the name: the integration a Task calls, how long a Wait waits, a Fail's error."""
    retries: int = 0
    """The most retries any of the state's retriers allows; 0 when it does not retry."""

    @property
    def is_marker(self) -> bool:
        return self.type in ("Start", "End")


@dataclass
class Group:
    """A Map (its item processor), a Parallel (its branches) or one Parallel branch."""

    id: str
    title: str
    kind: GroupKind
    members: list[Node | Group] = field(default_factory=list)
    start: str | None = None
    """Id of the start marker (Map and branch; a Parallel starts in each branch)."""
    end: str | None = None
    retries: int = 0

    def entry(self) -> str:
        """A node inside the group that an edge into the group can point at."""
        return self.start or _first_group(self).entry()

    def exit(self) -> str:
        """A node inside the group that an edge out of the group can leave from."""
        return self.end or _first_group(self).exit()


def _first_group(group: Group) -> Group:
    return next(member for member in group.members if isinstance(member, Group))


@dataclass(frozen=True)
class Edge:
    """A transition; ``source`` and ``target`` are node or group ids."""

    source: str
    target: str
    kind: EdgeKind
    label: str | None = None


@dataclass
class Graph:
    """A whole state machine, ready to render."""

    name: str
    members: list[Node | Group]
    edges: list[Edge]
    comment: str | None = None

    def walk(self) -> Iterator[Node | Group]:
        """Every node and group, depth first, in definition order."""
        yield from _walk(self.members)

    def nodes(self) -> Iterator[Node]:
        return (member for member in self.walk() if isinstance(member, Node))

    def groups(self) -> dict[str, Group]:
        return {member.id: member for member in self.walk() if isinstance(member, Group)}


def _walk(members: list[Node | Group]) -> Iterator[Node | Group]:
    for member in members:
        yield member
        if isinstance(member, Group):
            yield from _walk(member.members)


class _Ids:
    """Stable, unique ids that every renderer accepts (letters, digits, underscores).

    Namespaces cannot collide: states ``s_``, Parallel branches ``b_``, start/end markers ``m_``.
    """

    def __init__(self, resource_types: Mapping[str, str]) -> None:
        self._taken: set[str] = set()
        self.states: dict[str, str] = {}
        self.resource_types = resource_types

    def state(self, name: Any, *, referenced_by: str) -> str:
        """The id of state ``name``, which ``referenced_by`` leads to."""
        try:
            return self.states[str(name)]
        except KeyError:
            raise DiagramError(f"[{referenced_by}] leads to a state that does not exist: [{name}]") from None

    def unique(self, prefix: str, text: str) -> str:
        base = f"{prefix}_{slugify(text).replace('-', '_') or 'state'}"
        candidate, count = base, 1
        while candidate in self._taken:
            count += 1
            candidate = f"{base}_{count}"
        self._taken.add(candidate)
        return candidate


def build_graph(
    definition: Mapping[str, Any], *, name: str, resource_types: Mapping[str, str] | None = None
) -> Graph:
    """The graph of a definition as :func:`workflow_constructs.definition.render_definition` returns it.

    ``resource_types`` (logical id to type, from the template) tells a Lambda Task that names its
    function directly from other Tasks.
    """
    ids = _Ids(resource_types or {})
    for ref in iter_states(definition):  # ids in definition order, before any edge refers to them
        ids.states[ref.name] = ids.unique("s", ref.name)
    edges: list[Edge] = []
    members = _scope(definition, ids, edges, owner="", title="Start", end_title="End")
    comment = definition.get("Comment")
    return Graph(name=name, members=members, edges=edges, comment=str(comment) if comment else None)


def _scope(
    scope: Mapping[str, Any], ids: _Ids, edges: list[Edge], *, owner: str, title: str, end_title: str
) -> list[Node | Group]:
    """The members of one scope (state machine, Map item processor, Parallel branch), with its edges."""
    start = Node(ids.unique("m", f"{owner} start"), title, "Start")
    end = Node(ids.unique("m", f"{owner} end"), end_title, "End")
    members: list[Node | Group] = [start]
    if "StartAt" in scope:
        edges.append(Edge(start.id, ids.state(scope["StartAt"], referenced_by="StartAt"), "start"))
    for state_name, state in scope.get("States", {}).items():
        state_id = ids.states[state_name]
        members.append(_member(state_name, state, state_id, ids, edges))
        edges.extend(_edges(state_name, state, state_id, ids, end.id))
    members.append(end)
    return members


def _member(name: str, state: Mapping[str, Any], state_id: str, ids: _Ids, edges: list[Edge]) -> Node | Group:
    state_type = str(state.get("Type", ""))
    retries = max_retries(state)
    if state_type == "Map":
        processor = state.get("ItemProcessor") or state.get("Iterator") or {}
        concurrency = state.get("MaxConcurrency")
        title = f"{name} (Map{f', {concurrency} at a time' if concurrency else ''})"
        group = Group(state_id, title, "map", retries=retries)
        group.members = _scope(processor, ids, edges, owner=state_id, title="start", end_title="end")
        group.start, group.end = group.members[0].id, group.members[-1].id
        return group
    if state_type == "Parallel":
        group = Group(state_id, f"{name} (Parallel)", "parallel", retries=retries)
        for index, branch in enumerate(state.get("Branches", [])):
            branch_group = Group(ids.unique("b", f"{state_id} {index + 1}"), f"Branch {index + 1}", "branch")
            branch_group.members = _scope(
                branch, ids, edges, owner=branch_group.id, title="start", end_title="end"
            )
            branch_group.start, branch_group.end = branch_group.members[0].id, branch_group.members[-1].id
            group.members.append(branch_group)
        return group
    details = _details(state_type, state, ids.resource_types)
    return Node(state_id, name, state_type, details=details, retries=retries)


def _details(state_type: str, state: Mapping[str, Any], resource_types: Mapping[str, str]) -> tuple[str, ...]:
    details: list[str | None] = []
    if state_type == "Task":
        details += [integration(state.get("Resource"), resource_types), timeout_label(state)]
    elif state_type == "Wait":
        details.append(wait_label(state))
    elif state_type == "Fail":
        error = state.get("Error") or state.get("ErrorPath")
        details.append(f"error {error}" if error else None)
    return tuple(detail for detail in details if detail)


def _edges(name: str, state: Mapping[str, Any], state_id: str, ids: _Ids, end_id: str) -> Iterator[Edge]:
    if "Next" in state:
        yield Edge(state_id, ids.state(state["Next"], referenced_by=name), "next")
    if state.get("End") is True or state.get("Type") == "Succeed":
        yield Edge(state_id, end_id, "end")
    for rule in state.get("Choices", []):
        label = str(rule["Comment"]) if rule.get("Comment") else describe_condition(rule)
        yield Edge(state_id, ids.state(rule.get("Next"), referenced_by=name), "choice", label)
    if "Default" in state:
        yield Edge(state_id, ids.state(state["Default"], referenced_by=name), "default", "otherwise")
    for catcher in state.get("Catch", []):
        errors = errors_label(catcher.get("ErrorEquals", []))
        yield Edge(state_id, ids.state(catcher.get("Next"), referenced_by=name), "catch", errors)
