"""AWS CDK constructs for business workflows on Step Functions.

Safe by default: every task retries with capped, jittered exponential backoff; every workflow
logs at level ALL, traces, alarms and has a dashboard; every Lambda function runs the newest
Python on arm64 with Powertools. Names are loaded lazily, so ``workflow_constructs.naming`` and
``workflow_constructs.definition`` can be used without loading aws-cdk-lib.

Groups of states that several workflows use (a change set deployment, a wait for a callback,
compensation) are fragments in :mod:`workflow_constructs.fragments`.

Example::

    from workflow_constructs import PythonFunction, Workflow, add_checks, fragments, tasks
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow_constructs import fragments as fragments
    from workflow_constructs import tasks as tasks
    from workflow_constructs.alarm_topic import AlarmTopic as AlarmTopic
    from workflow_constructs.checks import WorkflowGuards as WorkflowGuards
    from workflow_constructs.checks import add_checks as add_checks
    from workflow_constructs.errors import InvalidPropsError as InvalidPropsError
    from workflow_constructs.function import PythonFunction as PythonFunction
    from workflow_constructs.naming import (
        execution_name as execution_name,
    )
    from workflow_constructs.naming import (
        state_name_problem as state_name_problem,
    )
    from workflow_constructs.retry import NoRetry as NoRetry
    from workflow_constructs.retry import RetryPolicy as RetryPolicy
    from workflow_constructs.workflow import Workflow as Workflow

_EXPORTS = {
    "AlarmTopic": "workflow_constructs.alarm_topic",
    "InvalidPropsError": "workflow_constructs.errors",
    "NoRetry": "workflow_constructs.retry",
    "PythonFunction": "workflow_constructs.function",
    "RetryPolicy": "workflow_constructs.retry",
    "Workflow": "workflow_constructs.workflow",
    "WorkflowGuards": "workflow_constructs.checks",
    "add_checks": "workflow_constructs.checks",
    "execution_name": "workflow_constructs.naming",
    "state_name_problem": "workflow_constructs.naming",
}
_MODULES = ("fragments", "tasks")
"""Public modules: the task factories and the reusable fragments (each with its own ``__all__``)."""
# The deliberate public API, written out (not derived from _EXPORTS) so that adding a name is a
# visible decision; tests/unit/test_public_api.py checks the two agree. Everything else in the
# package (definition, naming helpers, nag and checkov helpers, ...) is importable from its module
# but is not promised to other teams.
__all__: list[str] = [
    "AlarmTopic",
    "InvalidPropsError",
    "NoRetry",
    "PythonFunction",
    "RetryPolicy",
    "Workflow",
    "WorkflowGuards",
    "add_checks",
    "execution_name",
    "fragments",
    "state_name_problem",
    "tasks",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"workflow_constructs.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'workflow_constructs' has no attribute [{name}]")
