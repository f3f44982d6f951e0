"""Lambda entry point of the deployment entry: observability, configuration, one call into logic.

Environment (set by the ``StackDeployment`` construct): ``STATE_MACHINE_ARN``
(``contract.STATE_MACHINE_ARN_ENV``).
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3
from workflow_runtime import handler

from deployment_approvals.contract import STATE_MACHINE_ARN_ENV
from deployment_approvals.entry import answer


@functools.cache
def _states() -> Any:
    return boto3.client("stepfunctions")


@handler
def deployment_entry(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway proxy: request a deployment, or approve or reject one, as the signed caller."""
    return answer(event, state_machine_arn=os.environ[STATE_MACHINE_ARN_ENV], states_client=_states())
