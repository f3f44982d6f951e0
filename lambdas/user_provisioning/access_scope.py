"""``access-scope``: a user's grant to open sessions of the workflow's one shared, tag-scoped role.

There is no role per user. The construct creates one role per workflow whose policy reaches only
``tenants/${aws:PrincipalTag/tenant}/users/${aws:PrincipalTag/user}/`` of the tenant bucket, and whose
trust policy lets only the named broker principal (the sign-in service) assume it, and only with the
session tags ``tenant``, ``user`` and ``access``. What this function provisions is the *grant*: an
item in the grants table (``ACCESS_GRANTS_TABLE``) that says which user may have which access. The
broker reads the grant and assumes the role with the grant's tags; a principal that is not the
broker cannot assume the role at all, whatever its own policies allow.

Why: one role per user meets IAM's quota of 1,000 roles per account (5,000 at most) long before
10,000 users, and IAM's control plane throttles a bulk import; a DynamoDB item costs neither.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow_runtime import transient_aws_errors

from user_provisioning.records import CREATOR_ATTRIBUTE, remove_if_created_by
from user_provisioning.resource_request import ResourceRequest, dispatch

TENANT_SESSION_TAG = "tenant"
USER_SESSION_TAG = "user"
ACCESS_SESSION_TAG = "access"
SESSION_TAG_KEYS = (TENANT_SESSION_TAG, USER_SESSION_TAG, ACCESS_SESSION_TAG)
"""The session tags the shared role's trust policy requires, and the only ones it accepts."""
ACCESS_LEVELS = ("read-write", "read-only")


@dataclass(frozen=True)
class AccessScopeSettings:
    """Where grants are kept and which role they open; set by the construct as environment variables."""

    workflow_name: str
    grants_table: str
    role_arn: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> AccessScopeSettings:
        return cls(
            workflow_name=environ["WORKFLOW_NAME"],
            grants_table=environ["ACCESS_GRANTS_TABLE"],
            role_arn=environ["ACCESS_SCOPE_ROLE_ARN"],
        )


def grant_key(request: ResourceRequest) -> dict[str, Any]:
    """The grant's key: the tenant, then ``<user>#<scope>`` (user ids never contain ``#``)."""
    return {"tenantId": {"S": request.tenant_id}, "scope": {"S": f"{request.user_id}#{request.name}"}}


def session_tags(request: ResourceRequest) -> dict[str, str]:
    """The tags the broker passes to AssumeRole for this grant: they confine the session to the user."""
    access = request.config.get("access") or ACCESS_LEVELS[0]
    return {
        TENANT_SESSION_TAG: request.tenant_id,
        USER_SESSION_TAG: request.user_id,
        ACCESS_SESSION_TAG: access,
    }


def handle(event: Mapping[str, Any], *, dynamodb: Any, settings: AccessScopeSettings) -> dict[str, Any]:
    """Provision or deprovision one access scope, as ``event["action"]`` says."""
    return dispatch(
        event,
        ensure=lambda request: ensure(request, dynamodb=dynamodb, settings=settings),
        remove=lambda request: remove(request, dynamodb=dynamodb, settings=settings),
    )


def ensure(request: ResourceRequest, *, dynamodb: Any, settings: AccessScopeSettings) -> dict[str, Any]:
    """Write the grant (its access level follows the request); the first run to write it is its creator.

    One conditional-free update: repeating it, or two runs racing, ends in the same item.
    """
    tags = session_tags(request)
    with transient_aws_errors("write the access scope grant"):
        dynamodb.update_item(
            TableName=settings.grants_table,
            Key=grant_key(request),
            UpdateExpression=(
                "SET userId = :user, scopeName = :name, #access = :access, roleArn = :role, "
                f"workflow = :workflow, {CREATOR_ATTRIBUTE} = if_not_exists({CREATOR_ATTRIBUTE}, :run)"
            ),
            ExpressionAttributeNames={"#access": "access"},
            ExpressionAttributeValues={
                ":user": {"S": request.user_id},
                ":name": {"S": request.name},
                ":access": {"S": tags[ACCESS_SESSION_TAG]},
                ":role": {"S": settings.role_arn},
                ":workflow": {"S": settings.workflow_name},
                ":run": {"S": request.run_id},
            },
        )
    return {
        "resourceId": _resource_id(settings, request),
        "roleArn": settings.role_arn,
        "sessionTags": tags,
    }


def remove(request: ResourceRequest, *, dynamodb: Any, settings: AccessScopeSettings) -> dict[str, Any]:
    """Delete the grant, only when this run created it. The shared role stays: it is everyone's."""
    outcome = remove_if_created_by(
        dynamodb,
        table=settings.grants_table,
        key=grant_key(request),
        request=request,
        what="access scope grant",
    )
    return {"outcome": outcome, "resourceId": _resource_id(settings, request)}


def _resource_id(settings: AccessScopeSettings, request: ResourceRequest) -> str:
    return f"{settings.grants_table}/{request.tenant_id}/{request.user_id}/{request.name}"
