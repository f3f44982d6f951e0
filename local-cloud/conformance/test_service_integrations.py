"""Optimized integrations' results: the service's answer plus the HTTP metadata AWS adds, or not.

AWS's developer guide shows the request-response result of ``lambda:invoke``
(https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html) with
``SdkHttpMetadata`` (``AllHttpHeaders``: every header's values, ``HttpHeaders``: the last value,
``HttpStatusCode``) and ``SdkResponseMetadata`` (``RequestId``); DynamoDB, SQS, SNS and
``states:startExecution`` answer the same way; ``events:putEvents`` and ``aws-sdk:*`` do not (for
SQS, nested executions, ``.waitForTaskToken``'s ``TaskSubmitted`` output and EventBridge the shapes
were checked against executions recorded on AWS in LocalStack's snapshot tests,
``tests/aws/services/stepfunctions/v2/services/*.snapshot.json``). The
headers AWS's front end sends (``x-amz-crc32``, its ``Server``) are not asserted: the local
cloud's are its own server's. The status code and the request id are.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import pytest

METADATA = {"SdkHttpMetadata", "SdkResponseMetadata"}

ECHO = """
def handler(event, context):
    return {"echo": event}
"""


def _task(resource: str, parameters: dict, **fields) -> dict:
    return {
        "StartAt": "Call",
        "States": {
            "Call": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True, **fields}
        },
    }


def _assert_aws_metadata(result: dict) -> None:
    metadata = result["SdkHttpMetadata"]
    assert set(metadata) == {"AllHttpHeaders", "HttpHeaders", "HttpStatusCode"}
    assert metadata["HttpStatusCode"] == 200
    every, last = metadata["AllHttpHeaders"], metadata["HttpHeaders"]
    assert set(every) == set(last)
    assert all(isinstance(values, list) and values[-1] == last[name] for name, values in every.items())
    request_id = result["SdkResponseMetadata"]["RequestId"]
    assert result["SdkResponseMetadata"] == {"RequestId": request_id}
    assert request_id
    assert request_id in {value for name, value in last.items() if name.lower() == "x-amzn-requestid"}


@pytest.fixture(scope="module")
def services(conformance_cloud):
    name = f"conformance-{uuid.uuid4().hex[:8]}"
    queue = conformance_cloud.client("sqs").create_queue(QueueName=name)["QueueUrl"]
    topic = conformance_cloud.client("sns").create_topic(Name=name)["TopicArn"]
    conformance_cloud.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    role = conformance_cloud.client("iam").create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ]
            }
        ),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("echo.py", ECHO)
    function = conformance_cloud.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="echo.handler",
        Code={"ZipFile": code.getvalue()},
    )["FunctionArn"]
    return {"queue": queue, "topic": topic, "table": name, "function": function}


@pytest.mark.conformance("service-integrations")
def test_sqs_send_message_returns_the_message_id_and_the_http_metadata(cases, services):
    run = cases.run(
        _task("arn:aws:states:::sqs:sendMessage", {"QueueUrl": services["queue"], "MessageBody": "hello"})
    )

    assert run.status == "SUCCEEDED"
    assert set(run.output) == {"MD5OfMessageBody", "MessageId", *METADATA}
    _assert_aws_metadata(run.output)


@pytest.mark.conformance("service-integrations")
def test_sns_publish_returns_the_message_id_and_the_http_metadata(cases, services):
    run = cases.run(
        _task("arn:aws:states:::sns:publish", {"TopicArn": services["topic"], "Message": "hello"})
    )

    assert run.status == "SUCCEEDED"
    assert set(run.output) == {"MessageId", *METADATA}
    _assert_aws_metadata(run.output)


@pytest.mark.conformance("service-integrations")
def test_dynamodb_put_and_get_item_return_the_http_metadata(cases, services):
    item = {"id": {"S": "order-1"}, "total": {"N": "12"}}
    put = cases.run(
        _task("arn:aws:states:::dynamodb:putItem", {"TableName": services["table"], "Item": item})
    )
    got = cases.run(
        _task(
            "arn:aws:states:::dynamodb:getItem",
            {"TableName": services["table"], "Key": {"id": {"S": "order-1"}}},
        )
    )

    assert (put.status, set(put.output)) == ("SUCCEEDED", METADATA)
    assert (got.status, set(got.output)) == ("SUCCEEDED", {"Item", *METADATA})
    assert got.output["Item"] == item
    _assert_aws_metadata(put.output)
    _assert_aws_metadata(got.output)


@pytest.mark.conformance("service-integrations")
def test_lambda_invoke_nests_the_payload_in_the_invocation_metadata(cases, services):
    # The documented shape: ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode.
    run = cases.run(
        _task("arn:aws:states:::lambda:invoke", {"FunctionName": services["function"], "Payload": {"n": 1}})
    )

    assert run.status == "SUCCEEDED"
    assert set(run.output) == {"ExecutedVersion", "Payload", "StatusCode", *METADATA}
    assert (run.output["ExecutedVersion"], run.output["Payload"], run.output["StatusCode"]) == (
        "$LATEST",
        {"echo": {"n": 1}},
        200,
    )
    _assert_aws_metadata(run.output)


@pytest.mark.conformance("service-integrations")
def test_a_lambda_function_arn_as_the_resource_returns_the_payload_only(cases, services):
    run = cases.run(
        {
            "StartAt": "Call",
            "States": {"Call": {"Type": "Task", "Resource": services["function"], "End": True}},
        },
        {"n": 2},
    )

    assert (run.status, run.output) == ("SUCCEEDED", {"echo": {"n": 2}})


@pytest.mark.conformance("service-integrations")
def test_a_nested_start_execution_returns_its_arn_start_date_and_the_http_metadata(cases):
    child = cases.create({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})

    run = cases.run(_task("arn:aws:states:::states:startExecution", {"StateMachineArn": child, "Input": {}}))

    assert run.status == "SUCCEEDED"
    assert set(run.output) == {"ExecutionArn", "StartDate", *METADATA}
    assert run.output["ExecutionArn"].startswith(child.replace(":stateMachine:", ":execution:") + ":")
    _assert_aws_metadata(run.output)


@pytest.mark.conformance("service-integrations")
def test_a_wait_for_task_token_call_answers_with_metadata_and_the_task_with_the_callback_output(
    cases, services
):
    sfn = cases.sfn
    arn = cases.start(
        cases.create(
            _task(
                "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                {"QueueUrl": services["queue"], "MessageBody": {"token.$": "$$.Task.Token"}},
            )
        )
    )
    token = _submitted_token(cases, arn)
    sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    run = cases.wait(arn)

    (submitted,) = run.events("TaskSubmitted")
    assert set(json.loads(submitted["taskSubmittedEventDetails"]["output"])) == {
        "MD5OfMessageBody",
        "MessageId",
        *METADATA,
    }
    assert (run.status, run.output) == ("SUCCEEDED", {"approved": True})


def _submitted_token(cases, execution_arn: str) -> str:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        history = cases.sfn.get_execution_history(executionArn=execution_arn)["events"]
        for event in history:
            if event["type"] == "TaskScheduled":
                token = json.loads(event["taskScheduledEventDetails"]["parameters"])["MessageBody"]["token"]
                if any(later["type"] == "TaskSubmitted" for later in history):
                    return str(token)
        time.sleep(0.02)
    raise AssertionError(f"[{execution_arn}] never submitted its task")


@pytest.mark.conformance("service-integrations")
def test_a_result_selector_reads_the_http_status_code(cases, services):
    run = cases.run(
        _task(
            "arn:aws:states:::sqs:sendMessage",
            {"QueueUrl": services["queue"], "MessageBody": "hello"},
            ResultSelector={"status.$": "$.SdkHttpMetadata.HttpStatusCode", "id.$": "$.MessageId"},
        )
    )

    assert run.status == "SUCCEEDED"
    assert run.output["status"] == 200


@pytest.mark.conformance("service-integrations")
def test_jsonata_output_reads_the_http_status_code(cases, services):
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Arguments": {"TopicArn": services["topic"], "Message": "hello"},
                "Output": "{% $states.result.SdkHttpMetadata.HttpStatusCode %}",
                "End": True,
            }
        },
    }

    run = cases.run(definition)

    assert (run.status, run.output) == ("SUCCEEDED", 200)


@pytest.mark.conformance("service-integrations")
def test_eventbridge_put_events_returns_entries_without_http_metadata(cases):
    run = cases.run(
        _task(
            "arn:aws:states:::events:putEvents",
            {"Entries": [{"Source": "conformance", "DetailType": "case", "Detail": {"n": 1}}]},
        )
    )

    assert run.status == "SUCCEEDED"
    assert set(run.output) == {"Entries", "FailedEntryCount"}
    assert run.output["FailedEntryCount"] == 0


@pytest.mark.conformance("service-integrations")
def test_an_aws_sdk_integration_returns_the_sdk_response_without_http_metadata(cases, services):
    run = cases.run(
        _task(
            "arn:aws:states:::aws-sdk:sqs:getQueueAttributes",
            {"QueueUrl": services["queue"], "AttributeNames": ["QueueArn"]},
        )
    )

    assert run.status == "SUCCEEDED"
    assert set(run.output) == {"Attributes"}
