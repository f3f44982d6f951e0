"""``api-key``: a generated API key for the user, kept in AWS Secrets Manager.

Secrets are named ``<API_KEY_SECRET_PREFIX><tenant>/<user>/<name>``; the function's IAM policy is scoped
to that name prefix. The key itself never leaves Secrets Manager: the workflow only ever sees the
secret's ARN. A rollback deletes without a recovery window, because the key was never handed out and
a re-run must be able to create the same name again.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
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

KEY_PREFIX = "upk_"
"""Marks the value as one of ours, so a leaked key is recognisable (e.g. by secret scanners)."""
KEY_BYTES = 32  # 256 bits of randomness


@dataclass(frozen=True)
class ApiKeySettings:
    """Where keys are kept; set by the construct as environment variables."""

    workflow_name: str
    secret_prefix: str
    kms_key_id: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ApiKeySettings:
        return cls(
            workflow_name=environ["WORKFLOW_NAME"],
            secret_prefix=environ["API_KEY_SECRET_PREFIX"],
            kms_key_id=environ.get("API_KEY_KMS_KEY_ID") or None,
        )


def secret_name(settings: ApiKeySettings, request: ResourceRequest) -> str:
    return f"{settings.secret_prefix}{request.tenant_id}/{request.user_id}/{request.name}"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


def handle(event: Mapping[str, Any], *, secretsmanager: Any, settings: ApiKeySettings) -> dict[str, Any]:
    """Provision or deprovision one API key, as ``event["action"]`` says."""
    return dispatch(
        event,
        ensure=lambda request: ensure(request, secretsmanager=secretsmanager, settings=settings),
        remove=lambda request: remove(request, secretsmanager=secretsmanager, settings=settings),
    )


def ensure(request: ResourceRequest, *, secretsmanager: Any, settings: ApiKeySettings) -> dict[str, Any]:
    """Create the key's secret unless this user already has it. Safe to repeat; never rotates a key."""
    name = secret_name(settings, request)
    existing = _describe(secretsmanager, name)
    if existing is None:
        tags = request.ownership_tags(settings.workflow_name)
        arguments: dict[str, Any] = {
            "Name": name,
            "Description": f"API key [{request.name}] of user {request.user_id} "
            f"of tenant {request.tenant_id}",
            "SecretString": new_key(),
            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        }
        if settings.kms_key_id:
            arguments["KmsKeyId"] = settings.kms_key_id
        try:
            with transient_aws_errors("create the API key secret"):
                created = secretsmanager.create_secret(**arguments)
            return {"resourceId": created["ARN"], "secretName": name}
        except ClientError as error:
            if error_code(error) != "ResourceExistsException":
                raise
            existing = _describe(secretsmanager, name)  # created concurrently
            if existing is None:
                raise TransientError(f"secret [{name}] reported existing but cannot be read yet") from error
    if existing.get("DeletedDate"):
        # A key deleted with a recovery window keeps its name until it is purged; restoring it would
        # hand out a key someone chose to revoke, so this needs a person.
        raise ResourceConflictError(f"secret [{name}] is scheduled for deletion; purge or restore it first")
    tags = _tags(existing)
    if tags.get(TENANT_TAG) != request.tenant_id or tags.get(USER_TAG) != request.user_id:
        raise ResourceConflictError(f"secret [{name}] exists but is not tagged for this tenant and user")
    return {"resourceId": existing["ARN"], "secretName": name}


def remove(request: ResourceRequest, *, secretsmanager: Any, settings: ApiKeySettings) -> dict[str, Any]:
    """Delete the key's secret at once, only when this run created it."""
    name = secret_name(settings, request)
    existing = _describe(secretsmanager, name)
    if existing is None or existing.get("DeletedDate"):
        return {"outcome": ALREADY_GONE, "secretName": name}
    if _tags(existing).get(OWNER_TAG) != request.run_id:
        return {"outcome": KEPT, "secretName": name, "resourceId": existing["ARN"]}
    try:
        with transient_aws_errors("delete the API key secret"):
            secretsmanager.delete_secret(SecretId=existing["ARN"], ForceDeleteWithoutRecovery=True)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
    return {"outcome": REMOVED, "secretName": name, "resourceId": existing["ARN"]}


def _describe(secretsmanager: Any, name: str) -> dict[str, Any] | None:
    try:
        with transient_aws_errors("look up the API key secret"):
            return dict(secretsmanager.describe_secret(SecretId=name))
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise


def _tags(secret: Mapping[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in secret.get("Tags") or []}
