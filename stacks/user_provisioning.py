"""The user-provisioning stack: the ``user-provisioning`` workflow, its tables and the tenant bucket."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from business_workflows.bulk_user_provisioning import BulkUserProvisioningWorkflow
from business_workflows.options import WorkflowOptions
from business_workflows.user_deprovisioning import (
    DEFAULT_WORKFLOW_NAME as DEFAULT_DEPROVISIONING_WORKFLOW_NAME,
)
from business_workflows.user_deprovisioning import UserDeprovisioningWorkflow
from business_workflows.user_provisioning import DEFAULT_WORKFLOW_NAME, UserProvisioningWorkflow
from constructs import Construct

USER_PROVISIONING_WORKFLOW = DEFAULT_WORKFLOW_NAME
"""The state machine's name: customer onboarding starts it by this name for a customer's first admin."""
USER_DEPROVISIONING_WORKFLOW = DEFAULT_DEPROVISIONING_WORKFLOW_NAME
"""Removes what provisioning created for a user; onboarding's rollback runs it for the first admin."""

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
    """Deploys :class:`UserProvisioningWorkflow` with the built-in resource types,
    :class:`UserDeprovisioningWorkflow` over its ledger, and :class:`BulkUserProvisioningWorkflow` over
    it with :data:`ROLE_RESOURCES`.

    ``options`` (the app's one :class:`~business_workflows.options.WorkflowOptions`) goes to all three
    workflows: alarms and failure notices (with the per-resource report) go to its ``alarm_topic``. Users'
    folders go into ``tenant_bucket`` (customer onboarding's, where each tenant has ``tenants/<id>/``);
    without one the workflow creates its own.

    ``session_broker``: the role of the sign-in service, the only principal allowed to open users'
    access-scope sessions (it reads a user's grant, then assumes the shared role with the grant's
    session tags). Default: a new role for a Lambda function (``session_broker`` attribute); run your
    sign-in function as that role, or pass your own.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: WorkflowOptions,
        tenant_bucket: s3.IBucket | None = None,
        session_broker: iam.IRole | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.session_broker = session_broker or iam.Role(
            self,
            "UserSessionBroker",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="The sign-in service: the only principal that may open users' access-scope sessions",
        )
        self.user_provisioning = UserProvisioningWorkflow(
            self,
            "UserProvisioning",
            workflow_name=USER_PROVISIONING_WORKFLOW,
            access_scope_trusted_principal_arn=self.session_broker.role_arn,
            tenant_bucket=tenant_bucket,
            options=options,
        )
        if self.user_provisioning.access_grants_table is not None:
            self.user_provisioning.access_grants_table.grant_read_data(self.session_broker)
        if self.user_provisioning.access_scope_role is not None:
            # The trust policy names the broker; its own policy says so too, so neither side alone
            # decides (and an SCP or boundary on the broker shows in one place).
            iam.Grant.add_to_principal(
                grantee=self.session_broker,
                actions=["sts:AssumeRole", "sts:TagSession"],
                resource_arns=[self.user_provisioning.access_scope_role.role_arn],
            )
        self.user_deprovisioning = UserDeprovisioningWorkflow(
            self,
            "UserDeprovisioning",
            user_provisioning=self.user_provisioning,
            workflow_name=USER_DEPROVISIONING_WORKFLOW,
            options=options,
        )
        self.bulk_user_provisioning = BulkUserProvisioningWorkflow(
            self,
            "BulkUserProvisioning",
            user_provisioning=self.user_provisioning,
            role_resources=ROLE_RESOURCES,
            options=options,
        )
