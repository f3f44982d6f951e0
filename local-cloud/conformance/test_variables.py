"""Variables and Assign (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html).

A variable is visible in the states after the one that assigns it, not in the state itself and not
outside the Map or Parallel branch that assigned it. Reading one that is not there, or an Assign
expression that fails, fails the state ``States.QueryEvaluationError`` with an ``EvaluationFailed``
event naming the field (``Assign/<variable>``); the causes are the texts recorded on AWS.
"""

import pytest


@pytest.mark.conformance("variables")
def test_an_assigned_variable_is_visible_in_the_next_state(cases):
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Remember",
        "States": {
            "Remember": {"Type": "Pass", "Assign": {"total": "{% $states.input.a * 2 %}"}, "Next": "Use"},
            "Use": {"Type": "Pass", "Output": {"total": "{% $total %}"}, "End": True},
        },
    }

    run = cases.run(definition, {"a": 21})

    assert (run.status, run.output) == ("SUCCEEDED", {"total": 42})


@pytest.mark.conformance("variables")
def test_an_assign_expression_that_throws_is_located_at_its_variable(cases):
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Remember",
        "States": {
            "Remember": {"Type": "Pass", "Assign": {"total": "{% $states.input.a + 'x' %}"}, "End": True}
        },
    }

    run = cases.run(definition, {"a": 1})

    cause = (
        "An error occurred while executing the state 'Remember' (entered at the event id #2). The JSONata "
        "expression '$states.input.a + 'x'' specified for the field 'Assign/total' threw an error during "
        "evaluation. T2002: The right side of the + operator must evaluate to a number"
    )
    assert (run.status, run.error, run.cause) == ("FAILED", "States.QueryEvaluationError", cause)
    assert run.evaluation_failed() == {
        "error": "States.QueryEvaluationError",
        "cause": cause,
        "location": "Assign/total",
        "state": "Remember",
    }


@pytest.mark.conformance("variables")
def test_a_variable_that_returns_nothing_in_assign_is_located_at_its_variable(cases):
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Remember",
        "States": {"Remember": {"Type": "Pass", "Assign": {"result": "{% $doesNotExist %}"}, "End": True}},
    }

    run = cases.run(definition, {})

    assert run.error == "States.QueryEvaluationError"
    assert run.cause == (
        "An error occurred while executing the state 'Remember' (entered at the event id #2). The JSONata "
        "expression '$doesNotExist' specified for the field 'Assign/result' returned nothing (undefined)."
    )
    assert run.evaluation_failed()["location"] == "Assign/result"


@pytest.mark.conformance("variables")
def test_a_variable_assigned_inside_a_map_is_out_of_scope_after_it(cases):
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Each item",
        "States": {
            "Each item": {
                "Type": "Map",
                "Items": "{% $states.input.items %}",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Remember",
                    "States": {
                        "Remember": {"Type": "Pass", "Assign": {"inner": "{% $states.input %}"}, "End": True}
                    },
                },
                "Next": "After",
            },
            "After": {"Type": "Pass", "Output": {"result": "{% $inner %}"}, "End": True},
        },
    }

    run = cases.run(definition, {"items": [1, 2]})

    assert run.error == "States.QueryEvaluationError"
    assert run.cause.endswith(
        "The JSONata expression '$inner' specified for the field 'Output/result' "
        "returned nothing (undefined)."
    )
    assert run.cause.startswith(
        "An error occurred while executing the state 'After' (entered at the event id #"
    )
    assert run.evaluation_failed()["location"] == "Output/result"
