"""``access-scope``: an IAM role for the user, confined to the user's storage prefix (Lambda provisioner).

A Lambda, because one scope is several IAM calls with decisions between them (does the role exist,
is it this user's, write the policy, IAM's eventual consistency). Every role the function may touch
sits under ``/<workflow>/<region>/`` and starts with ``role_name_prefix``; it can only create roles that
carry the workflow's permissions boundary, which allows nothing beyond the tenant bucket's ``tenants/``
objects. So the function cannot grant more than the boundary, whatever a request says.
"""

from __future__ import annotations

import re
from typing import ClassVar

from aws_cdk import Aws, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn

from constructs import Construct
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.nag import acknowledge_wildcard_resource
from workflow_constructs.workflows.provisioners.base import (
    TENANT_OBJECTS,
    USER_STORAGE_ROOT,
    ConfigField,
    ProvisioningContext,
    ResourceSteps,
    ResourceType,
)

DEFAULT_ROLE_NAME_PREFIX = "user-scope-"
_ROLE_NAME_PREFIX = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,32}$")


class AccessScope(ResourceType):
    """An IAM role the user's sessions assume. Config: ``name`` (default ``default``), ``access``
    (``read-write`` or ``read-only``, default ``read-write``).

    ``trusted_principal_arn``: who may assume the roles (say, your sign-in service's role). Default: the
    account itself, so only identities that the account's own IAM policies allow. ``role_name_prefix``:
    the start of every role name (at most 32 characters; the name ends with a 32-character digest).
    """

    type_name: ClassVar[str] = "access-scope"
    summary: ClassVar[str] = "An IAM role for the user, confined to the user's storage prefix"
    config_fields: ClassVar = {
        "name": ConfigField(
            pattern=r"^[a-z0-9][a-z0-9-]{0,30}$", default="default", description="Scope name"
        ),
        "access": ConfigField(
            choices=("read-write", "read-only"), default="read-write", description="Access level"
        ),
    }
    instance_field: ClassVar = "name"

    def __init__(
        self, *, trusted_principal_arn: str | None = None, role_name_prefix: str = DEFAULT_ROLE_NAME_PREFIX
    ) -> None:
        if not Token.is_unresolved(role_name_prefix) and not _ROLE_NAME_PREFIX.match(role_name_prefix):
            raise InvalidPropsError(
                "role_name_prefix", "must be 1-32 characters allowed in IAM role names", role_name_prefix
            )
        self.trusted_principal_arn = trusted_principal_arn
        self.role_name_prefix = role_name_prefix

    def build(self, scope: Construct, context: ProvisioningContext) -> ResourceSteps:
        bucket = context.tenant_bucket
        boundary = iam.ManagedPolicy(
            scope,
            "AccessScopeBoundary",
            description=f"Permissions boundary of every access-scope role of {context.workflow_name}",
            statements=[
                iam.PolicyStatement(
                    actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    resources=[bucket.arn_for_objects(TENANT_OBJECTS)],
                ),
                iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]),
            ],
        )
        role_path = f"/{context.workflow_name}/{Aws.REGION}/"
        roles = f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role{role_path}{self.role_name_prefix}*"
        function = context.function(
            scope,
            "AccessScopeFunction",
            handler="user_provisioning.handler.access_scope_resource",
            description="Creates and removes the IAM roles of users' access scopes",
            environment={
                "ACCESS_SCOPE_ROLE_PATH": role_path,
                "ACCESS_SCOPE_ROLE_PREFIX": self.role_name_prefix,
                "ACCESS_SCOPE_BOUNDARY_ARN": boundary.managed_policy_arn,
                "ACCESS_SCOPE_TRUSTED_PRINCIPAL_ARN": self.trusted_principal_arn
                or f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:root",
                "TENANT_BUCKET_ARN": bucket.bucket_arn,
                "USER_STORAGE_ROOT": USER_STORAGE_ROOT,
            },
        )
        boundary_condition = {"StringEquals": {"iam:PermissionsBoundary": boundary.managed_policy_arn}}
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="CreateBoundedRoles",
                actions=["iam:CreateRole", "iam:PutRolePolicy"],
                resources=[roles],
                conditions=boundary_condition,
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="ManageScopeRoles",
                actions=[
                    "iam:GetRole",
                    "iam:TagRole",
                    "iam:ListRolePolicies",
                    "iam:DeleteRolePolicy",
                    "iam:DeleteRole",
                ],
                resources=[roles],
            )
        )
        acknowledge_wildcard_resource(
            boundary,
            bucket.arn_for_objects(TENANT_OBJECTS),
            reason="The boundary caps every user role at the tenants' objects; each role's own policy "
            "narrows that to its user's prefix.",
        )
        acknowledge_wildcard_resource(
            function.role or function,
            roles,
            reason="Roles are created per user at run time with digest names; the grant is confined "
            "to this workflow's path and name prefix, and creation requires the permissions boundary.",
        )

        def remover(in_scope: Construct) -> sfn.IChainable:
            return context.lambda_step(
                in_scope, "Remove the access scope role", function=function, action="deprovision"
            )

        return ResourceSteps(
            provision=context.lambda_step(
                scope, "Create the access scope role", function=function, action="provision"
            ),
            deprovision=remover(scope),
            functions=(function,),
            remover=remover,
        )
