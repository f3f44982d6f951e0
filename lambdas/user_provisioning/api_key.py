"""``api-key``: a generated API key for the user, of which only a SHA-256 hash is kept.

The key's record (``API_KEY_TABLE``, keyed by tenant and ``<user>#<name>``) holds the hash, never the
key, so neither a table reader nor a backup can use it; a presented key is verified by hashing it and
looking the hash up (:func:`verify`, index ``byHash``). A plain SHA-256 is enough here: the key is 256
random bits, not a password, so there is nothing to guess a dictionary from.

The key is delivered once, when it is created, encrypted under the delivery KMS key
(``API_KEY_DELIVERY_KEY_ID``) with the tenant, user and key name as encryption context: the workflow,
its history, the ledger and the idempotency table only ever hold that ciphertext, which only a
principal allowed ``kms:Decrypt`` on the delivery key (whoever hands the key to the user) can open.
A later run finds the record and delivers nothing: a key is never shown twice. A lost key is revoked
(removed) and provisioned again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from workflow_runtime import error_code, transient_aws_errors

from user_provisioning.records import CREATOR_ATTRIBUTE, remove_if_created_by
from user_provisioning.resource_request import ResourceRequest, dispatch

KEY_PREFIX = "upk_"
"""Marks the value as one of ours, so a leaked key is recognisable (e.g. by secret scanners)."""
KEY_BYTES = 32  # 256 bits of randomness
HASH_INDEX = "byHash"
"""The table's index on ``keyHash``: how a presented key is found."""
ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class ApiKeySettings:
    """Where key records go and which key delivers new keys; set by the construct as environment variables."""

    workflow_name: str
    table: str
    delivery_key_id: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ApiKeySettings:
        return cls(
            workflow_name=environ["WORKFLOW_NAME"],
            table=environ["API_KEY_TABLE"],
            delivery_key_id=environ["API_KEY_DELIVERY_KEY_ID"],
        )


@dataclass(frozen=True)
class KeyOwner:
    """Whose key a verified key is."""

    tenant_id: str
    user_id: str
    name: str


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


def key_hash(key: str) -> str:
    """What the record keeps of a key: its SHA-256, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def record_key(request: ResourceRequest) -> dict[str, Any]:
    return {"tenantId": {"S": request.tenant_id}, "keyName": {"S": f"{request.user_id}#{request.name}"}}


def encryption_context(request: ResourceRequest) -> dict[str, str]:
    """Binds a delivered ciphertext to its user: decrypting it needs the same context."""
    return {"tenant-id": request.tenant_id, "user-id": request.user_id, "key-name": request.name}


def handle(event: Mapping[str, Any], *, dynamodb: Any, kms: Any, settings: ApiKeySettings) -> dict[str, Any]:
    """Provision or deprovision one API key, as ``event["action"]`` says."""
    return dispatch(
        event,
        ensure=lambda request: ensure(request, dynamodb=dynamodb, kms=kms, settings=settings),
        remove=lambda request: remove(request, dynamodb=dynamodb, settings=settings),
    )


def ensure(request: ResourceRequest, *, dynamodb: Any, kms: Any, settings: ApiKeySettings) -> dict[str, Any]:
    """Create the key unless this user already has it, delivering it (encrypted) only then.

    Safe to repeat; never rotates a key.
    """
    answer = {"resourceId": _resource_id(settings, request)}
    if _get(dynamodb, settings, request) is not None:
        return {**answer, "delivered": False}
    key = new_key()
    with transient_aws_errors("encrypt the API key for delivery"):
        ciphertext = kms.encrypt(
            KeyId=settings.delivery_key_id,
            Plaintext=key.encode(),
            EncryptionContext=encryption_context(request),
        )["CiphertextBlob"]
    try:
        with transient_aws_errors("store the API key's hash"):
            dynamodb.put_item(
                TableName=settings.table,
                Item={
                    **record_key(request),
                    "userId": {"S": request.user_id},
                    "name": {"S": request.name},
                    "keyHash": {"S": key_hash(key)},
                    # Enough to tell keys apart in a list, far too little to use.
                    "keyHint": {"S": key[: len(KEY_PREFIX) + 4]},
                    "status": {"S": ACTIVE},
                    "workflow": {"S": settings.workflow_name},
                    CREATOR_ATTRIBUTE: {"S": request.run_id},
                },
                ConditionExpression="attribute_not_exists(tenantId)",
            )
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise
        return {**answer, "delivered": False}  # created concurrently: that run delivered its key
    return {
        **answer,
        "delivered": True,
        "delivery": {
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "kmsKeyId": settings.delivery_key_id,
            "encryptionContext": encryption_context(request),
        },
    }


def remove(request: ResourceRequest, *, dynamodb: Any, settings: ApiKeySettings) -> dict[str, Any]:
    """Delete the key's record (revoking the key at once), only when this run created it."""
    outcome = remove_if_created_by(
        dynamodb, table=settings.table, key=record_key(request), request=request, what="API key record"
    )
    return {"outcome": outcome, "resourceId": _resource_id(settings, request)}


def verify(presented: str, *, dynamodb: Any, table: str) -> KeyOwner | None:
    """Whose active key ``presented`` is, or ``None``: what an authorizer calls for each request."""
    if not presented.startswith(KEY_PREFIX):
        return None
    digest = key_hash(presented)
    with transient_aws_errors("look up the API key"):
        items = dynamodb.query(
            TableName=table,
            IndexName=HASH_INDEX,
            KeyConditionExpression="keyHash = :hash",
            ExpressionAttributeValues={":hash": {"S": digest}},
        )["Items"]
    for item in items:
        if hmac.compare_digest(item["keyHash"]["S"], digest) and item.get("status", {}).get("S") == ACTIVE:
            return KeyOwner(item["tenantId"]["S"], item["userId"]["S"], item["name"]["S"])
    return None


def _get(dynamodb: Any, settings: ApiKeySettings, request: ResourceRequest) -> dict[str, Any] | None:
    with transient_aws_errors("look up the API key record"):
        item = dynamodb.get_item(TableName=settings.table, Key=record_key(request), ConsistentRead=True).get(
            "Item"
        )
    return dict(item) if item else None


def _resource_id(settings: ApiKeySettings, request: ResourceRequest) -> str:
    return f"{settings.table}/{request.tenant_id}/{request.user_id}/{request.name}"
