"""A workflow graph as a Mermaid flowchart, which GitHub renders inside Markdown.

Shapes follow the Step Functions console: Tasks are boxes, Choices diamonds, Succeed and Fail
rounded and coloured; Map and Parallel states are subgraphs around what they run. Catch edges are
dashed and labelled with the errors they catch; a retried step carries ``↻`` and a thicker border.
All nodes are declared before any edge: Mermaid puts a node in the subgraph where it first appears.
"""

from __future__ import annotations

from workflow_review.diagrams.graph import Edge, Graph, Group, Node

RETRY_MARK = "↻"
INDENT = "    "

_SHAPES = {
    "Choice": ('{"', '"}'),
    "Succeed": ('(["', '"])'),
    "Fail": ('(["', '"])'),
    "Pass": ('("', '")'),
    "Wait": ('{{"', '"}}'),
    "Start": ('(("', '"))'),
    "End": ('(("', '"))'),
}
_DEFAULT_SHAPE = ('["', '"]')
_ARROWS = {"catch": "-.->"}
_CLASSES = {
    "retried": "stroke-width:3px",
    "succeed": "fill:#e3f4e1,stroke:#2e7d32",
    "fail": "fill:#fbe3e1,stroke:#c62828",
    "marker": "fill:#eeeeee,stroke:#757575",
}


def escape(text: str) -> str:
    """Text safe inside a quoted Mermaid label: entity codes for ``#``, quotes, ``<``, ``>`` and ``|``."""
    text = text.replace("#", "#35;")
    for character, code in (('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("|", "#124;")):
        text = text.replace(character, code)
    return text


def retry_label(retries: int) -> str:
    return f"{RETRY_MARK} up to {retries} {'retry' if retries == 1 else 'retries'}"


def _label(node: Node) -> str:
    lines = [node.name, *node.details]
    if node.retries:
        lines.append(retry_label(node.retries))
    return "<br/>".join(escape(line) for line in lines)


def _node(node: Node, indent: str) -> str:
    opening, closing = _SHAPES.get(node.type, _DEFAULT_SHAPE)
    return f"{indent}{node.id}{opening}{_label(node)}{closing}"


def _group(group: Group, indent: str) -> list[str]:
    title = group.title + (f" {retry_label(group.retries)}" if group.retries else "")
    lines = [f'{indent}subgraph {group.id} ["{escape(title)}"]']
    for member in group.members:
        lines += _member(member, indent + INDENT)
    lines.append(f"{indent}end")
    return lines


def _member(member: Node | Group, indent: str) -> list[str]:
    return _group(member, indent) if isinstance(member, Group) else [_node(member, indent)]


def _edge(edge: Edge) -> str:
    arrow = _ARROWS.get(edge.kind, "-->")
    label = f'|"{escape(edge.label)}"|' if edge.label else ""
    return f"{INDENT}{edge.source} {arrow}{label} {edge.target}"


def to_mermaid(graph: Graph) -> str:
    """The Mermaid source (without the surrounding code fence)."""
    lines = ["flowchart TD"]
    for member in graph.members:
        lines += _member(member, INDENT)
    lines += [_edge(edge) for edge in graph.edges]
    members = {
        "retried": [n.id for n in graph.nodes() if n.retries],
        "succeed": [n.id for n in graph.nodes() if n.type == "Succeed"],
        "fail": [n.id for n in graph.nodes() if n.type == "Fail"],
        "marker": [n.id for n in graph.nodes() if n.is_marker],
    }
    for name, style in _CLASSES.items():
        if members[name]:
            lines.append(f"{INDENT}classDef {name} {style}")
            lines.append(f"{INDENT}class {','.join(members[name])} {name}")
    return "\n".join(lines) + "\n"
