"""The order fulfilment workflow on the local cloud, with its real handler and the warehouse's answers.

The ``local_cloud`` fixture comes from the ``workflow-local-cloud`` pytest plugin; it deploys
``cdk.out`` (``local_cloud_assembly`` in pyproject.toml) once per session.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from workflow_local_cloud import LocalCloudHarness

from tests.support import ACCEPT, ASK_WAREHOUSE, RECORD_PACKED, WORKFLOW, order_request

# What any execution changes, expected: the execution itself. Everything else must stay as it was.
EXECUTION_BOOKKEEPING = ("stepfunctions:executions",)


def test_an_order_is_packed_when_the_warehouse_answers(
    local_cloud: LocalCloudHarness, warehouse: Any, stored_order: Any
) -> None:
    # GIVEN an order placed with a correlation id
    request = order_request()
    execution = local_cloud.start(WORKFLOW, request, reason="packed order")

    # WHEN the warehouse receives the packing request, heartbeats while packing, and answers
    packing = warehouse(request["orderId"])
    sfn = local_cloud.client("stepfunctions")
    sfn.send_task_heartbeat(taskToken=packing["taskToken"])
    sfn.send_task_success(taskToken=packing["taskToken"], output=json.dumps({"parcelId": "p-42"}))
    result = local_cloud.wait(execution)

    # THEN the order is recorded packed, and the correlation id travelled to the warehouse
    assert result.status == "SUCCEEDED", local_cloud.trace(execution).render()
    assert packing["correlationId"] == request["correlationId"]
    assert packing["lines"] == request["lines"]
    assert result.output["order"] == {**request, "status": "ACCEPTED"}
    assert result.output["packing"] == {"parcelId": "p-42"}
    order = stored_order(request["orderId"])
    assert order is not None
    assert (order["status"], order["parcelId"], order["correlationId"]) == (
        "PACKED",
        "p-42",
        request["correlationId"],
    )


def test_a_refused_order_is_recorded_not_packed(local_cloud: LocalCloudHarness, stored_order: Any) -> None:
    # GIVEN an order waiting for the warehouse
    request = order_request()
    execution = local_cloud.start(WORKFLOW, request, reason="refused order")

    # WHEN the warehouse refuses it
    local_cloud.fail_callback(execution, ASK_WAREHOUSE, error="WarehouseCannotPack", cause="out of boxes")
    result = local_cloud.wait(execution)

    # THEN the run ends in the business outcome, and the order says why
    trace = local_cloud.trace(execution)
    assert (result.status, result.error) == ("FAILED", "OrderNotPacked"), trace.render()
    order = stored_order(request["orderId"])
    assert order is not None
    assert (order["status"], order["failedWith"]) == ("NOT_PACKED", "WarehouseCannotPack")


def test_an_order_the_warehouse_never_answers_times_out(
    local_cloud: LocalCloudHarness, stored_order: Any
) -> None:
    # GIVEN an order waiting for the warehouse
    request = order_request()
    execution = local_cloud.start(WORKFLOW, request, reason="unanswered order")

    # WHEN the packing wait runs out (as TimeoutSeconds would, two days later)
    local_cloud.time_out_callback(execution, ASK_WAREHOUSE)
    result = local_cloud.wait(execution)

    # THEN the order is recorded not packed, with the timeout as the reason
    trace = local_cloud.trace(execution)
    assert (result.status, result.error) == ("FAILED", "OrderNotPacked"), trace.render()
    order = stored_order(request["orderId"])
    assert order is not None
    assert (order["status"], order["failedWith"]) == ("NOT_PACKED", "States.Timeout")


@pytest.mark.parametrize(
    ("request_body", "problem"),
    [
        pytest.param(order_request(orderId=""), "orderId must be", id="empty order id"),
        pytest.param({k: v for k, v in order_request().items() if k != "lines"}, "lines must", id="no lines"),
        pytest.param(order_request(lines=[{"sku": "TEA-1", "quantity": 0}]), "quantity", id="zero quantity"),
        pytest.param(order_request(lines=[{"sku": "tea 1", "quantity": 1}]), "sku", id="bad sku"),
        pytest.param(order_request(discount=100), "unknown field [discount]", id="unknown field"),
        pytest.param(
            {k: v for k, v in order_request().items() if k != "correlationId"},
            "correlationId",
            id="no correlation id",
        ),
        pytest.param(["not", "an", "object"], "must be a JSON object", id="not an object"),
    ],
)
def test_bad_input_fails_at_the_first_step_and_changes_nothing(
    local_cloud: LocalCloudHarness, request_body: Any, problem: str
) -> None:
    # GIVEN what the local cloud holds before
    before = local_cloud.inventory()

    # WHEN a malformed order is started
    result = local_cloud.run(WORKFLOW, request_body, reason="bad order")

    # THEN it fails with the named error at "Accept the order", unretried, and nothing else changed
    trace = local_cloud.trace(result.execution)
    assert (result.status, result.error) == ("FAILED", "OrderRequestInvalid"), trace.render()
    assert problem in (result.cause or "")
    (accept,) = [run for run in trace.runs if run.name == ACCEPT]
    assert accept.retries == 0
    assert [run.name for run in trace.runs if run.type == "Task"] == [ACCEPT]
    assert local_cloud.inventory().changes_since(before, ignore=EXECUTION_BOOKKEEPING) == []


@pytest.mark.parametrize("state", [ACCEPT, RECORD_PACKED])
def test_a_transient_fault_is_retried_and_the_order_still_packed(
    local_cloud: LocalCloudHarness, warehouse: Any, stored_order: Any, state: str
) -> None:
    # GIVEN one transient failure armed in a step (earlier tests' faults stay in the delivered list)
    delivered_before = len(local_cloud.delivered_faults())
    fault = local_cloud.inject_transient_fault(WORKFLOW, state)
    request = order_request()

    # WHEN the order runs and the warehouse answers
    execution = local_cloud.start(WORKFLOW, request, reason="transient fault")
    packing = warehouse(request["orderId"])
    local_cloud.client("stepfunctions").send_task_success(
        taskToken=packing["taskToken"], output=json.dumps({"parcelId": "p-7"})
    )
    result = local_cloud.wait(execution)

    # THEN the step was retried once and the run ended as without the fault
    trace = local_cloud.trace(execution)
    assert result.status == "SUCCEEDED", trace.render()
    assert local_cloud.delivered_faults()[delivered_before:] == [fault]
    (run,) = [run for run in trace.runs if run.name == state]
    assert run.retries == 1
    order = stored_order(request["orderId"])
    assert order is not None
    assert (order["status"], order["parcelId"]) == ("PACKED", "p-7")


def test_a_second_request_for_a_placed_order_is_refused(
    local_cloud: LocalCloudHarness, warehouse: Any, stored_order: Any
) -> None:
    # GIVEN an order accepted for one request (its run waiting for the warehouse)
    first = order_request()
    waiting = local_cloud.start(WORKFLOW, first, reason="first request")
    warehouse(first["orderId"])

    # WHEN another request (another correlation id) places the same order id
    second = {**order_request(), "orderId": first["orderId"]}
    result = local_cloud.run(WORKFLOW, second, reason="second request")

    # THEN it fails at the first step and the order still belongs to the first request
    assert (result.status, result.error) == ("FAILED", "OrderAlreadyPlaced")
    order = stored_order(first["orderId"])
    assert order is not None
    assert order["correlationId"] == first["correlationId"]
    local_cloud.time_out_callback(waiting, ASK_WAREHOUSE)
    assert local_cloud.wait(waiting).error == "OrderNotPacked"


def test_a_replayed_accept_step_returns_the_first_answer_and_writes_nothing(
    local_cloud: LocalCloudHarness,
) -> None:
    # GIVEN the accept step run once for a request, as the workflow invokes it
    (function,) = local_cloud.function_names()
    request = order_request()
    lambda_ = local_cloud.client("lambda")

    def invoke() -> dict[str, Any]:
        answer = lambda_.invoke(FunctionName=function, Payload=json.dumps(request).encode())
        assert "FunctionError" not in answer, answer["Payload"].read()
        return dict(json.loads(answer["Payload"].read()))

    first = invoke()
    before = local_cloud.inventory()

    # WHEN the same invocation is delivered again (a retry after a lost answer)
    again = invoke()

    # THEN it answers the same and the local cloud holds exactly what it held
    assert again == first == {**request, "status": "ACCEPTED"}
    assert local_cloud.inventory().changes_since(before) == []
