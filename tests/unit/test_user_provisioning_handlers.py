"""The user-provisioning Lambda entry points with their decorators: observability and idempotency."""

from __future__ import annotations

import json
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws
from user_provisioning.errors import ProvisioningRequestInvalid

from business_workflows.provisioners import default_resource_types
from tests.unit.test_user_provisioning_api_key import create_api_keys_table

RUN = "arn:aws:states:eu-west-1:123456789012:execution:user-provisioning:run-1"


@dataclass
class LambdaContext:
    function_name: str = "user-provisioning-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:user-provisioning-test"
    aws_request_id: str = "request-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_environment(monkeypatch):
    for name, value in {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "user-provisioning",
        "POWERTOOLS_METRICS_NAMESPACE": "user-provisioning",
        "RESOURCE_TYPES": json.dumps(
            {
                t.type_name: t.spec()
                for t in default_resource_types(
                    access_scope_trusted_principal_arn="arn:aws:iam::123456789012:role/sign-in"
                )
            }
        ),
        "LOCK_SECONDS": "3600",
        "WORKFLOW_NAME": "user-provisioning",
        "IDEMPOTENCY_TABLE": "idempotency",
        "API_KEY_TABLE": "api-keys",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName="idempotency",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        create_api_keys_table(boto3.client("dynamodb"))
        monkeypatch.setenv("API_KEY_DELIVERY_KEY_ID", boto3.client("kms").create_key()["KeyMetadata"]["Arn"])
        from user_provisioning import handler
        from workflow_runtime.idempotency import persistence_layer

        persistence_layer.cache_clear()
        handler._client.cache_clear()
        yield handler
        persistence_layer.cache_clear()
        handler._client.cache_clear()


def test_validate_request_plans_a_valid_request(lambda_environment):
    plan = lambda_environment.validate_request(
        {
            "correlationId": "corr-1",
            "tenantId": "acme",
            "user": {"id": "u-1", "email": "ada@acme.example", "role": "admin"},
            "resources": [{"type": "storage-prefix", "config": {}}],
        },
        LambdaContext(),
    )
    assert [r["key"] for r in plan["resources"]] == ["storage-prefix#home"]


def test_validate_request_fails_with_the_workflows_error_name(lambda_environment):
    with pytest.raises(ProvisioningRequestInvalid) as raised:
        lambda_environment.validate_request({"correlationId": "corr-1"}, LambdaContext())
    # Step Functions names the error after the exception class.
    assert type(raised.value).__name__ == "ProvisioningRequestInvalid"


def test_a_repeated_invocation_returns_the_first_answer_without_acting_again(lambda_environment):
    # GIVEN an API key provisioned once by this run
    event = {
        "action": "provision",
        "correlationId": "corr-1",
        "runId": RUN,
        "tenantId": "acme",
        "user": {"id": "u-1", "email": "ada@acme.example", "role": "admin"},
        "resource": {
            "index": 0,
            "type": "api-key",
            "name": "default",
            "key": "api-key#default",
            "config": {},
        },
    }
    first = lambda_environment.api_key_resource(event, LambdaContext())
    dynamodb = boto3.client("dynamodb")
    dynamodb.delete_item(
        TableName="api-keys", Key={"tenantId": {"S": "acme"}, "keyName": {"S": "u-1#default"}}
    )

    # WHEN the same invocation is delivered again (a Step Functions retry of a step that succeeded)
    second = lambda_environment.api_key_resource(event, LambdaContext(aws_request_id="request-2"))

    # THEN it answers from the idempotency record and does not create a second key
    assert second == first
    assert dynamodb.scan(TableName="api-keys")["Items"] == []
    # ... while the removal, a different action, does run
    removal = lambda_environment.api_key_resource({**event, "action": "deprovision"}, LambdaContext())
    assert removal["outcome"] == "ALREADY_GONE"
