"""User deprovisioning's Lambda logic (lambdas/user_provisioning/deprovisioning.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws
from user_provisioning.deprovisioning import METRIC_NAMES, plan_request, removal_order, summarize
from user_provisioning.errors import DeprovisioningRequestInvalid

from business_workflows.user_deprovisioning import BUSINESS_METRICS

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
KEY = "TENANT#acme#USER#u-1"
RUN_A = "arn:aws:states:eu-west-1:123456789012:execution:user-provisioning:a"
RUN_B = "arn:aws:states:eu-west-1:123456789012:execution:user-provisioning:b"


def test_a_request_names_the_user_and_takes_the_lock_for_the_workflow_timeout():
    planned = plan_request(
        {"correlationId": "c-1", "tenantId": "acme", "user": {"id": "u-1", "email": "ignored@acme.com"}},
        now=NOW,
        lock_seconds=3600,
    )
    assert planned == {
        "correlationId": "c-1",
        "tenantId": "acme",
        "user": {"id": "u-1"},
        "userKey": KEY,
        "lockExpiresAt": "2026-01-02T04:04:05.000Z",
    }


def test_every_problem_of_a_request_is_listed_at_once():
    with pytest.raises(DeprovisioningRequestInvalid) as raised:
        plan_request({"tenantId": "acme\n", "user": {"id": "a/b"}}, now=NOW, lock_seconds=60)
    assert [problem.split(" ")[0] for problem in raised.value.problems] == [
        "correlationId",
        "tenantId",
        "user.id",
    ]
    with pytest.raises(DeprovisioningRequestInvalid, match=r"request must be a JSON object"):
        plan_request(["u-1"], now=NOW, lock_seconds=60)  # type: ignore[arg-type]


@pytest.fixture
def users_table():
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        dynamodb.create_table(
            TableName="users",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamodb


def _entry(dynamodb, key, type_, name, run, position=None, pk=KEY):
    item = {
        "pk": {"S": pk},
        "sk": {"S": f"RESOURCE#{key}"},
        "type": {"S": type_},
        "name": {"S": name},
        "provisionedBy": {"S": run},
        "status": {"S": "PROVISIONED"},
    }
    if position is not None:
        item["position"] = {"N": str(position)}
    dynamodb.put_item(TableName="users", Item=item)


def test_the_removal_order_is_the_ledger_last_requested_first_each_with_its_creator(users_table):
    # GIVEN a user's ledger (two runs created its resources), the user's own item, an announcement
    # and another user's entry
    _entry(users_table, "storage-prefix#home", "storage-prefix", "home", RUN_A, position=0)
    _entry(users_table, "api-key#default", "api-key", "default", RUN_B, position=3)
    _entry(users_table, "profile-record", "profile-record", "profile-record", RUN_A, position=1)
    _entry(users_table, "api-key#default", "api-key", "default", RUN_A, position=0, pk="TENANT#acme#USER#u-2")
    users_table.put_item(TableName="users", Item={"pk": {"S": KEY}, "sk": {"S": "USER"}})
    users_table.put_item(TableName="users", Item={"pk": {"S": KEY}, "sk": {"S": "ANNOUNCED#c-1"}})

    # WHEN the removal is planned
    order = removal_order(dynamodb=users_table, table_name="users", key=KEY)

    # THEN it lists this user's ledger only, last requested first, each with the run that created it
    assert order == [
        {
            "resource": {"type": "api-key", "name": "default", "key": "api-key#default", "config": {}},
            "createdBy": RUN_B,
        },
        {
            "resource": {
                "type": "profile-record",
                "name": "profile-record",
                "key": "profile-record",
                "config": {},
            },
            "createdBy": RUN_A,
        },
        {
            "resource": {
                "type": "storage-prefix",
                "name": "home",
                "key": "storage-prefix#home",
                "config": {},
            },
            "createdBy": RUN_A,
        },
    ]


def test_an_empty_ledger_plans_nothing(users_table):
    assert removal_order(dynamodb=users_table, table_name="users", key=KEY) == []


class RecordedMetrics:
    def __init__(self):
        self.values: dict[str, float] = {}

    def add_metric(self, name, unit, value):
        self.values[name] = value


def _removal(type_, name, outcome, **extra):
    return {"resource": {"type": type_, "name": name, "key": f"{type_}#{name}"}, "outcome": outcome, **extra}


def test_all_removed_deprovisions_the_user():
    metrics = RecordedMetrics()
    report = summarize(
        {
            "tenantId": "acme",
            "user": {"id": "u-1"},
            "removals": [
                _removal(
                    "api-key", "default", "REMOVED", details={"outcome": "REMOVED", "resourceId": "arn:x"}
                ),
                _removal("storage-prefix", "home", "REMOVED", details={"key": "k"}),
            ],
        },
        metrics=metrics,
    )
    assert report == {
        "status": "DEPROVISIONED",
        "summary": "User u-1 of tenant acme: 2 of 2 resources removed",
        "resources": [
            {
                "type": "api-key",
                "name": "default",
                "outcome": "REMOVED",
                "detail": "REMOVED",
                "resourceId": "arn:x",
            },
            {"type": "storage-prefix", "name": "home", "outcome": "REMOVED"},
        ],
    }
    assert metrics.values == {"UsersDeprovisioned": 1, "ResourcesRemoved": 2, "ResourcesNotRemoved": 0}


def test_a_failed_removal_fails_the_deprovisioning_and_says_which():
    metrics = RecordedMetrics()
    report = summarize(
        {
            "tenantId": "acme",
            "user": {"id": "u-1"},
            "removals": [
                _removal(
                    "api-key", "default", "REMOVAL_FAILED", error="SecretsManager.Boom", cause="x" * 5000
                ),
                _removal("storage-prefix", "home", "REMOVED"),
            ],
        },
        metrics=metrics,
    )
    assert report["status"] == "DEPROVISIONING_FAILED"
    assert report["summary"] == (
        "User u-1 of tenant acme: 1 of 2 resources removed; "
        "not removed: api-key default (SecretsManager.Boom)"
    )
    assert len(report["resources"][0]["cause"]) == 1000
    assert metrics.values == {"UserDeprovisioningFailed": 1, "ResourcesRemoved": 1, "ResourcesNotRemoved": 1}


def test_the_dashboard_charts_every_metric_the_report_records():
    assert set(METRIC_NAMES) == set(BUSINESS_METRICS)
