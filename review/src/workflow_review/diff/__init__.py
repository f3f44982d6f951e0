"""A readable diff of two synthesized cloud assemblies, made for code review.

``cdk diff`` shows a changed state machine as one escaped string; this shows which states were
added, removed or changed, field by field (``Retry[TransientError].MaxAttempts: 3 -> 6``), which
transitions moved, and warns loudly when a table, bucket, log group or key would be replaced or
deleted. Fully offline: it reads two ``cdk.out`` directories and nothing else.

Example::

    from workflow_review.diff import diff_directories, render_markdown

    print(render_markdown(diff_directories("base/cdk.out", "cdk.out")))

From a shell: ``workflow-review diff base/cdk.out cdk.out --format markdown``.
"""

from __future__ import annotations

from workflow_review.diff.cli import diff_command
from workflow_review.diff.compare import DiffError, diff_assemblies, diff_directories
from workflow_review.diff.model import AssemblyDiff
from workflow_review.diff.render import render_markdown, render_text
from workflow_review.diff.stateful import STATEFUL_RESOURCES

__all__ = [
    "STATEFUL_RESOURCES",
    "AssemblyDiff",
    "DiffError",
    "diff_assemblies",
    "diff_command",
    "diff_directories",
    "render_markdown",
    "render_text",
]
