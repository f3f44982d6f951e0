"""The app as synthesized: what the stack holds, and that the platform's checks pass on it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from workflow_constructs import add_checks

from orders_team import OrderFulfilmentStack
from orders_team.stack import PACKING_HEARTBEAT, PACKING_TIMEOUT

HANDLERS = Path(__file__).resolve().parents[1] / "handlers"


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> cdk.cx_api.CloudAssembly:
    # GIVEN the app as app.py builds it, with the platform's checks (cdk-nag, workflow guards)
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    OrderFulfilmentStack(app, "OrderFulfilment")
    add_checks(app)
    # WHEN it is synthesized (this raises on any unacknowledged finding)
    return app.synth()


@pytest.fixture(scope="module")
def template(assembly: cdk.cx_api.CloudAssembly) -> Template:
    return Template.from_json(assembly.get_stack_by_name("OrderFulfilment").template)


def _definition(template: Template) -> dict[str, Any]:
    """The state machine's definition, with every CloudFormation reference replaced by a placeholder."""
    (machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else "<ref>" for part in parts)
    return dict(json.loads(text))


def test_the_workflow_is_three_named_steps_with_a_compensation(template: Template) -> None:
    definition = _definition(template)

    assert definition["StartAt"] == "Accept the order"
    states = definition["States"]
    assert states["Accept the order"]["Next"] == "Ask the warehouse to pack the order"
    assert states["Ask the warehouse to pack the order"]["Next"] == "Record the order as packed"
    assert states["Record the order as packed"]["End"] is True
    (catch,) = states["Ask the warehouse to pack the order"]["Catch"]
    assert (catch["ErrorEquals"], catch["Next"]) == (["States.ALL"], "Record the order as not packed")
    assert states["Order not packed"] == {
        "Type": "Fail",
        "Error": "OrderNotPacked",
        "Cause": "The warehouse refused the order or did not answer in time; the order is NOT_PACKED",
    }


def test_the_warehouse_step_waits_for_a_callback_with_timeout_and_heartbeat(template: Template) -> None:
    ask = _definition(template)["States"]["Ask the warehouse to pack the order"]

    assert ask["Resource"].endswith("sqs:sendMessage.waitForTaskToken")
    assert ask["TimeoutSeconds"] == PACKING_TIMEOUT.to_seconds()
    assert ask["HeartbeatSeconds"] == PACKING_HEARTBEAT.to_seconds()
    body = ask["Parameters"]["MessageBody"]
    assert body == {
        "correlationId.$": "$.correlationId",
        "orderId.$": "$.order.orderId",
        "lines.$": "$.order.lines",
        "taskToken.$": "$$.Task.Token",
    }


def test_every_task_retries_with_the_platform_default(template: Template) -> None:
    states = _definition(template)["States"]
    tasks = {name: state for name, state in states.items() if state["Type"] == "Task"}

    assert len(tasks) == 4
    for name, state in tasks.items():
        assert state["Retry"], name
        assert all(r["JitterStrategy"] == "FULL" and r["MaxDelaySeconds"] for r in state["Retry"]), name
    accept_retries = {error for r in tasks["Accept the order"]["Retry"] for error in r["ErrorEquals"]}
    assert "TransientError" in accept_retries
    assert "OrderRequestInvalid" not in accept_retries


def test_the_lambda_deploys_the_team_handlers_with_the_runtime(
    template: Template, assembly: cdk.cx_api.CloudAssembly
) -> None:
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "handler.accept_order",
            "Environment": {
                "Variables": Match.object_like(
                    {"ORDERS_TABLE": Match.any_value(), "IDEMPOTENCY_TABLE": Match.any_value()}
                )
            },
        },
    )
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    asset = Path(assembly.directory) / f"asset.{function['Properties']['Code']['S3Key'].removesuffix('.zip')}"
    assert (asset / "handler.py").read_text() == (HANDLERS / "handler.py").read_text()
    assert (asset / "orders.py").read_text() == (HANDLERS / "orders.py").read_text()
    assert (asset / "workflow_runtime" / "__init__.py").is_file()


def test_the_warehouse_queue_is_encrypted_tls_only_with_a_dead_letter_queue(template: Template) -> None:
    queues = template.find_resources("AWS::SQS::Queue")
    assert len(queues) == 2
    assert all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues.values())
    (requests,) = [q for q in queues.values() if "RedrivePolicy" in q["Properties"]]
    assert requests["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 5
    policies = json.dumps(template.find_resources("AWS::SQS::QueuePolicy"))
    assert re.search(r'"aws:SecureTransport": "false"', policies)


def test_both_tables_keep_point_in_time_recovery(template: Template) -> None:
    tables = template.find_resources("AWS::DynamoDB::GlobalTable")
    assert len(tables) == 2
    for table in tables.values():
        (replica,) = table["Properties"]["Replicas"]
        assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
