"""``workflow_tools.deployment_entry``: SigV4-signed POSTs on AWS, the API Gateway event locally."""

from __future__ import annotations

import io
import json

import pytest
from botocore.credentials import Credentials
from workflow_tools.deployment_entry import APPROVALS_ROUTE, EntryCallError, EntryClients, call_entry

OUTPUTS = {
    "EntryUrl": "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/",
    "EntryFunctionName": "StackDeployment-Entry",
}
CALLER = "arn:aws:sts::123456789012:assumed-role/Deployer/ben"
BODY = {"execution": "release-42", "decision": "approve"}


class FakeCloudFormation:
    def __init__(self, outputs):
        self.outputs = outputs

    def describe_stacks(self, StackName):  # noqa: N803
        return {
            "Stacks": [{"Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()]}]
        }


class FakeLambda:
    def __init__(self):
        self.invoked = []

    def invoke(self, FunctionName, InvocationType, Payload):  # noqa: N803
        self.invoked.append((FunctionName, json.loads(Payload)))
        body = json.dumps({"decidedBy": CALLER})
        return {"Payload": io.BytesIO(json.dumps({"statusCode": 200, "body": body}).encode())}


class FakeSts:
    def get_caller_identity(self):
        return {"Arn": CALLER}


def test_post_signs_for_execute_api_and_sends_to_the_route():
    sent = []
    clients = EntryClients(
        cloudformation=FakeCloudFormation(OUTPUTS),
        sts=FakeSts(),
        lambda_=FakeLambda(),
        credentials=Credentials("AKIDEXAMPLE", "secret"),
        region="eu-west-1",
        http_post=lambda url, headers, body: (
            sent.append((url, headers, body)) or (200, b'{"decidedBy": "x"}')
        ),
    )
    answer = call_entry(clients, APPROVALS_ROUTE, BODY, transport="post")
    ((url, headers, body),) = sent
    assert url == "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/approvals"
    assert json.loads(body) == BODY
    assert "/eu-west-1/execute-api/aws4_request" in headers["Authorization"]
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert (answer.status_code, answer.error) == (200, None)


def test_invoke_hands_the_function_the_event_api_gateway_builds_for_the_caller():
    function = FakeLambda()
    clients = EntryClients(cloudformation=FakeCloudFormation(OUTPUTS), sts=FakeSts(), lambda_=function)
    answer = call_entry(clients, APPROVALS_ROUTE, BODY, transport="invoke")
    ((name, event),) = function.invoked
    assert name == "StackDeployment-Entry"
    assert (event["resource"], event["requestContext"]["identity"]["userArn"]) == (APPROVALS_ROUTE, CALLER)
    assert json.loads(event["body"]) == BODY
    assert answer.body == {"decidedBy": CALLER}


def test_a_stack_without_the_entry_is_a_clear_error():
    clients = EntryClients(cloudformation=FakeCloudFormation({}), sts=FakeSts(), lambda_=FakeLambda())
    with pytest.raises(EntryCallError, match=r"has no output \[EntryFunctionName\]"):
        call_entry(clients, APPROVALS_ROUTE, BODY, transport="invoke")


def test_post_without_credentials_refuses_to_send_unsigned():
    clients = EntryClients(
        cloudformation=FakeCloudFormation(OUTPUTS),
        sts=FakeSts(),
        lambda_=FakeLambda(),
        http_post=lambda *_: pytest.fail("sent unsigned"),
    )
    with pytest.raises(EntryCallError, match="no AWS credentials"):
        call_entry(clients, APPROVALS_ROUTE, BODY, transport="post")
