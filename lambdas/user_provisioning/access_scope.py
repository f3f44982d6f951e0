"""``access-scope``: an IAM role a user's sessions assume, limited to that user's storage prefix.

Every role lives under one path and name prefix (``ACCESS_SCOPE_ROLE_PATH``/``ACCESS_SCOPE_ROLE_PREFIX``)
that the function's own IAM policy is scoped to, and carries the workflow's permissions boundary, so
nothing this function creates can ever reach beyond the tenant bucket.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from shared.aws_errors import error_code, transient_aws_errors
from shared.errors import TransientError

from user_provisioning.errors import ResourceConflictError
from user_provisioning.resource_request import (
    ALREADY_GONE,
    KEPT,
    OWNER_TAG,
    REMOVED,
    TENANT_TAG,
    USER_TAG,
    ResourceRequest,
    dispatch,
)

POLICY_NAME = "user-storage-access"
READ_ACTIONS = ("s3:GetObject",)
WRITE_ACTIONS = ("s3:PutObject", "s3:DeleteObject")
MAX_SESSION_SECONDS = 60 * 60  # 1 hour


@dataclass(frozen=True)
class AccessScopeSettings:
    """Where roles go and what they may be given; set by the construct as environment variables."""

    workflow_name: str
    role_path: str
    role_prefix: str
    boundary_arn: str
    trusted_principal_arn: str
    bucket_arn: str
    user_storage_root: str
    """Format string of a user's prefix in the bucket: ``tenants/{tenant_id}/users/{user_id}/``."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> AccessScopeSettings:
        return cls(
            workflow_name=environ["WORKFLOW_NAME"],
            role_path=environ["ACCESS_SCOPE_ROLE_PATH"],
            role_prefix=environ["ACCESS_SCOPE_ROLE_PREFIX"],
            boundary_arn=environ["ACCESS_SCOPE_BOUNDARY_ARN"],
            trusted_principal_arn=environ["ACCESS_SCOPE_TRUSTED_PRINCIPAL_ARN"],
            bucket_arn=environ["TENANT_BUCKET_ARN"],
            user_storage_root=environ["USER_STORAGE_ROOT"],
        )


def role_name(settings: AccessScopeSettings, request: ResourceRequest) -> str:
    """A deterministic role name of at most 64 characters: the prefix and a digest of whose scope it is.

    IAM role names are unique per account, across paths and regions; the path (which names the
    workflow and region) is part of the digest so two deployments never share a role.
    """
    identity = "|".join((settings.role_path, request.tenant_id, request.user_id, request.name))
    return settings.role_prefix + hashlib.sha256(identity.encode()).hexdigest()[:32]


def trust_policy(settings: AccessScopeSettings) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": settings.trusted_principal_arn},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def storage_policy(settings: AccessScopeSettings, request: ResourceRequest) -> dict[str, Any]:
    """Access to the user's own prefix only; ``access: read-only`` leaves out writing and deleting."""
    root = settings.user_storage_root.format(tenant_id=request.tenant_id, user_id=request.user_id)
    actions = READ_ACTIONS if request.config.get("access") == "read-only" else READ_ACTIONS + WRITE_ACTIONS
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListOwnPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": settings.bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [f"{root}*"]}},
            },
            {
                "Sid": "UseOwnObjects",
                "Effect": "Allow",
                "Action": list(actions),
                "Resource": f"{settings.bucket_arn}/{root}*",
            },
        ],
    }


def handle(event: Mapping[str, Any], *, iam: Any, settings: AccessScopeSettings) -> dict[str, Any]:
    """Provision or deprovision one access scope, as ``event["action"]`` says."""
    return dispatch(
        event,
        ensure=lambda request: ensure(request, iam=iam, settings=settings),
        remove=lambda request: remove(request, iam=iam, settings=settings),
    )


def ensure(request: ResourceRequest, *, iam: Any, settings: AccessScopeSettings) -> dict[str, Any]:
    """Create the role unless it exists, then (re)write its policy. Safe to repeat."""
    name = role_name(settings, request)
    role = _get_role(iam, name)
    if role is None:
        tags = request.ownership_tags(settings.workflow_name)
        try:
            with transient_aws_errors("create the access scope role"):
                role = iam.create_role(
                    RoleName=name,
                    Path=settings.role_path,
                    AssumeRolePolicyDocument=json.dumps(trust_policy(settings)),
                    PermissionsBoundary=settings.boundary_arn,
                    MaxSessionDuration=MAX_SESSION_SECONDS,
                    Description=f"Access scope [{request.name}] of user {request.user_id}"[:1000],
                    Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
                )["Role"]
        except ClientError as error:
            if error_code(error) != "EntityAlreadyExists":
                raise
            role = _get_role(iam, name)  # created concurrently: check it is this user's
            if role is None:
                raise TransientError(f"role [{name}] reported existing but cannot be read yet") from error
    _check_belongs_to(role, request)
    try:
        with transient_aws_errors("write the access scope policy"):
            iam.put_role_policy(
                RoleName=name,
                PolicyName=POLICY_NAME,
                PolicyDocument=json.dumps(storage_policy(settings, request)),
            )
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":  # IAM is eventually consistent right after CreateRole
            raise TransientError(f"role [{name}] not visible to PutRolePolicy yet") from error
        raise
    return {"resourceId": role["Arn"], "roleName": name}


def remove(request: ResourceRequest, *, iam: Any, settings: AccessScopeSettings) -> dict[str, Any]:
    """Delete the role and its inline policies, only when this run created it."""
    name = role_name(settings, request)
    role = _get_role(iam, name)
    if role is None:
        return {"outcome": ALREADY_GONE, "roleName": name}
    if _tags(role).get(OWNER_TAG) != request.run_id:
        return {"outcome": KEPT, "roleName": name, "resourceId": role["Arn"]}
    with transient_aws_errors("remove the access scope role"):
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
            for policy in page["PolicyNames"]:
                with _already_gone_is_fine():
                    iam.delete_role_policy(RoleName=name, PolicyName=policy)
        with _already_gone_is_fine():
            iam.delete_role(RoleName=name)
    return {"outcome": REMOVED, "roleName": name, "resourceId": role["Arn"]}


def _get_role(iam: Any, name: str) -> dict[str, Any] | None:
    try:
        with transient_aws_errors("look up the access scope role"):
            return dict(iam.get_role(RoleName=name)["Role"])
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        raise


def _tags(role: Mapping[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in role.get("Tags") or []}


def _check_belongs_to(role: Mapping[str, Any], request: ResourceRequest) -> None:
    tags = _tags(role)
    if tags.get(TENANT_TAG) != request.tenant_id or tags.get(USER_TAG) != request.user_id:
        raise ResourceConflictError(
            f"role [{role.get('RoleName')}] exists for tenant [{tags.get(TENANT_TAG)}] user "
            f"[{tags.get(USER_TAG)}], not for tenant [{request.tenant_id}] user [{request.user_id}]"
        )


@contextmanager
def _already_gone_is_fine() -> Iterator[None]:
    """A removal racing another removal: what is gone is gone."""
    try:
        yield
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
