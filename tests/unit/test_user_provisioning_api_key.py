"""The api-key provisioner against moto's DynamoDB and KMS (lambdas/user_provisioning/api_key.py)."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from moto import mock_aws
from user_provisioning import api_key
from user_provisioning.resource_request import ResourceRequest

RUN = "arn:aws:states:eu-west-1:123456789012:execution:user-provisioning:run-1"
OTHER_RUN = "arn:aws:states:eu-west-1:123456789012:execution:user-provisioning:run-0"
RECORD_KEY = {"tenantId": {"S": "acme"}, "keyName": {"S": "u-1#default"}}


def event(action="provision", run=RUN, user="u-1"):
    return {
        "action": action,
        "correlationId": "corr-1",
        "runId": run,
        "tenantId": "acme",
        "user": {"id": user, "email": "ada@acme.example", "role": "admin"},
        "resource": {
            "index": 3,
            "type": "api-key",
            "name": "default",
            "key": "api-key#default",
            "config": {"name": "default"},
        },
    }


def create_api_keys_table(dynamodb, name="api-keys"):
    """The table the construct creates: tenant and ``<user>#<name>``, with the ``byHash`` index."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "tenantId", "KeyType": "HASH"},
            {"AttributeName": "keyName", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "tenantId", "AttributeType": "S"},
            {"AttributeName": "keyName", "AttributeType": "S"},
            {"AttributeName": "keyHash", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byHash",
                "KeySchema": [{"AttributeName": "keyHash", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def clients():
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        kms = boto3.client("kms", region_name="eu-west-1")
        create_api_keys_table(dynamodb)
        settings = api_key.ApiKeySettings.from_environment(
            {
                "WORKFLOW_NAME": "user-provisioning",
                "API_KEY_TABLE": "api-keys",
                "API_KEY_DELIVERY_KEY_ID": kms.create_key()["KeyMetadata"]["Arn"],
            }
        )
        yield dynamodb, kms, settings


def delivered_key(kms, answer) -> str:
    """What whoever hands the key to the user does: decrypt the delivery with its context."""
    delivery = answer["delivery"]
    return kms.decrypt(
        CiphertextBlob=base64.b64decode(delivery["ciphertext"]),
        EncryptionContext=delivery["encryptionContext"],
    )["Plaintext"].decode()


def test_an_api_key_is_not_readable_from_storage_only_its_hash_is_kept_and_verification_works(clients):
    dynamodb, kms, settings = clients

    # WHEN a key is provisioned
    answer = api_key.handle(event(), dynamodb=dynamodb, kms=kms, settings=settings)

    # THEN the key reaches its user once, encrypted for the delivery key and bound to the user
    key = delivered_key(kms, answer)
    assert key.startswith("upk_")
    assert len(key) > 40
    assert answer["delivered"] is True
    assert key not in json.dumps(answer)
    # AND the record keeps its SHA-256 and a short hint, never the key: a table reader holds nothing usable
    (record,) = dynamodb.scan(TableName="api-keys")["Items"]
    assert record["keyHash"] == {"S": api_key.key_hash(key)}
    assert record["keyHint"]["S"] == key[:8]
    assert key not in json.dumps(record)
    # AND nothing is a Secrets Manager secret any more
    assert boto3.client("secretsmanager", region_name="eu-west-1").list_secrets()["SecretList"] == []
    # AND the presented key verifies as this user's, and nothing else does
    assert api_key.verify(key, dynamodb=dynamodb, table="api-keys") == api_key.KeyOwner(
        "acme", "u-1", "default"
    )
    assert (
        api_key.verify(key[:-1] + ("A" if key[-1] != "A" else "B"), dynamodb=dynamodb, table="api-keys")
        is None
    )
    assert api_key.verify(record["keyHash"]["S"], dynamodb=dynamodb, table="api-keys") is None


def test_the_delivery_cannot_be_opened_as_another_users_key(clients):
    dynamodb, kms, settings = clients
    answer = api_key.handle(event(), dynamodb=dynamodb, kms=kms, settings=settings)

    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(
            CiphertextBlob=base64.b64decode(answer["delivery"]["ciphertext"]),
            EncryptionContext={**answer["delivery"]["encryptionContext"], "user-id": "u-2"},
        )


def test_provisioning_again_keeps_the_key_and_never_shows_it_twice(clients):
    dynamodb, kms, settings = clients
    first = api_key.handle(event(), dynamodb=dynamodb, kms=kms, settings=settings)
    key = delivered_key(kms, first)

    second = api_key.handle(event(run=OTHER_RUN), dynamodb=dynamodb, kms=kms, settings=settings)

    assert second == {"resourceId": first["resourceId"], "delivered": False}
    assert api_key.verify(key, dynamodb=dynamodb, table="api-keys") is not None
    assert dynamodb.scan(TableName="api-keys")["Count"] == 1


def test_deprovision_revokes_the_key_so_a_rerun_can_create_a_new_one(clients):
    dynamodb, kms, settings = clients
    key = delivered_key(kms, api_key.handle(event(), dynamodb=dynamodb, kms=kms, settings=settings))

    removed = api_key.handle(event(action="deprovision"), dynamodb=dynamodb, kms=kms, settings=settings)

    assert removed["outcome"] == "REMOVED"
    assert api_key.verify(key, dynamodb=dynamodb, table="api-keys") is None
    again = api_key.handle(event(run=OTHER_RUN), dynamodb=dynamodb, kms=kms, settings=settings)
    assert again["delivered"] is True
    kept = api_key.handle(event(action="deprovision"), dynamodb=dynamodb, kms=kms, settings=settings)
    assert kept["outcome"] == "KEPT"


def test_deprovision_of_a_missing_key_finds_it_already_gone(clients):
    dynamodb, kms, settings = clients
    result = api_key.handle(event(action="deprovision"), dynamodb=dynamodb, kms=kms, settings=settings)
    assert result == {"outcome": "ALREADY_GONE", "resourceId": "api-keys/acme/u-1/default"}


def test_a_key_created_concurrently_is_not_overwritten(clients):
    dynamodb, kms, settings = clients
    # GIVEN another run stored the user's key between this run's look-up and its write
    dynamodb.put_item(
        TableName="api-keys",
        Item={**RECORD_KEY, "keyHash": {"S": "theirs"}, "provisionedBy": {"S": OTHER_RUN}},
    )

    class LateLookup:
        def __getattr__(self, name):
            return getattr(dynamodb, name)

        def get_item(self, **_):
            return {}

    # WHEN this run writes THEN the other run's key stays, and this run delivers nothing
    result = api_key.ensure(
        ResourceRequest.from_event(event()), dynamodb=LateLookup(), kms=kms, settings=settings
    )
    assert result["delivered"] is False
    assert dynamodb.get_item(TableName="api-keys", Key=RECORD_KEY)["Item"]["keyHash"] == {"S": "theirs"}
