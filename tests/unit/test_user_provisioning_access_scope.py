"""The access-scope provisioner against moto's DynamoDB (lambdas/user_provisioning/access_scope.py)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from user_provisioning import access_scope
from workflow_runtime.errors import TransientError

RUN = "arn:aws:states:eu-west-1:123456789012:execution:user-provisioning:run-1"
OTHER_RUN = "arn:aws:states:eu-west-1:123456789012:execution:user-provisioning:run-0"
ROLE = "arn:aws:iam::123456789012:role/user-provisioning/UserScopes"
SETTINGS = access_scope.AccessScopeSettings.from_environment(
    {"WORKFLOW_NAME": "user-provisioning", "ACCESS_GRANTS_TABLE": "grants", "ACCESS_SCOPE_ROLE_ARN": ROLE}
)


def event(action="provision", run=RUN, tenant="acme", user="u-1", name="default", access="read-write"):
    return {
        "action": action,
        "correlationId": "corr-1",
        "runId": run,
        "tenantId": tenant,
        "user": {"id": user, "email": f"{user}@acme.example", "role": "admin"},
        "resource": {
            "index": 0,
            "type": "access-scope",
            "name": name,
            "key": f"access-scope#{name}",
            "config": {"name": name, "access": access},
        },
    }


@pytest.fixture
def dynamodb():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(
            TableName="grants",
            KeySchema=[
                {"AttributeName": "tenantId", "KeyType": "HASH"},
                {"AttributeName": "scope", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "tenantId", "AttributeType": "S"},
                {"AttributeName": "scope", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def grant(dynamodb, tenant="acme", scope="u-1#default"):
    return dynamodb.get_item(TableName="grants", Key={"tenantId": {"S": tenant}, "scope": {"S": scope}}).get(
        "Item"
    )


def test_provision_records_a_grant_and_answers_how_to_open_the_users_session(dynamodb):
    # WHEN an access scope is provisioned
    result = access_scope.handle(event(), dynamodb=dynamodb, settings=SETTINGS)

    # THEN the grant names the user, the access level, the shared role and the run that created it
    item = grant(dynamodb)
    assert {k: v["S"] for k, v in item.items()} == {
        "tenantId": "acme",
        "scope": "u-1#default",
        "userId": "u-1",
        "scopeName": "default",
        "access": "read-write",
        "roleArn": ROLE,
        "workflow": "user-provisioning",
        "provisionedBy": RUN,
    }
    # AND the answer says which role and which session tags confine a session to this user
    assert result == {
        "resourceId": "grants/acme/u-1/default",
        "roleArn": ROLE,
        "sessionTags": {"tenant": "acme", "user": "u-1", "access": "read-write"},
    }


def test_provisioning_again_follows_the_access_level_and_keeps_the_creator(dynamodb):
    access_scope.handle(event(), dynamodb=dynamodb, settings=SETTINGS)

    again = access_scope.handle(
        event(run=OTHER_RUN, access="read-only"), dynamodb=dynamodb, settings=SETTINGS
    )

    assert again["sessionTags"]["access"] == "read-only"
    assert grant(dynamodb)["access"] == {"S": "read-only"}
    assert grant(dynamodb)["provisionedBy"] == {"S": RUN}
    assert dynamodb.scan(TableName="grants")["Count"] == 1


def test_grants_differ_per_tenant_user_and_scope(dynamodb):
    for tenant in ("acme", "globex"):
        for user in ("u-1", "u-2"):
            for name in ("default", "reports"):
                access_scope.handle(
                    event(tenant=tenant, user=user, name=name), dynamodb=dynamodb, settings=SETTINGS
                )
    assert dynamodb.scan(TableName="grants")["Count"] == 8


def test_deprovision_removes_the_grant_this_run_created(dynamodb):
    access_scope.handle(event(), dynamodb=dynamodb, settings=SETTINGS)

    removed = access_scope.handle(event(action="deprovision"), dynamodb=dynamodb, settings=SETTINGS)

    assert removed == {"outcome": "REMOVED", "resourceId": "grants/acme/u-1/default"}
    assert grant(dynamodb) is None
    again = access_scope.handle(event(action="deprovision"), dynamodb=dynamodb, settings=SETTINGS)
    assert again["outcome"] == "ALREADY_GONE"


def test_deprovision_keeps_a_grant_another_run_created(dynamodb):
    access_scope.handle(event(run=OTHER_RUN), dynamodb=dynamodb, settings=SETTINGS)

    result = access_scope.handle(event(action="deprovision"), dynamodb=dynamodb, settings=SETTINGS)

    assert result["outcome"] == "KEPT"
    assert grant(dynamodb)["provisionedBy"] == {"S": OTHER_RUN}


class ThrottledDynamoDb:
    """DynamoDB that is throttled on every call."""

    def update_item(self, **_):
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
            "UpdateItem",
        )


def test_throttling_is_a_transient_error_the_workflow_retries():
    with pytest.raises(TransientError, match="ProvisionedThroughputExceededException"):
        access_scope.handle(event(), dynamodb=ThrottledDynamoDb(), settings=SETTINGS)
