"""Where the handler code that the library's constructs deploy lives, and how it is packaged.

In this repository the code is in the top-level ``lambdas/`` folder; in an installed wheel it
travels inside the package as ``workflow_constructs/_lambdas`` (see ``constructs/pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

ASSET_EXCLUDES = ("__pycache__", "**/__pycache__", "*.pyc", "**/*.pyc", ".*", "**/.*")
"""Never part of a Lambda asset: they differ between machines and would change the asset hash."""

_PACKAGED = Path(__file__).parent / "_lambdas"
_SOURCE_TREE = Path(__file__).resolve().parents[3] / "lambdas"


def lambda_code_root() -> Path:
    """The folder holding every handler package (``onboarding/``, ``shared/``, ...)."""
    for candidate in (_PACKAGED, _SOURCE_TREE):
        if (candidate / "shared").is_dir():
            return candidate
    raise FileNotFoundError(
        f"handler code not found in [{_PACKAGED}] nor [{_SOURCE_TREE}]; reinstall workflow-constructs"
    )
