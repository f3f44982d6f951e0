"""Runtime errors of JSONPath states: the error names of the developer guide, the causes AWS writes.

Error names: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html. The
``States.Runtime`` causes below are the texts recorded from executions on AWS (the state, the event
it was entered at, the field, the input as compact JSON). AWS documents no cause for
``States.NoChoiceMatched`` and ``States.ResultPathMatchFailure``: those cases pin the local text.
"""

import pytest

PREFIX = "An error occurred while executing the state 'Read the order' (entered at the event id #2). "


def _pass(**fields):
    return {
        "StartAt": "Read the order",
        "States": {"Read the order": {"Type": "Pass", "End": True, **fields}},
    }


@pytest.mark.conformance("errors")
def test_an_input_path_that_selects_nothing_fails_the_state_states_runtime(cases):
    run = cases.run(_pass(InputPath="$.missing"), {"a": 1})

    assert (run.status, run.error) == ("FAILED", "States.Runtime")
    assert run.cause == PREFIX + "Invalid path '$.missing' : No results for path: $['missing']"


@pytest.mark.conformance("errors")
def test_an_output_path_that_selects_nothing_fails_the_state_states_runtime(cases):
    run = cases.run(_pass(OutputPath="$.missing"), {"a": 1})

    assert (run.status, run.error) == ("FAILED", "States.Runtime")
    assert run.cause == PREFIX + "Invalid path '$.missing' : No results for path: $['missing']"


@pytest.mark.conformance("errors")
def test_a_parameters_path_that_selects_nothing_names_the_field_and_the_compact_input(cases):
    # AWS reports this States.Runtime, not the States.ParameterPathFailure the guide describes.
    run = cases.run(_pass(Parameters={"orderId.$": "$.order.id"}), {"order": {"item": "tea"}})

    assert (run.status, run.error) == ("FAILED", "States.Runtime")
    assert run.cause == PREFIX + (
        "The JSONPath '$.order.id' specified for the field 'orderId.$' could not be found in the input "
        '\'{"order":{"item":"tea"}}\''
    )


@pytest.mark.conformance("errors")
def test_a_result_selector_path_that_selects_nothing_names_the_field_and_the_result(cases):
    definition = {
        "StartAt": "Read the order",
        "States": {
            "Read the order": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:listActivities",
                "ResultSelector": {"first.$": "$.NoSuchField"},
                "End": True,
            }
        },
    }

    run = cases.run(definition, {"a": 1})

    # The selector reads the task's result (ListActivities' answer), so the cause prints that.
    assert (run.status, run.error) == ("FAILED", "States.Runtime")
    assert run.cause.startswith(
        PREFIX.replace("#2", "#5") + "The JSONPath '$.NoSuchField' specified for the field 'first.$' could "
        'not be found in the input \'{"Activities":['
    ), run.cause


@pytest.mark.conformance("errors")
def test_a_context_path_that_selects_nothing_names_the_field(cases):
    run = cases.run(_pass(Parameters={"when.$": "$$.Execution.Nothing"}), {"a": 1})

    assert (run.status, run.error) == ("FAILED", "States.Runtime")
    assert run.cause.startswith(
        PREFIX + "The JSONPath '$$.Execution.Nothing' specified for the field 'when.$' could not be found "
        'in the input \'{"Execution":{'
    )


@pytest.mark.conformance("errors")
def test_an_assign_path_that_selects_nothing_names_the_variable_field(cases):
    # AWS's text for Assign is not recorded; the local one follows Parameters' (the field, not a class).
    run = cases.run(_pass(Assign={"total.$": "$.missing"}), {"a": 1})

    assert (run.status, run.error) == ("FAILED", "States.Runtime")
    assert run.cause == PREFIX + (
        "The JSONPath '$.missing' specified for the field 'total.$' could not be found in the input "
        "'{\"a\":1}'"
    )


def _choice(**extra):
    return {
        "StartAt": "Route the order",
        "States": {
            "Route the order": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.kind", "StringEquals": "tea", "Next": "Done"}],
                **extra,
            },
            "Done": {"Type": "Succeed"},
        },
    }


@pytest.mark.conformance("errors")
def test_a_choice_without_a_match_or_default_fails_states_no_choice_matched(cases):
    run = cases.run(_choice(), {"kind": "coffee"})

    # The name is documented; the cause is not (pinned local text).
    assert (run.status, run.error) == ("FAILED", "States.NoChoiceMatched")
    assert (
        run.cause == "No Choice Rule matched and no Default is defined in the Choice state 'Route the order'."
    )


@pytest.mark.conformance("errors")
def test_a_choice_without_a_match_takes_its_default(cases):
    run = cases.run(_choice(Default="Done"), {"kind": "coffee"})

    assert (run.status, run.output) == ("SUCCEEDED", {"kind": "coffee"})


@pytest.mark.conformance("errors")
def test_a_result_path_below_a_string_fails_states_result_path_match_failure(cases):
    run = cases.run(_pass(Result={"ok": True}, ResultPath="$.order.status"), {"order": "o-1"})

    # The name is documented; the cause is not (pinned local text).
    assert (run.status, run.error) == ("FAILED", "States.ResultPathMatchFailure")
    assert run.cause == 'Unable to apply ReferencePath $.order.status to input {"order":"o-1"}'


@pytest.mark.conformance("errors")
def test_a_result_path_match_failure_of_a_task_is_caught_by_name(cases):
    definition = {
        "StartAt": "List activities",
        "States": {
            "List activities": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:listActivities",
                "ResultPath": "$.order.activities",
                "Catch": [
                    {
                        "ErrorEquals": ["States.ResultPathMatchFailure"],
                        "ResultPath": "$.error",
                        "Next": "Note it",
                    }
                ],
                "End": True,
            },
            "Note it": {"Type": "Pass", "End": True},
        },
    }

    run = cases.run(definition, {"order": "o-1"})

    assert run.status == "SUCCEEDED"
    assert run.output == {
        "order": "o-1",
        "error": {
            "Error": "States.ResultPathMatchFailure",
            "Cause": 'Unable to apply ReferencePath $.order.activities to input {"order":"o-1"}',
        },
    }
