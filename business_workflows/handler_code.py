"""Where this app's handler code (the top-level ``lambdas/`` folder) is, for its workflow constructs.

App-specific: the workflow constructs pass it to ``PythonFunction(entry=...)``, each with
``packages=["<its handler package>"]``, so every workflow ships one asset of its own handlers (and the
task library): a change to billing's handlers moves billing's S3Key, not every Lambda stack's. The
user provisioning, deprovisioning and bulk workflows share the ``user_provisioning`` package (one
contract, one ledger of what was created), hence one asset. ``lambdas/`` sits beside
``business_workflows/`` both in this repository and in the installed ``business-workflows`` wheel (the
root ``pyproject.toml`` packages both), so one path serves both.
"""

from __future__ import annotations

from pathlib import Path

_HANDLER_CODE = Path(__file__).resolve().parents[1] / "lambdas"


def app_handler_code() -> Path:
    """The folder holding every handler package of this app (``onboarding/``, ``billing/``, ...)."""
    if not (_HANDLER_CODE / "onboarding" / "handler.py").is_file():
        raise FileNotFoundError(f"handler code not found in [{_HANDLER_CODE}]; reinstall business-workflows")
    return _HANDLER_CODE
