"""The user-provisioning stack: the ``user-provisioning`` workflow, its tables and the tenant bucket."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from workflow_constructs.workflows.bulk_user_provisioning import BulkUserProvisioningWorkflow
from workflow_constructs.workflows.user_provisioning import UserProvisioningWorkflow

from constructs import Construct

ROLE_RESOURCES: dict[str, list[dict[str, Any]]] = {
    "admin": [
        {"type": "storage-prefix", "config": {"name": "home"}},
        {"type": "profile-record"},
        {"type": "access-scope", "config": {"access": "read-write"}},
        {"type": "api-key"},
    ],
    "member": [
        {"type": "storage-prefix", "config": {"name": "home"}},
        {"type": "profile-record"},
        {"type": "access-scope", "config": {"access": "read-write"}},
    ],
    "viewer": [
        {"type": "profile-record"},
        {"type": "access-scope", "config": {"access": "read-only"}},
    ],
}
"""What each role gets when users are provisioned in bulk from a CSV file."""


class UserProvisioningStack(Stack):
    """Deploys :class:`UserProvisioningWorkflow` with the built-in resource types, and
    :class:`BulkUserProvisioningWorkflow` over it with :data:`ROLE_RESOURCES`.

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
        self.bulk_user_provisioning = BulkUserProvisioningWorkflow(
            self,
            "BulkUserProvisioning",
            user_provisioning=self.user_provisioning,
            role_resources=ROLE_RESOURCES,
            alarm_topic=operations_topic,
        )
