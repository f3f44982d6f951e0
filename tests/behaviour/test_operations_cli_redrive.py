"""`workflows redrive` and the redrive line of `workflows why`, against the local cloud's RedriveExecution.

A small workflow of its own (a Pass, then an SQS send a fault can break), in a local cloud of its
own: what the CLI does to an execution is read back from Step Functions and from the queue.
"""

from __future__ import annotations

import json
import uuid

import pytest
from workflow_local_cloud import running_local_cloud
from workflow_local_cloud.server import DEFAULT_REGION

from tests.cli.support import invoke_workflows, isolate_aws_environment

SEND = "Send the receipt"


@pytest.fixture(scope="module")
def redrive_cloud():
    with running_local_cloud() as harness:
        yield harness


@pytest.fixture
def receipts(redrive_cloud):
    """(workflow, queue URL): a fresh workflow that takes an order, then sends its receipt to a queue."""
    cloud = redrive_cloud
    queue = cloud.client("sqs").create_queue(QueueName=f"receipts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    workflow = f"receipts-{uuid.uuid4().hex[:8]}"
    definition = {
        "StartAt": "Take the order",
        "States": {
            "Take the order": {"Type": "Pass", "Result": "o-1", "ResultPath": "$.order", "Next": SEND},
            SEND: {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": queue, "MessageBody.$": "$.order"},
                "End": True,
            },
        },
    }
    cloud.client("stepfunctions").create_state_machine(
        name=workflow, definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/receipts"
    )
    yield workflow, queue
    cloud.clear_faults()


@pytest.fixture
def cli(redrive_cloud, monkeypatch):
    isolate_aws_environment(monkeypatch, region=DEFAULT_REGION)
    return lambda *args: invoke_workflows(redrive_cloud.endpoint_url, *args)


def _sent(cloud, queue: str) -> int:
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def _failed(cloud, workflow: str):
    cloud.inject_permanent_fault(workflow, SEND)
    result = cloud.run(workflow, {"customer": "c-1"}, reason="monthly receipt")
    assert result.status == "FAILED"
    return result.execution


def test_why_offers_the_redrive_and_redrive_continues_from_the_failed_step(redrive_cloud, receipts, cli):
    # GIVEN an execution that failed sending the receipt
    workflow, queue = receipts
    execution = _failed(redrive_cloud, workflow)

    # WHEN the operator asks why
    why = cli("why", execution.name, "--no-logs")

    # THEN it says the execution can be redriven, and how
    assert why.exit_code == 0, why.output
    assert "redrive         yes: it can be redriven from the state that did not succeed until" in why.stdout
    assert f"Once the cause is fixed: workflows redrive {execution.name}" in why.stdout

    # WHEN the cause is gone and the operator redrives it, waiting for the end
    redrive_cloud.clear_faults()
    redriven = cli("redrive", execution.name, "--wait", "--poll-seconds", "0.05")

    # THEN the same execution succeeds, and the receipt was sent once
    assert redriven.exit_code == 0, redriven.output
    assert f"Redrove {execution.name}" in redriven.stdout
    assert "SUCCEEDED after the redrive" in redriven.stdout
    assert _sent(redrive_cloud, queue) == 1
    history = redrive_cloud.history(execution)
    assert [e["type"] for e in history].count("ExecutionRedriven") == 1
    assert [e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("Entered")] == [
        "Take the order",
        SEND,
        SEND,
    ]


def test_a_succeeded_execution_is_refused_with_the_reason_and_exit_5(redrive_cloud, receipts, cli):
    # GIVEN an execution that succeeded
    workflow, queue = receipts
    result = redrive_cloud.run(workflow, {}, reason="monthly receipt")
    assert result.status == "SUCCEEDED"

    # WHEN it is redriven THEN it is refused, saying why, and nothing runs again
    refused = cli("redrive", result.execution.name)
    assert refused.exit_code == 5
    assert refused.stderr.strip() == (
        f"error: cannot redrive [{result.execution.name}]: it succeeded: there is nothing to redrive "
        "(start a new execution to run it again)"
    )
    assert _sent(redrive_cloud, queue) == 1
    assert (
        redrive_cloud.client("stepfunctions").describe_execution(executionArn=result.execution.arn)[
            "redriveCount"
        ]
        == 0
    )


def test_an_execution_stopped_15_days_ago_is_too_old_to_redrive(redrive_cloud, receipts, cli):
    # GIVEN an execution that failed 15 days ago
    workflow, queue = receipts
    execution = _failed(redrive_cloud, workflow)
    redrive_cloud.clear_faults()
    redrive_cloud.backdate(execution, days=15)

    # WHEN the operator asks why, then redrives it
    why = cli("why", execution.name, "--no-logs")
    refused = cli("redrive", execution.arn)

    # THEN both say it is too old, and nothing was sent
    assert "redrive         no: too old: it stopped 15 days ago" in why.stdout
    assert refused.exit_code == 5
    assert "too old: it stopped 15 days ago" in refused.stderr
    assert "Step Functions redrives only within 14 days of the stop" in refused.stderr
    assert _sent(redrive_cloud, queue) == 0


def test_an_unknown_execution_is_not_found(cli):
    missing = cli("redrive", "arn:aws:states:us-east-1:123456789012:execution:receipts:nope")
    assert missing.exit_code == 3
    assert "execution not found" in missing.stderr
