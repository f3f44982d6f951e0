"""The handler's logic without a cloud: every problem of a request named, and DynamoDB's answers mapped
to the workflow's errors (a stubbed boto3 client: botocore's Stubber, no network)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from workflow_runtime import TransientError

from orders import OrderAlreadyPlaced, OrderRequestInvalid, parse_order, record_order
from tests.support import order_request


@pytest.fixture
def dynamodb() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("dynamodb", region_name="eu-west-1")  # stubbed: never signs or sends
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_a_request_with_several_problems_names_each_of_them() -> None:
    bad = order_request(orderId="o 1", lines=[{"sku": "TEA-1", "quantity": 101}, {"sku": "TEA-1"}], extra=1)

    with pytest.raises(OrderRequestInvalid) as raised:
        parse_order(bad)

    assert raised.value.problems == [
        "unknown field [extra]",
        "orderId must be 1-64 letters, digits, '_' or '-'. Received: ['o 1']",
        "lines[0].quantity must be a whole number from 1 to 100",
        "lines[1] must be an object with exactly sku and quantity",
        "lines must name each sku once",
    ]


def test_a_valid_request_is_recorded_accepted_with_the_retry_condition(dynamodb: tuple[Any, Stubber]) -> None:
    client, stubber = dynamodb
    request = order_request(lines=[{"sku": "TEA-1", "quantity": 2}])
    stubber.add_response(
        "put_item",
        {},
        {
            "TableName": "orders",
            "Item": {
                "orderId": {"S": request["orderId"]},
                "customerId": {"S": "k-1"},
                "correlationId": {"S": request["correlationId"]},
                "status": {"S": "ACCEPTED"},
                "lines": {"L": [{"M": {"sku": {"S": "TEA-1"}, "quantity": {"N": "2"}}}]},
            },
            "ConditionExpression": "attribute_not_exists(orderId) OR correlationId = :correlationId",
            "ExpressionAttributeValues": {":correlationId": {"S": request["correlationId"]}},
        },
    )

    recorded = record_order(parse_order(request), dynamodb=client, table_name="orders")

    assert recorded == {**request, "status": "ACCEPTED"}


def test_throttling_is_a_transient_error_the_step_retries(dynamodb: tuple[Any, Stubber]) -> None:
    client, stubber = dynamodb
    stubber.add_client_error("put_item", service_error_code="ThrottlingException", http_status_code=400)

    with pytest.raises(TransientError, match=r"could not record the order: ThrottlingException"):
        record_order(parse_order(order_request()), dynamodb=client, table_name="orders")


def test_an_order_id_taken_by_another_request_is_refused(dynamodb: tuple[Any, Stubber]) -> None:
    client, stubber = dynamodb
    stubber.add_client_error("put_item", service_error_code="ConditionalCheckFailedException")
    request = order_request()

    with pytest.raises(OrderAlreadyPlaced, match=rf"order \[{request['orderId']}\] was placed by another"):
        record_order(parse_order(request), dynamodb=client, table_name="orders")
