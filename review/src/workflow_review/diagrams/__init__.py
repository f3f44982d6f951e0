"""Diagrams of the workflows, drawn from their synthesized definitions.

A Mermaid flowchart per state machine (GitHub renders it in the page
``<out>/<state-machine-name>.md``, committed next to the code): Choice branches labelled with their
conditions, Map and Parallel states as subgraphs, Catch edges dashed, retried steps marked.
Graphviz SVG/PNG images too, where ``dot`` is installed.

Example::

    from workflow_review.diagrams import build_graph, to_mermaid

    print(to_mermaid(build_graph(definition, name="order-fulfilment")))

From a shell: ``workflow-review diagrams cdk.out --out docs/workflows`` (``--check`` to verify).
"""

from __future__ import annotations

from workflow_review.diagrams.cli import diagrams_command
from workflow_review.diagrams.graph import DiagramError, Graph, build_graph
from workflow_review.diagrams.graphviz import render_images, to_dot
from workflow_review.diagrams.mermaid import to_mermaid
from workflow_review.diagrams.pages import plan, problems, write

__all__ = [
    "DiagramError",
    "Graph",
    "build_graph",
    "diagrams_command",
    "plan",
    "problems",
    "render_images",
    "to_dot",
    "to_mermaid",
    "write",
]
