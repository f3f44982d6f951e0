"""Where this app's handler code (the top-level ``lambdas/`` folder) is, for its workflow constructs.

App-specific: the workflow constructs pass it to ``PythonFunction(entry=...)``. In this repository it is
the ``lambdas/`` folder; in an installed wheel it travels inside the package as
``workflow_constructs/_lambdas`` (see ``constructs/pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parents[1] / "_lambdas"
_SOURCE_TREE = Path(__file__).resolve().parents[4] / "lambdas"


def app_handler_code() -> Path:
    """The folder holding every handler package of this app (``onboarding/``, ``billing/``, ...)."""
    for candidate in (_PACKAGED, _SOURCE_TREE):
        if (candidate / "onboarding" / "handler.py").is_file():
            return candidate
    raise FileNotFoundError(
        f"handler code not found in [{_PACKAGED}] nor [{_SOURCE_TREE}]; reinstall workflow-constructs"
    )
