"""Review tools for synthesized CDK cloud assemblies: a readable diff and state machine diagrams.

Reads any ``cdk.out`` directory from disk; calls neither AWS nor the CDK CLI. The two commands are
``workflow-review diff BASE_ASSEMBLY HEAD_ASSEMBLY`` and ``workflow-review diagrams ASSEMBLY --out DIR``;
the same from Python: :mod:`workflow_review.diff`, :mod:`workflow_review.diagrams`.
"""

from __future__ import annotations

from workflow_review.assembly import AssemblyError, CloudAssembly, Stack, load_assembly

__all__ = ["AssemblyError", "CloudAssembly", "Stack", "load_assembly"]
