"""The inventory of what the local cloud holds, and Step Functions' 256 KiB quota, on the session's cloud.

The resources these tests create have names of their own (``inventory-test-*``), so they never meet
the app's resources.
"""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from workflow_local_cloud import Change, Inventory
from workflow_local_cloud.patches import MAX_PAYLOAD_BYTES

PASS_MACHINE = json.dumps({"StartAt": "Answer", "States": {"Answer": {"Type": "Pass", "End": True}}})


def _callback_machine(queue_url: str) -> str:
    return json.dumps(
        {
            "StartAt": "Wait for an answer",
            "States": {
                "Wait for an answer": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"QueueUrl": queue_url, "MessageBody": {"token.$": "$$.Task.Token"}},
                    "End": True,
                }
            },
        }
    )


def _name() -> str:
    return f"inventory-test-{uuid.uuid4().hex[:8]}"


def _state_machine(local_cloud, definition: str) -> str:
    return local_cloud.client("stepfunctions").create_state_machine(
        name=_name(), definition=definition, roleArn="arn:aws:iam::123456789012:role/inventory-test"
    )["stateMachineArn"]


# Inventory, unit ----------------------------------------------------------------------------------


def test_changes_are_counts_that_moved_and_identifiers_that_came_or_went():
    # GIVEN two inventories
    before = Inventory({"dynamodb:items": {"a": 1, "b": 0}, "s3:objects": {"bkt/old": "e1", "bkt/same": "e"}})
    after = Inventory({"dynamodb:items": {"a": 3, "c": 0}, "s3:objects": {"bkt/new": "e2", "bkt/same": "e"}})

    # WHEN compared
    changes = after.changes_since(before)

    # THEN a grown count, a new and a removed object are changes; empty counts are not
    assert [str(change) for change in changes] == [
        "dynamodb:items a: 1 -> 3",
        "s3:objects bkt/new: added (e2)",
        "s3:objects bkt/old: removed (was e1)",
    ]
    assert [change.added for change in changes] == [2, 1, 0]
    assert after.changes_since(before, ignore=["s3:objects", "dynamodb:items a"]) == []
    assert after.count("dynamodb:items") == 3
    assert after.count("s3:objects") == 2
    assert after.count("dynamodb:items", "a") == 3
    assert Change("sns:messages", "t", 2, 1).added == 0


# Inventory on the local cloud ---------------------------------------------------------------------


def test_the_inventory_sees_each_kind_of_side_effect(local_cloud):
    # GIVEN a table, a bucket, a topic and a queue of this test's own
    name = _name()
    dynamodb, s3, sns, sqs = (local_cloud.client(s) for s in ("dynamodb", "s3", "sns", "sqs"))
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "kept"}})
    s3.create_bucket(Bucket=name)
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    before = local_cloud.inventory()

    # WHEN one thing of each kind happens
    dynamodb.update_item(
        TableName=name,
        Key={"pk": {"S": "kept"}},
        UpdateExpression="SET touched = :t",
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "new"}})
    s3.put_object(Bucket=name, Key="a/b.json", Body=b"{}")
    sns.publish(TopicArn=topic, Message="hello")
    sqs.send_message(QueueUrl=queue, MessageBody="hello")
    local_cloud.client("iam").create_role(
        RoleName=name, Path="/inventory-test/", AssumeRolePolicyDocument=json.dumps({"Statement": []})
    )
    local_cloud.client("secretsmanager").create_secret(Name=name, SecretString="s")
    key_id = local_cloud.client("apigateway").create_api_key(name=name)["id"]

    # THEN each shows as a change, and nothing else moved
    changes = {(change.kind, change.key): change for change in local_cloud.inventory().changes_since(before)}
    assert set(changes) == {
        ("dynamodb:items", name),
        ("dynamodb:content", name),
        ("s3:objects", f"{name}/a/b.json"),
        ("sns:messages", topic),
        ("sqs:messages", name),
        ("iam:roles", f"/inventory-test/{name}"),
        ("secretsmanager:secrets", name),
        ("apigateway:api-keys", key_id),
    }
    assert changes[("dynamodb:items", name)].added == 1


def test_an_update_in_place_changes_the_table_digest_but_not_its_count(local_cloud):
    # GIVEN a table with one item
    name = _name()
    dynamodb = local_cloud.client("dynamodb")
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "x"}, "status": {"S": "ONBOARDING"}})
    before = local_cloud.inventory()

    # WHEN the item is rewritten in place
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "x"}, "status": {"S": "ACTIVE"}})

    # THEN only the digest tells
    assert [(c.kind, c.key) for c in local_cloud.inventory().changes_since(before)] == [
        ("dynamodb:content", name)
    ]


# Step Functions' payload quota ----------------------------------------------------------------------


def test_an_execution_input_over_256_kib_is_refused_and_no_execution_is_created(local_cloud):
    # GIVEN a state machine, and an input one byte over the quota
    arn = _state_machine(local_cloud, PASS_MACHINE)
    sfn = local_cloud.client("stepfunctions")
    body = json.dumps({"blob": ""})
    too_large = json.dumps({"blob": "x" * (MAX_PAYLOAD_BYTES - len(body) + 1)})
    assert len(too_large.encode()) == MAX_PAYLOAD_BYTES + 1

    # WHEN it is started with it
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=arn, input=too_large)

    # THEN Step Functions refuses the request, and no execution exists
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "at 'input' failed to satisfy constraint" in refused.value.response["Error"]["Message"]
    assert sfn.list_executions(stateMachineArn=arn)["executions"] == []


def test_an_input_just_under_256_kib_counted_in_utf8_bytes_is_accepted(local_cloud):
    # GIVEN an input just under the quota in UTF-8 bytes, though "é" makes it far fewer characters
    arn = _state_machine(local_cloud, PASS_MACHINE)
    under = json.dumps({"blob": "é" * ((MAX_PAYLOAD_BYTES - 64) // 2)}, ensure_ascii=False)
    assert MAX_PAYLOAD_BYTES - 64 < len(under.encode()) < MAX_PAYLOAD_BYTES

    # WHEN started
    sfn = local_cloud.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, input=under)

    # THEN the execution exists (how it runs is moto's: it measures state data with escaped unicode)
    listed = [e["executionArn"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]]
    assert listed == [execution["executionArn"]]
    local_cloud.wait(execution["executionArn"])


def test_a_callback_output_over_256_kib_is_refused_and_the_step_keeps_waiting(local_cloud):
    # GIVEN an execution waiting for a callback
    queue_url = local_cloud.client("sqs").create_queue(QueueName=_name())["QueueUrl"]
    arn = _state_machine(local_cloud, _callback_machine(queue_url))
    execution = local_cloud.client("stepfunctions").start_execution(stateMachineArn=arn, input="{}")
    token = local_cloud.task_token(execution["executionArn"], "Wait for an answer")

    # WHEN it is answered with an output over the quota
    with pytest.raises(ClientError) as refused:
        local_cloud.client("stepfunctions").send_task_success(
            taskToken=token, output=json.dumps({"blob": "x" * MAX_PAYLOAD_BYTES})
        )

    # THEN the answer is refused and the step still waits on the same token
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert local_cloud.task_token(execution["executionArn"], "Wait for an answer") == token
    local_cloud.complete_callback(execution["executionArn"], "Wait for an answer", {"ok": True})
    assert local_cloud.wait(execution["executionArn"]).status == "SUCCEEDED"
