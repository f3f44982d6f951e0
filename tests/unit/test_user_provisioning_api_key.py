"""The api-key provisioner against moto's Secrets Manager (lambdas/user_provisioning/api_key.py)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from user_provisioning import api_key
from user_provisioning.errors import ResourceConflictError

RUN = "arn:aws:states:eu-west-1:123456789012:execution:user-provisioning:run-1"
OTHER_RUN = "arn:aws:states:eu-west-1:123456789012:execution:user-provisioning:run-0"
SETTINGS = api_key.ApiKeySettings.from_environment(
    {"WORKFLOW_NAME": "user-provisioning", "API_KEY_SECRET_PREFIX": "user-provisioning/api-keys/"}
)
SECRET_NAME = "user-provisioning/api-keys/acme/u-1/default"


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


@pytest.fixture
def secretsmanager():
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="eu-west-1")


def test_provision_stores_a_fresh_key_and_returns_only_its_arn(secretsmanager):
    # WHEN a key is provisioned
    result = api_key.handle(event(), secretsmanager=secretsmanager, settings=SETTINGS)

    # THEN the secret holds a generated key, tagged with its owner and creator, and the answer holds no key
    secret = secretsmanager.describe_secret(SecretId=SECRET_NAME)
    assert result == {"resourceId": secret["ARN"], "secretName": SECRET_NAME}
    value = secretsmanager.get_secret_value(SecretId=SECRET_NAME)["SecretString"]
    assert value.startswith("upk_")
    assert len(value) > 40
    assert value not in str(result)
    assert {t["Key"]: t["Value"] for t in secret["Tags"]} == {
        "tenant-id": "acme",
        "user-id": "u-1",
        "provisioned-by": RUN,
        "workflow": "user-provisioning",
    }


def test_provisioning_again_keeps_the_key(secretsmanager):
    first = api_key.handle(event(), secretsmanager=secretsmanager, settings=SETTINGS)
    value = secretsmanager.get_secret_value(SecretId=SECRET_NAME)["SecretString"]

    second = api_key.handle(event(run=OTHER_RUN), secretsmanager=secretsmanager, settings=SETTINGS)

    assert second == first
    assert secretsmanager.get_secret_value(SecretId=SECRET_NAME)["SecretString"] == value


def test_deprovision_deletes_at_once_so_a_rerun_can_create_the_name_again(secretsmanager):
    api_key.handle(event(), secretsmanager=secretsmanager, settings=SETTINGS)

    removed = api_key.handle(event(action="deprovision"), secretsmanager=secretsmanager, settings=SETTINGS)

    assert removed["outcome"] == "REMOVED"
    assert secretsmanager.list_secrets()["SecretList"] == []
    # A new run creates the key again under the same name
    again = api_key.handle(event(run=OTHER_RUN), secretsmanager=secretsmanager, settings=SETTINGS)
    assert again["secretName"] == SECRET_NAME
    gone = api_key.handle(
        event(action="deprovision", run="arn:aws:states:::execution:x:other"),
        secretsmanager=secretsmanager,
        settings=SETTINGS,
    )
    assert gone["outcome"] == "KEPT"


def test_deprovision_of_a_missing_key_finds_it_already_gone(secretsmanager):
    result = api_key.handle(event(action="deprovision"), secretsmanager=secretsmanager, settings=SETTINGS)
    assert result == {"outcome": "ALREADY_GONE", "secretName": SECRET_NAME}


def test_a_key_scheduled_for_deletion_needs_a_person(secretsmanager):
    # GIVEN the user's key deleted by someone with a recovery window
    api_key.handle(event(), secretsmanager=secretsmanager, settings=SETTINGS)
    secretsmanager.delete_secret(SecretId=SECRET_NAME, RecoveryWindowInDays=7)

    # WHEN provisioning it THEN the run does not quietly restore a revoked key
    with pytest.raises(ResourceConflictError, match="scheduled for deletion"):
        api_key.handle(event(), secretsmanager=secretsmanager, settings=SETTINGS)


def test_a_secret_of_another_user_under_the_name_is_a_conflict(secretsmanager):
    secretsmanager.create_secret(
        Name=SECRET_NAME, SecretString="theirs", Tags=[{"Key": "user-id", "Value": "u-9"}]
    )
    with pytest.raises(ResourceConflictError, match="not tagged for this tenant and user"):
        api_key.handle(event(), secretsmanager=secretsmanager, settings=SETTINGS)
