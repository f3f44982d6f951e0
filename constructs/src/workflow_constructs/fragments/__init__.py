"""Reusable fragments: groups of states that more than one workflow uses, as ``StateMachineFragment``.

- :class:`ChangeSetDeployment`: deploy any stack through a CloudFormation change set, optional approval
  by callback, the tail of the failed stack events on failure.
- :class:`WaitForCallback`: hand a task token to a function and wait, with a timeout and an optional
  heartbeat; a timeout or a rejection ends in a named error, or in the caller's handling.
- :class:`Compensation`: undo steps registered as the work is done; a failure runs them newest first,
  then fails with the original error.

Every step is built by :mod:`workflow_constructs.tasks`, so it carries its service's retry preset.
Names are loaded lazily: ``change_set_expressions`` imports without aws-cdk-lib.

Example::

    from workflow_constructs.fragments import Compensation, WaitForCallback
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow_constructs.fragments.callback import (
        CALLBACK_REJECTED_ERROR as CALLBACK_REJECTED_ERROR,
    )
    from workflow_constructs.fragments.callback import (
        CALLBACK_TIMED_OUT_ERROR as CALLBACK_TIMED_OUT_ERROR,
    )
    from workflow_constructs.fragments.callback import WaitForCallback as WaitForCallback
    from workflow_constructs.fragments.change_set_deployment import (
        ChangeSetDeployment as ChangeSetDeployment,
    )
    from workflow_constructs.fragments.compensation import (
        STEP_FAILED_ERROR as STEP_FAILED_ERROR,
    )
    from workflow_constructs.fragments.compensation import Compensation as Compensation

_EXPORTS = {
    "CALLBACK_REJECTED_ERROR": "workflow_constructs.fragments.callback",
    "CALLBACK_TIMED_OUT_ERROR": "workflow_constructs.fragments.callback",
    "ChangeSetDeployment": "workflow_constructs.fragments.change_set_deployment",
    "Compensation": "workflow_constructs.fragments.compensation",
    "STEP_FAILED_ERROR": "workflow_constructs.fragments.compensation",
    "WaitForCallback": "workflow_constructs.fragments.callback",
}
__all__: list[str] = [
    "CALLBACK_REJECTED_ERROR",
    "CALLBACK_TIMED_OUT_ERROR",
    "STEP_FAILED_ERROR",
    "ChangeSetDeployment",
    "Compensation",
    "WaitForCallback",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'workflow_constructs.fragments' has no attribute [{name}]")
