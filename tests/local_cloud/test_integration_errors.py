"""Optimized integrations fail on the local cloud with AWS's error names (patch "sfn-optimized-error-names").

Each case is a one-task state machine whose call fails for a real reason (a conditional put on an
item that exists, a message to a deleted queue, ...) and whose Catch names only the exact error
AWS raises: the execution succeeds only when that Catch is taken. Before the patch moto named these
``SQS.SdkClientException``, ``DynamoDB.ValidationException``, ``States.Runtime``, ...
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from workflow_constructs import aws_errors
from workflow_local_cloud import running_local_cloud
from workflow_local_cloud.integration_errors import INTEGRATIONS, error_name, modelled_errors

ROLE_ARN = "arn:aws:iam::123456789012:role/error-names"
ACCOUNT_REGION = "us-east-1:123456789012"


@pytest.fixture(scope="module")
def cloud():
    with running_local_cloud() as harness:
        yield harness


@pytest.fixture(scope="module")
def failing_targets(cloud):
    """What the failing calls aim at: an existing item, a deleted queue, a queue taking 1 KiB messages."""
    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="orders", Item={"pk": {"S": "order-1"}, "state": {"S": "paid"}})
    sqs = cloud.client("sqs")
    deleted_queue = sqs.create_queue(QueueName="deleted-queue")["QueueUrl"]
    sqs.delete_queue(QueueUrl=deleted_queue)
    small_queue = sqs.create_queue(QueueName="small-queue", Attributes={"MaximumMessageSize": "1024"})[
        "QueueUrl"
    ]
    return {"deleted_queue": deleted_queue, "small_queue": small_queue}


def _run_caught(cloud: Any, resource: str, parameters: dict[str, Any], error: str) -> dict[str, Any]:
    """Run a task that must fail with ``error``: only a Catch on that name lets the execution succeed."""
    definition = {
        "StartAt": "Call the service",
        "States": {
            "Call the service": {
                "Type": "Task",
                "Resource": resource,
                "Parameters": parameters,
                "Catch": [{"ErrorEquals": [error], "ResultPath": "$.caught", "Next": "Caught the AWS error"}],
                "End": True,
            },
            "Caught the AWS error": {"Type": "Pass", "End": True},
        },
    }
    sfn = cloud.client("stepfunctions")
    arn = sfn.create_state_machine(
        name=f"error-names-{uuid.uuid4().hex[:12]}", definition=json.dumps(definition), roleArn=ROLE_ARN
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, name="caught", input="{}")["executionArn"]
    for _ in range(600):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.02)
    assert described["status"] == "SUCCEEDED", (
        f"expected the Catch on [{error}]; the task failed {described.get('error')}: {described.get('cause')}"
    )
    return dict(json.loads(described["output"])["caught"])


CASES = {
    "a conditional put on an existing item": (
        "arn:aws:states:::dynamodb:putItem",
        {
            "TableName": "orders",
            "Item": {"pk": {"S": "order-1"}},
            "ConditionExpression": "attribute_not_exists(pk)",
        },
        "DynamoDB.ConditionalCheckFailedException",
    ),
    "a conditional update whose condition is false": (
        "arn:aws:states:::dynamodb:updateItem",
        {
            "TableName": "orders",
            "Key": {"pk": {"S": "order-1"}},
            "UpdateExpression": "SET #s = :new",
            "ConditionExpression": "#s = :expected",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {":new": {"S": "shipped"}, ":expected": {"S": "refunded"}},
        },
        "DynamoDB.ConditionalCheckFailedException",
    ),
    "a delete from a table that does not exist": (
        "arn:aws:states:::dynamodb:deleteItem",
        {"TableName": "no-such-table", "Key": {"pk": {"S": "order-1"}}},
        "DynamoDB.ResourceNotFoundException",
    ),
    "a get with a key off the schema (ValidationException is not modelled)": (
        "arn:aws:states:::dynamodb:getItem",
        {"TableName": "orders", "Key": {"not_the_key": {"S": "order-1"}}},
        "DynamoDB.AmazonDynamoDBException",
    ),
    "a message to a deleted queue": (
        "arn:aws:states:::sqs:sendMessage",
        {"QueueUrl": "{deleted_queue}", "MessageBody": "hello"},
        "SQS.QueueDoesNotExistException",
    ),
    "a message over the queue's maximum size (InvalidParameterValue is not modelled)": (
        "arn:aws:states:::sqs:sendMessage",
        {"QueueUrl": "{small_queue}", "MessageBody": "x" * 2048},
        "SQS.AmazonSQSException",
    ),
    "a publish to a topic that does not exist": (
        "arn:aws:states:::sns:publish",
        {"TopicArn": f"arn:aws:sns:{ACCOUNT_REGION}:no-such-topic", "Message": "hello"},
        "SNS.NotFoundException",
    ),
    "events put on a bus that does not exist": (
        "arn:aws:states:::events:putEvents",
        {
            "Entries": [
                {"EventBusName": "no-such-bus", "Source": "orders", "DetailType": "paid", "Detail": {}}
            ]
        },
        "EventBridge.ResourceNotFoundException",
    ),
    "an event the bus refuses (malformed detail)": (
        "arn:aws:states:::events:putEvents",
        {"Entries": [{"Source": "orders", "DetailType": "paid", "Detail": "not json"}]},
        "EventBridge.FailedEntry",
    ),
    "a nested execution of a state machine that does not exist": (
        "arn:aws:states:::states:startExecution",
        {"StateMachineArn": f"arn:aws:states:{ACCOUNT_REGION}:stateMachine:no-such-machine", "Input": {}},
        "StepFunctions.StateMachineDoesNotExistException",
    ),
    "an invoke of a function that does not exist": (
        "arn:aws:states:::lambda:invoke",
        {"FunctionName": "no-such-function", "Payload": {}},
        "Lambda.ResourceNotFoundException",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_catch_on_the_aws_error_name_is_taken(cloud, failing_targets, case):
    # GIVEN a task whose call fails for a real reason, caught only by the name AWS gives that failure
    resource, parameters, error = CASES[case]
    text = json.dumps(parameters)
    for target, value in failing_targets.items():
        text = text.replace("{" + target + "}", value)
    parameters = json.loads(text)

    # WHEN it runs on the local cloud
    caught = _run_caught(cloud, resource, parameters, error)

    # THEN the Catch on that exact name was taken
    assert caught["Error"] == error


def test_an_unmodelled_code_keeps_its_code_in_the_cause(cloud, failing_targets):
    # GIVEN a get with a key off the table's schema: DynamoDB answers ValidationException, not modelled
    # WHEN it fails
    caught = _run_caught(
        cloud,
        "arn:aws:states:::dynamodb:getItem",
        {"TableName": "orders", "Key": {"not_the_key": {"S": "order-1"}}},
        "DynamoDB.AmazonDynamoDBException",
    )

    # THEN the generic class is the error, the real code is in the Cause
    assert "Error Code: ValidationException" in caught["Cause"]
    assert "Service: AmazonDynamoDBv2" in caught["Cause"]


# Not produced by any service response: raised by the Java SDK on the client side (the local cloud
# raises these only as injected faults, see ``steps.TaskStep.transient_error``).
CLIENT_SIDE = {"Lambda.SdkClientException", "Lambda.ClientExecutionTimeoutException"}
# Raised by Step Functions itself from a PutEvents answer, not from an error code (a case above).
FROM_THE_ANSWER = {"EventBridge.FailedEntry"}
# Codes AWS answers that botocore's model of the service does not declare: named as the table says.
TABLED_NOT_MODELLED = {"StepFunctions.ThrottlingException"}


def _wire_code(integration: str, name: str) -> str | None:
    """The error code a service answers for ``name``, as botocore's model declares it (None: not declared)."""
    entry = aws_errors.OPTIMIZED[integration]
    code = name.removeprefix(f"{entry.prefix}.")
    modelled = modelled_errors(
        next(service for key, service, _, _ in INTEGRATIONS.values() if key == integration)
    )
    # the model may hold the code without the suffix (RequestLimitExceeded, QueueDoesNotExist, Throttled)
    return next((wire for wire in (code, code.removesuffix("Exception")) if wire in modelled), None)


@pytest.mark.parametrize("integration", aws_errors.OPTIMIZED, ids=list(aws_errors.OPTIMIZED))
def test_every_name_the_error_table_lists_is_what_the_local_cloud_names_its_code(integration):
    # GIVEN the names the library's table says this integration raises (and its generic class)
    entry = aws_errors.OPTIMIZED[integration]
    names = {*entry.transient, entry.throttled, entry.permanent} - CLIENT_SIDE - FROM_THE_ANSWER
    for name in sorted(names):
        # WHEN the service answers with the code botocore's model declares for it
        wire = _wire_code(integration, name)
        if name == entry.generic:
            wire = "SomeCodeTheModelDoesNotDeclare"
        elif wire is None:
            assert name in TABLED_NOT_MODELLED, f"[{name}] is in neither botocore's model nor the known list"
            wire = name.removeprefix(f"{entry.prefix}.")

        # THEN the local cloud names the failure as the table does
        assert error_name(integration, {"Code": wire}) == name, (integration, wire)


def test_an_unmodelled_code_is_the_integrations_generic_class():
    # GIVEN codes no service model declares
    # WHEN an optimized integration's call fails with one
    # THEN it is the SDK's generic class of that service (the table's, or the Java SDK v1 name)
    assert error_name("dynamodb", {"Code": "ValidationException"}) == "DynamoDB.AmazonDynamoDBException"
    assert error_name("sqs", {"Code": "InvalidParameterValue"}) == "SQS.AmazonSQSException"
    assert error_name("sns", {"Code": "InvalidClientTokenId"}) == "SNS.AmazonSNSException"
    assert error_name("states", {"Code": "UnrecognizedClientException"}) == (
        "StepFunctions.AWSStepFunctionsException"
    )


def test_the_table_and_the_patch_cover_the_same_integrations():
    assert {key for key, _, _, _ in INTEGRATIONS.values()} == set(aws_errors.OPTIMIZED)


@pytest.mark.parametrize("integration", aws_errors.OPTIMIZED, ids=list(aws_errors.OPTIMIZED))
def test_faults_injected_into_a_step_use_the_tables_throttled_name(integration):
    # GIVEN a Task of the optimized integration, retrying everything
    from workflow_local_cloud.steps import task_steps

    action = {
        "lambda": "invoke",
        "dynamodb": "putItem",
        "sns": "publish",
        "sqs": "sendMessage",
        "events": "putEvents",
        "states": "startExecution.sync",
    }[integration]
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": f"arn:aws:states:::{integration}:{action}",
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                "End": True,
            }
        },
    }
    (step,) = task_steps(definition, "machine")

    # WHEN the local cloud picks the fault to inject as its throttled call
    # THEN it is the name the table (and so the retry presets) say AWS raises, with AWS's cause
    assert step.transient_error == aws_errors.OPTIMIZED[integration].throttled
    assert step.transient_cause == aws_errors.OPTIMIZED[integration].throttled_cause
