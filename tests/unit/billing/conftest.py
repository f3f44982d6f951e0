"""Fixtures for the billing handler logic: moto tables shaped like the construct's, and fakes.

The fakes (``fakes.py``) stand in for what moto cannot play: Step Functions' task-token calls
(recorded, and made to fail with a chosen error code) and a payment provider (recorded, answering
as each test chooses).
"""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from tests.unit.billing.fakes import REGION, FakeProvider, FakeStates, Tables, create_table


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture
def tables(aws) -> Tables:
    """The three tables as BillingWorkflow creates them (keys, and the byExecution index)."""
    resource = aws.resource("dynamodb")
    return Tables(
        invoices=create_table(resource, "invoices", "invoiceId"),
        authorisations=create_table(
            resource,
            "authorisations",
            "authorisationId",
            attributes=[{"AttributeName": "executionId", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "byExecution",
                    "KeySchema": [{"AttributeName": "executionId", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
        ),
        idempotency=create_table(resource, "idempotency", "id"),
        dynamodb_client=aws.client("dynamodb"),
    )


@pytest.fixture
def states() -> FakeStates:
    return FakeStates()


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()
