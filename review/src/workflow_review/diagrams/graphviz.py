"""A workflow graph as Graphviz DOT, and SVG/PNG images from it where Graphviz is installed.

Images are optional: nothing else here needs Graphviz. When ``dot`` is not on PATH
(Debian/Ubuntu: ``apt-get install graphviz``), :func:`render_images` writes the DOT source only and
says so. Map and Parallel states are clusters; an edge into or out of one points at the cluster's
boundary (``lhead``/``ltail``), like the Mermaid subgraphs.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workflow_review.diagrams.graph import Edge, Graph, Group, Node
from workflow_review.diagrams.mermaid import retry_label

IMAGE_FORMATS = ("svg", "png")
DOT_TIMEOUT_SECONDS = 60
_FONT = 'fontname="Helvetica"'
_NODE_STYLES = {
    "Choice": 'shape=diamond, style="filled", fillcolor="#fff8e1"',
    "Succeed": 'shape=box, style="rounded,filled", fillcolor="#e3f4e1", color="#2e7d32"',
    "Fail": 'shape=box, style="rounded,filled", fillcolor="#fbe3e1", color="#c62828"',
    "Wait": 'shape=hexagon, style="filled", fillcolor="#ffffff"',
    "Start": 'shape=circle, style="filled", fillcolor="#eeeeee", fontsize=9',
    "End": 'shape=doublecircle, style="filled", fillcolor="#eeeeee", fontsize=9',
}
_GROUP_STYLES = {
    "map": 'style="rounded,dashed", color="#1565c0"',
    "parallel": 'style="rounded", color="#6a1b9a"',
    "branch": 'style="rounded,dotted", color="#9e9e9e"',
}


def quote(text: str) -> str:
    """A DOT double-quoted string (backslashes and quotes escaped, newlines as ``\\n``)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _node(node: Node, indent: str) -> str:
    lines = [node.name, *node.details]
    if node.retries:
        lines.append(retry_label(node.retries))
    attributes = [f"label={quote(chr(10).join(lines))}"]
    attributes.append(_NODE_STYLES.get(node.type, 'shape=box, style="rounded,filled", fillcolor="#ffffff"'))
    if node.retries:
        attributes.append("penwidth=2.5")
    return f"{indent}{node.id} [{', '.join(attributes)}];"


def _group(group: Group, indent: str) -> list[str]:
    title = group.title + (f" {retry_label(group.retries)}" if group.retries else "")
    lines = [
        f"{indent}subgraph cluster_{group.id} {{",
        f"{indent}  graph [label={quote(title)}, {_GROUP_STYLES[group.kind]}];",
    ]
    for member in group.members:
        lines += (
            _group(member, indent + "  ") if isinstance(member, Group) else [_node(member, indent + "  ")]
        )
    lines.append(f"{indent}}}")
    return lines


def _edge(edge: Edge, groups: dict[str, Group]) -> str:
    attributes = []
    source, target = edge.source, edge.target
    if source in groups:
        source = groups[source].exit()
        attributes.append(f"ltail=cluster_{edge.source}")
    if target in groups:
        target = groups[target].entry()
        attributes.append(f"lhead=cluster_{edge.target}")
    if edge.kind == "catch":
        attributes.append('style=dashed, color="#c62828", fontcolor="#c62828"')
    if edge.label:
        attributes.append(f"label={quote(edge.label)}")
    suffix = f" [{', '.join(attributes)}]" if attributes else ""
    return f"  {source} -> {target}{suffix};"


def to_dot(graph: Graph) -> str:
    """The DOT source of a workflow graph."""
    lines = [
        f"digraph {quote(graph.name)} {{",
        f"  graph [{_FONT}, compound=true, rankdir=TB, labelloc=t, label={quote(graph.name)}];",
        f"  node [{_FONT}, fontsize=11];",
        f"  edge [{_FONT}, fontsize=9];",
    ]
    for member in graph.members:
        lines += _group(member, "  ") if isinstance(member, Group) else [_node(member, "  ")]
    groups = graph.groups()
    lines += [_edge(edge, groups) for edge in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ImageResult:
    """What :func:`render_images` wrote; ``skipped`` says why no image was drawn, if none was."""

    dot_file: Path
    images: tuple[Path, ...] = ()
    skipped: str | None = None


def render_images(
    graph: Graph, directory: Path, *, stem: str, formats: Sequence[str] = IMAGE_FORMATS
) -> ImageResult:
    """Write ``<stem>.dot`` and, when Graphviz's ``dot`` is installed, ``<stem>.svg``/``.png``."""
    directory.mkdir(parents=True, exist_ok=True)
    dot_file = directory / f"{stem}.dot"
    dot_file.write_text(to_dot(graph), encoding="utf-8")
    dot = shutil.which("dot")
    if dot is None:
        return ImageResult(dot_file, skipped="Graphviz `dot` is not installed (apt-get install graphviz)")
    images = []
    for image_format in formats:
        image = directory / f"{stem}.{image_format}"
        # dot is found on PATH by design: it is an optional system tool, not a pinned dependency.
        subprocess.run(  # noqa: S603
            [dot, f"-T{image_format}", "-o", str(image), str(dot_file)],
            check=True,
            capture_output=True,
            timeout=DOT_TIMEOUT_SECONDS,
        )
        images.append(image)
    return ImageResult(dot_file, images=tuple(images))
