"""``access-scope``: a user's grant to the workflow's one shared, tag-scoped IAM role (Lambda provisioner).

Tenants are isolated by attribute-based access control, not by a role per user:

- **One role per workflow** (created here, by CloudFormation). Its policy reaches only
  ``tenants/${aws:PrincipalTag/tenant}/users/${aws:PrincipalTag/user}/`` of the tenant bucket; writing
  and deleting also need ``aws:PrincipalTag/access`` = ``read-write``.
- **Its trust policy names one principal**, ``trusted_principal_arn`` (the broker: your sign-in
  service's role), and requires the session tags ``tenant``, ``user`` and ``access`` and no others
  (``sts:TagSession``). There is no account-root default: a developer or CI role allowed
  ``sts:AssumeRole`` on ``*`` is not named, so AWS refuses it.
- **The resource a user is given is a grant**: an item in the grants table (tenant, ``<user>#<scope>``,
  access level, the role's ARN) that the broker reads before it assumes the role with the grant's
  tags. A Lambda writes it (idempotently, tagged with the run that created it) and removes it.

Why (and what it costs): a role per user hits IAM's quota of 1,000 roles per account (5,000 at most)
before 10,000 users, and CreateRole at bulk-import rates is throttled by IAM's control plane. Here
10,000 or 100,000 users cost one role and 10,000 or 100,000 DynamoDB items (about 300 bytes each: 3 MB
or 30 MB, cents a month) and no IAM call at provisioning time. The function holds no IAM permission.
"""

from __future__ import annotations

import re
from typing import ClassVar

from aws_cdk import Duration, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.nag import acknowledge_wildcard_resource

from business_workflows.provisioners.base import (
    USER_STORAGE_ROOT,
    ConfigField,
    ProvisioningContext,
    ResourceSteps,
    ResourceType,
    record_table,
)
from constructs import Construct

TENANT_SESSION_TAG = "tenant"
USER_SESSION_TAG = "user"
ACCESS_SESSION_TAG = "access"
SESSION_TAG_KEYS = (TENANT_SESSION_TAG, USER_SESSION_TAG, ACCESS_SESSION_TAG)
ACCESS_LEVELS = ("read-write", "read-only")
MAX_SESSION_DURATION = Duration.hours(1)

_ACCOUNT_WIDE = re.compile(r"(^\*$)|(^\d{12}$)|(:root$)")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:(role|user|assumed-role)/\S+$")


class AccessScope(ResourceType):
    """A user's grant to the shared, tag-scoped role. Config: ``name`` (default ``default``), ``access``
    (``read-write`` or ``read-only``, default ``read-write``).

    ``trusted_principal_arn`` (required): the one principal allowed to open users' sessions, the role
    your sign-in service runs as. Never an account root: that would let every principal of the account
    that may ``sts:AssumeRole`` on ``*`` open any tenant's session.

    Example::

        AccessScope(trusted_principal_arn=sign_in_role.role_arn)
    """

    type_name: ClassVar[str] = "access-scope"
    summary: ClassVar[str] = "A grant to the shared role, confined by session tags to the user's storage"
    config_fields: ClassVar = {
        "name": ConfigField(
            pattern=r"^[a-z0-9][a-z0-9-]{0,30}$", default="default", description="Scope name"
        ),
        "access": ConfigField(choices=ACCESS_LEVELS, default="read-write", description="Access level"),
    }
    instance_field: ClassVar = "name"

    def __init__(self, *, trusted_principal_arn: str | None = None) -> None:
        check_trusted_principal("trusted_principal_arn", trusted_principal_arn)
        self.trusted_principal_arn: str = trusted_principal_arn  # type: ignore[assignment]

    def build(self, scope: Construct, context: ProvisioningContext) -> ResourceSteps:
        bucket = context.tenant_bucket
        grants = record_table(
            scope,
            "GrantsTable",
            partition_key="tenantId",
            sort_key="scope",
        )
        role = iam.Role(
            scope,
            "SharedRole",
            path=f"/{context.workflow_name}/",
            description=f"Access scopes of {context.workflow_name} users: one role, confined by session tags",
            max_session_duration=MAX_SESSION_DURATION,
            assumed_by=iam.ArnPrincipal(self.trusted_principal_arn)
            .with_conditions(trust_conditions())
            .with_session_tags(),
        )
        user_root = USER_STORAGE_ROOT.format(
            tenant_id=f"${{aws:PrincipalTag/{TENANT_SESSION_TAG}}}",
            user_id=f"${{aws:PrincipalTag/{USER_SESSION_TAG}}}",
        )
        own_objects = bucket.arn_for_objects(f"{user_root}*")
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ListOwnPrefix",
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{user_root}*"]}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(sid="ReadOwnObjects", actions=["s3:GetObject"], resources=[own_objects])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteOwnObjectsWhenReadWrite",
                actions=["s3:PutObject", "s3:DeleteObject"],
                resources=[own_objects],
                conditions={"StringEquals": {f"aws:PrincipalTag/{ACCESS_SESSION_TAG}": ACCESS_LEVELS[0]}},
            )
        )
        acknowledge_wildcard_resource(
            role,
            own_objects,
            reason="One role serves every user: the session's tenant and user tags, which only the "
            "trusted broker may set, pick the one prefix it reaches.",
        )
        function = context.function(
            scope,
            "AccessScopeFunction",
            handler="user_provisioning.handler.access_scope_resource",
            description="Writes and removes users' access-scope grants",
            environment={"ACCESS_GRANTS_TABLE": grants.table_name, "ACCESS_SCOPE_ROLE_ARN": role.role_arn},
        )
        grants.grant(function, "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:GetItem")

        def remover(in_scope: Construct) -> sfn.IChainable:
            return context.lambda_step(
                in_scope, "Revoke the access scope", function=function, action="deprovision"
            )

        return ResourceSteps(
            provision=context.lambda_step(
                scope, "Grant the access scope", function=function, action="provision"
            ),
            deprovision=remover(scope),
            functions=(function,),
            tables={"access-grants": grants},
            roles={"access-scope": role},
            remover=remover,
        )


def trust_conditions() -> dict[str, dict[str, object]]:
    """What the shared role's trust policy requires of every AssumeRole (and its TagSession): a
    non-empty ``tenant`` and ``user`` tag, a known ``access`` level, and no other tag.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_permissions-required
    """
    return {
        "StringLike": {
            f"aws:RequestTag/{TENANT_SESSION_TAG}": "?*",
            f"aws:RequestTag/{USER_SESSION_TAG}": "?*",
        },
        "StringEquals": {f"aws:RequestTag/{ACCESS_SESSION_TAG}": list(ACCESS_LEVELS)},
        "ForAllValues:StringEquals": {"aws:TagKeys": list(SESSION_TAG_KEYS)},
    }


def check_trusted_principal(argument: str, arn: str | None) -> None:
    """Raise :class:`InvalidPropsError` unless ``arn`` names one role or user (tokens are checked
    only for an account-root ending, the rest is known at deploy time)."""
    if arn is None:
        raise InvalidPropsError(
            argument,
            "must name the one principal allowed to open users' access-scope sessions (your sign-in "
            "service's role); there is no default",
            arn,
        )
    if _ACCOUNT_WIDE.search(arn):
        raise InvalidPropsError(
            argument,
            "must name a role or user, never an account root or '*': that trusts every principal "
            "allowed sts:AssumeRole on '*'",
            arn,
        )
    if not Token.is_unresolved(arn) and not _PRINCIPAL_ARN.match(arn):
        raise InvalidPropsError(argument, "must be the ARN of an IAM role or user", arn)
