"""The user-provisioning stack: the ``user-provisioning`` workflow, its tables and the tenant bucket."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from workflow_constructs.workflows.user_provisioning import UserProvisioningWorkflow

from constructs import Construct


class UserProvisioningStack(Stack):
    """Deploys :class:`UserProvisioningWorkflow` with the built-in resource types.

    Alarms and failure notices (with the per-resource report) go to ``operations_topic``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        operations_topic: sns.ITopic,
        sentry_dsn_secret: secretsmanager.ISecret | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.user_provisioning = UserProvisioningWorkflow(
            self,
            "UserProvisioning",
            alarm_topic=operations_topic,
            sentry_dsn_secret=sentry_dsn_secret,
        )
