"""The task library's handler support: which AWS failures are transient, and the key fields on log lines."""

from __future__ import annotations

import io
import json

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from workflow_runtime import observability
from workflow_runtime.aws_errors import is_transient, transient_aws_errors
from workflow_runtime.errors import TransientError


def _client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


@pytest.mark.parametrize(
    ("code", "status", "transient"),
    [
        ("ThrottlingException", 400, True),
        ("ProvisionedThroughputExceededException", 400, True),
        ("SlowDown", 503, True),
        ("AnythingAtAll", 500, True),
        ("ConditionalCheckFailedException", 400, False),
        ("AccessDenied", 403, False),
    ],
)
def test_throttling_contention_and_server_errors_are_transient(code, status, transient):
    assert is_transient(_client_error(code, status)) is transient


@pytest.mark.parametrize(
    ("failure", "expected", "message"),
    [
        (
            _client_error("ThrottlingException"),
            TransientError,
            r"^could not write the record: ThrottlingException",
        ),
        (
            EndpointConnectionError(endpoint_url="https://dynamodb"),
            TransientError,
            r"^could not write the record: EndpointConnectionError",
        ),
        (_client_error("AccessDenied"), ClientError, "AccessDenied"),
    ],
)
def test_transient_failures_become_transient_error_and_the_rest_pass_through(failure, expected, message):
    with pytest.raises(expected, match=message), transient_aws_errors("write the record"):
        raise failure


class _Context:
    function_name = "f"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:f"
    aws_request_id = "r"


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    previous = observability.logger.registered_handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    observability.logger.registered_handler.setStream(previous)


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_log_keys_are_on_the_start_and_end_lines_and_unreadable_payloads_add_none(log_lines):
    # GIVEN a handler whose key field is the order id
    @observability.handler(log_keys=lambda event: {"order_id": event["order"]["id"], "absent": None})
    def take_order(event, context):
        observability.logger.info("Working")
        return "ok"

    # WHEN it runs once with an order and once without
    take_order({"correlationId": "c-1", "order": {"id": "o-7"}}, _Context())
    take_order({"correlationId": "c-2"}, _Context())

    # THEN the first invocation's three lines carry the order id, None values are left out,
    # and the second invocation runs and logs without it (state is not carried over)
    lines = log_lines()
    assert [(line["message"], line["correlation_id"], line.get("order_id")) for line in lines] == [
        ("Step started", "c-1", "o-7"),
        ("Working", "c-1", "o-7"),
        ("Step finished", "c-1", "o-7"),
        ("Step started", "c-2", None),
        ("Working", "c-2", None),
        ("Step finished", "c-2", None),
    ]
    assert not any("absent" in line for line in lines)


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
@pytest.mark.parametrize("payload", [42, None, ["ada@example.com"], "ada@example.com"])
def test_a_payload_that_is_not_an_object_reaches_the_handler_and_is_not_logged(log_lines, payload):
    # GIVEN a handler that rejects what it cannot read (as every validation step does)
    received = []

    @observability.handler
    def validate(event, context):
        received.append(event)
        return "checked"

    # WHEN it is invoked with a payload that is not a JSON object
    validate(payload, _Context())

    # THEN the handler decided about it (the decorator did not fail first), and no line holds it
    assert received == [payload]
    started = log_lines()[0]
    assert (started["message"], started["event_keys"]) == ("Step started", [])
    assert "ada@example.com" not in json.dumps(log_lines())
