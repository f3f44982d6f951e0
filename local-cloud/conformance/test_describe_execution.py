"""DescribeExecution answers every finished execution: its output is the JSON text of any JSON value.

The API reference (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html)
gives ``output`` as "the JSON output data of the execution" and ``stopDate`` as the date it
stopped; ``error`` and ``cause`` appear only when the execution has them. How AWS writes a
timestamp inside a task's result is not documented: the local text (ISO 8601, as the history's
events write it) is pinned.
"""

from __future__ import annotations

import json

import pytest


def _pass(result, **fields) -> dict:
    return {
        "StartAt": "Answer",
        "States": {"Answer": {"Type": "Pass", "Result": result, "End": True, **fields}},
    }


@pytest.mark.conformance("api")
@pytest.mark.parametrize(
    ("result", "text"),
    [("hello", '"hello"'), (None, "null"), (42, "42"), (True, "true"), ([], "[]")],
    ids=["string", "null", "number", "boolean", "empty-list"],
)
def test_an_output_that_is_not_an_object_is_still_json(cases, result, text):
    run = cases.run(_pass(result))

    assert run.status == "SUCCEEDED"
    assert json.loads(run.described["output"]) == result
    assert run.described["output"].replace(" ", "") == text


@pytest.mark.conformance("api")
def test_an_output_holding_a_nested_executions_start_date_is_described(cases):
    # moto answered HTTP 500 here: the StartDate of states:startExecution is a timestamp.
    child = cases.create({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    definition = {
        "StartAt": "Start child",
        "States": {
            "Start child": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution",
                "Parameters": {"StateMachineArn": child, "Input": {}},
                "ResultSelector": {"arn.$": "$.ExecutionArn", "started.$": "$.StartDate"},
                "End": True,
            }
        },
    }

    run = cases.run(definition)

    assert run.status == "SUCCEEDED"
    assert run.output["arn"].startswith(child.replace(":stateMachine:", ":execution:"))
    # Not documented by AWS: the local text is ISO 8601, as in the ExecutionSucceeded event.
    (succeeded,) = run.events("ExecutionSucceeded")
    assert json.loads(succeeded["executionSucceededEventDetails"]["output"]) == run.output
    assert run.output["started"][:4].isdigit()
    assert "T" in run.output["started"]


@pytest.mark.conformance("api")
def test_a_failed_execution_without_error_or_cause_is_described_without_them(cases):
    run = cases.run({"StartAt": "Stop", "States": {"Stop": {"Type": "Fail"}}})

    assert run.status == "FAILED"
    assert "stopDate" in run.described
    assert {"error", "cause", "output"}.isdisjoint(run.described)


@pytest.mark.conformance("api")
def test_map_and_parallel_results_are_described(cases):
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "End": True}}},
                "Next": "Both",
            },
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "Result": "left", "End": True}}},
                    {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": True}}},
                ],
                "End": True,
            },
        },
    }

    run = cases.run(definition, {"items": [1, "two", None]})

    assert (run.status, run.output) == ("SUCCEEDED", ["left", [1, "two", None]])


@pytest.mark.conformance("api")
def test_a_timed_out_execution_has_a_stop_date(cases):
    run = cases.run(
        {
            "TimeoutSeconds": 1,
            "StartAt": "Wait",
            "States": {"Wait": {"Type": "Wait", "Seconds": 60, "End": True}},
        }
    )

    assert run.status == "TIMED_OUT"
    assert run.described["stopDate"] >= run.described["startDate"]
