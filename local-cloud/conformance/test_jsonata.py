"""JSONata evaluation errors (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html).

AWS fails the state ``States.QueryEvaluationError`` and records an ``EvaluationFailed`` event
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_EvaluationFailedEventDetails.html)
with the field's ``location``; the causes are the texts recorded from executions on AWS. After
"threw an error during evaluation." AWS writes its engine's code and message; the messages are
jsonata-python's here (the ones checked agree with the reference implementation's).
"""

import pytest

PREFIX = "An error occurred while executing the state 'Total' (entered at the event id #2). "


def _total(**fields):
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "Total",
        "States": {"Total": {"Type": "Pass", "End": True, **fields}},
    }


@pytest.mark.conformance("jsonata")
@pytest.mark.parametrize(
    ("expression", "outcome"),
    [
        ("$states.input.missing", "returned nothing (undefined)."),
        (
            "$states.input.a + 'x'",
            "threw an error during evaluation. "
            "T2002: The right side of the + operator must evaluate to a number",
        ),
    ],
    ids=["returns nothing", "throws"],
)
def test_a_failing_output_fails_states_query_evaluation_error_naming_the_field(cases, expression, outcome):
    run = cases.run(_total(Output="{% " + expression + " %}"), {"a": 1})

    cause = PREFIX + f"The JSONata expression '{expression}' specified for the field 'Output' {outcome}"
    assert (run.status, run.error, run.cause) == ("FAILED", "States.QueryEvaluationError", cause)
    assert run.evaluation_failed() == {
        "error": "States.QueryEvaluationError",
        "cause": cause,
        "location": "Output",
        "state": "Total",
    }


@pytest.mark.conformance("jsonata")
def test_a_field_of_an_output_object_is_located_below_output(cases):
    run = cases.run(_total(Output={"result": "{% $states.input.missing %}"}), {"a": 1})

    assert run.error == "States.QueryEvaluationError"
    assert run.cause == PREFIX + (
        "The JSONata expression '$states.input.missing' specified for the field 'Output/result' "
        "returned nothing (undefined)."
    )
    assert run.evaluation_failed()["location"] == "Output/result"


@pytest.mark.conformance("jsonata")
def test_an_argument_that_throws_is_located_below_arguments(cases):
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Total",
        "States": {
            "Total": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:describeStateMachine",
                "Arguments": {"StateMachineArn": "{% $noSuchFunction($states.input.a) %}"},
                "End": True,
            }
        },
    }

    run = cases.run(definition, {"a": 1})

    assert run.error == "States.QueryEvaluationError"
    assert run.evaluation_failed()["location"] == "Arguments/StateMachineArn"
    assert run.cause == PREFIX + (
        "The JSONata expression '$noSuchFunction($states.input.a)' specified for the field "
        "'Arguments/StateMachineArn' threw an error during evaluation. "
        "T1006: Attempted to invoke a non-function"
    )


@pytest.mark.conformance("jsonata")
def test_a_query_evaluation_error_is_caught_by_name(cases):
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Total",
        "States": {
            "Total": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:describeActivity",
                "Arguments": {"ActivityArn": "{% $states.input.missing %}"},
                "Catch": [
                    {
                        "ErrorEquals": ["States.QueryEvaluationError"],
                        "Output": {"error": "{% $states.errorOutput.Error %}"},
                        "Next": "Handled",
                    }
                ],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }

    run = cases.run(definition, {"a": 1})

    assert (run.status, run.output) == ("SUCCEEDED", {"error": "States.QueryEvaluationError"})
    assert run.evaluation_failed()["location"] == "Arguments/ActivityArn"
