"""Counting what an execution used from its history, and pricing it at list prices."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from workflow_tools.bench import pricing
from workflow_tools.bench.cost import (
    TABLE_END,
    TABLE_START,
    WorkflowCost,
    WorkflowRun,
    markdown_table,
    own_cost,
    replace_generated,
    report_document,
    total_cost,
)
from workflow_tools.bench.history import child_execution_arns, usage_from_history

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
VALIDATE_ARN = "arn:aws:lambda:us-east-1:123456789012:function:validate"


def _history(*events: tuple[str, dict]) -> list[dict]:
    """Events with ids, previous ids (each follows the one before) and a timestamp 10 ms apart."""
    return [
        {
            "id": index,
            "previousEventId": index - 1,
            "timestamp": T0 + timedelta(milliseconds=10 * index),
            "type": event_type,
            **details,
        }
        for index, (event_type, details) in enumerate(events, start=1)
    ]


def _lambda_task(name: str, function: str = VALIDATE_ARN) -> list[tuple[str, dict]]:
    parameters = json.dumps({"FunctionName": function, "Payload": {"correlationId": "c-1"}})
    details = {"resourceType": "lambda", "resource": "invoke"}
    return [
        ("TaskStateEntered", {"stateEnteredEventDetails": {"name": name}}),
        ("TaskScheduled", {"taskScheduledEventDetails": {**details, "parameters": parameters}}),
        ("TaskStarted", {"taskStartedEventDetails": details}),
        ("TaskSucceeded", {"taskSucceededEventDetails": {**details, "output": "{}"}}),
        ("TaskStateExited", {"stateExitedEventDetails": {"name": name}}),
    ]


def _service_task(name: str, resource_type: str, resource: str, output: dict | None = None):
    details = {"resourceType": resource_type, "resource": resource}
    return [
        ("TaskStateEntered", {"stateEnteredEventDetails": {"name": name}}),
        ("TaskScheduled", {"taskScheduledEventDetails": {**details, "parameters": "{}"}}),
        ("TaskStarted", {"taskStartedEventDetails": details}),
        ("TaskSucceeded", {"taskSucceededEventDetails": {**details, "output": json.dumps(output or {})}}),
        ("TaskStateExited", {"stateExitedEventDetails": {"name": name}}),
    ]


HAPPY = _history(
    ("ExecutionStarted", {"executionStartedEventDetails": {"input": "{}"}}),
    *_lambda_task("Validate the request"),
    ("ChoiceStateEntered", {"stateEnteredEventDetails": {"name": "Is the customer new"}}),
    ("ChoiceStateExited", {"stateExitedEventDetails": {"name": "Is the customer new"}}),
    *_service_task("Record the customer", "dynamodb", "putItem"),
    *_service_task(
        "Provision the users",
        "states",
        "startExecution.sync:2",
        {"ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:user-provisioning:run-1"},
    ),
    ("SucceedStateEntered", {"stateEnteredEventDetails": {"name": "Customer onboarded"}}),
    ("ExecutionSucceeded", {"executionSucceededEventDetails": {"output": "{}"}}),
)


def test_happy_path_counts_each_state_entered_as_a_transition():
    usage = usage_from_history(HAPPY)
    # Validate, choice, record, provision, succeed
    assert usage.state_transitions == 5
    assert usage.retries == 0
    assert usage.status == "SUCCEEDED"
    assert usage.duration_ms == pytest.approx(10 * (len(HAPPY) - 1))


def test_lambda_calls_name_their_function_and_how_long_they_ran_here():
    (call,) = usage_from_history(HAPPY).lambda_calls
    assert call.function == VALIDATE_ARN
    assert call.local_ms == pytest.approx(20.0)  # scheduled -> started -> succeeded, 10 ms apart


def test_other_integrations_are_counted_by_service_and_action():
    assert usage_from_history(HAPPY).service_calls == {
        "dynamodb:putItem": 1,
        "states:startExecution.sync:2": 1,
    }


def test_nested_executions_are_found_in_the_start_execution_output():
    assert child_execution_arns(HAPPY) == [
        "arn:aws:states:us-east-1:123456789012:execution:user-provisioning:run-1"
    ]
    assert usage_from_history(HAPPY).child_executions == tuple(child_execution_arns(HAPPY))


def test_each_retry_is_one_more_transition_and_one_more_invocation():
    # GIVEN a Lambda step that failed once with a transient error and then succeeded
    parameters = json.dumps({"FunctionName": VALIDATE_ARN})
    lambda_details = {"resourceType": "lambda", "resource": "invoke"}
    history = _history(
        ("ExecutionStarted", {}),
        ("TaskStateEntered", {"stateEnteredEventDetails": {"name": "Validate the request"}}),
        ("TaskScheduled", {"taskScheduledEventDetails": {**lambda_details, "parameters": parameters}}),
        ("TaskStarted", {}),
        ("TaskFailed", {"taskFailedEventDetails": {"error": "TransientError"}}),
        ("TaskScheduled", {"taskScheduledEventDetails": {**lambda_details, "parameters": parameters}}),
        ("TaskStarted", {}),
        ("TaskSucceeded", {}),
        ("TaskStateExited", {}),
        ("ExecutionSucceeded", {}),
    )
    usage = usage_from_history(history)
    # THEN the retry is billed as a transition, and the function ran twice
    assert usage.retries == 1
    assert usage.state_transitions == 2
    assert len(usage.lambda_calls) == 2


def test_legacy_direct_lambda_tasks_are_lambda_calls_too():
    history = _history(
        ("TaskStateEntered", {}),
        ("LambdaFunctionScheduled", {"lambdaFunctionScheduledEventDetails": {"resource": VALIDATE_ARN}}),
        ("LambdaFunctionStarted", {}),
        ("LambdaFunctionSucceeded", {}),
    )
    usage = usage_from_history(history)
    assert [c.function for c in usage.lambda_calls] == [VALIDATE_ARN]
    assert usage.service_calls == {}


def test_prices_match_the_published_list_prices():
    # 1,000 transitions cost $0.025; a million Lambda requests $0.20; a GB-second on arm64 $0.0000133334
    assert pricing.standard_execution_cost(1000) == pytest.approx(0.025)
    assert pricing.lambda_invocation_cost(memory_mb=1024, duration_ms=1000) == pytest.approx(
        0.20 / 1_000_000 + 0.0000133334
    )
    # Lambda bills whole milliseconds; Express whole 100 ms and 64 MB chunks
    assert pricing.lambda_invocation_cost(memory_mb=1024, duration_ms=0.2) == pytest.approx(
        0.20 / 1_000_000 + 0.001 * 0.0000133334
    )
    assert pricing.express_billed_memory_mb(definition_bytes=20_000, payload_bytes=5_000) == 64
    assert pricing.express_execution_cost(duration_ms=120, billed_memory_mb=64) == pytest.approx(
        1.0 / 1_000_000 + 0.2 * 64 / 1024 * 0.00001667
    )


def _run(usage_history=HAPPY, children=()) -> WorkflowRun:
    return WorkflowRun(
        state_machine="customer-onboarding",
        machine_type="STANDARD",
        usage=usage_from_history(usage_history),
        memory_mb={VALIDATE_ARN: 256},
        children=children,
    )


def test_a_standard_execution_costs_its_transitions_and_its_lambda_calls():
    cost = own_cost(_run(), lambda_ms=100)
    assert cost.step_functions == pytest.approx(5 * 0.025 / 1000)
    assert cost.lambda_requests == pytest.approx(0.20 / 1_000_000)
    assert cost.lambda_duration == pytest.approx(0.1 * 0.25 * 0.0000133334)


def test_a_nested_execution_is_part_of_its_parents_cost():
    child = WorkflowRun(
        state_machine="user-provisioning",
        machine_type="STANDARD",
        usage=usage_from_history(_history(*_lambda_task("Create the user"), ("SucceedStateEntered", {}))),
        memory_mb={VALIDATE_ARN: 512},
    )
    parent = _run(children=(child,))
    assert total_cost(parent).total == pytest.approx(own_cost(_run()).total + own_cost(child).total)
    row = WorkflowCost(workflow="customer-onboarding", run=parent)
    assert row.state_transitions == 5 + 2
    assert row.lambda_invocations == 2


def test_a_function_without_known_memory_is_an_error_not_a_guess():
    run = WorkflowRun(
        state_machine="billing", machine_type="STANDARD", usage=usage_from_history(HAPPY), memory_mb={}
    )
    with pytest.raises(KeyError, match=r"no configured memory for function \[arn:aws:lambda:.*validate\]"):
        own_cost(run)


def test_report_and_table_show_the_cost_per_million_executions():
    row = WorkflowCost(workflow="customer-onboarding", run=_run())
    document = report_document([row], lambda_ms=100)
    (workflow,) = document["workflows"]
    per_million = workflow["cost_per_1000000_executions_usd"]
    assert per_million["step_functions"] == pytest.approx(125.0)  # 5 transitions x $25 per million
    assert per_million["lambda"] == pytest.approx(0.20 + 0.1 * 0.25 * 0.0000133334 * 1_000_000)
    assert document["prices"]["sources"] == [pricing.STEP_FUNCTIONS_PRICING, pricing.LAMBDA_PRICING]
    table = markdown_table([row])
    assert table.splitlines()[2] == (
        "| `customer-onboarding` | Standard | 5 | 1 | 2 | $125 | $0.53 | **$126** |"
    )


def test_only_the_generated_section_of_the_page_is_replaced():
    # GIVEN a page with recommendations written around the generated table
    page = f"# Cost\n\nIntro.\n\n{TABLE_START}\nold table\n{TABLE_END}\n\n## Recommendations\nKeep me.\n"
    # WHEN the table is regenerated
    updated = replace_generated(page, "| new |\n")
    # THEN only the table changed
    assert (
        updated
        == f"# Cost\n\nIntro.\n\n{TABLE_START}\n| new |\n{TABLE_END}\n\n## Recommendations\nKeep me.\n"
    )
    assert replace_generated("", "| t |\n") == f"{TABLE_START}\n| t |\n{TABLE_END}\n"
