"""Intrinsic functions (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html).

Results are the ones the guide's examples show. A function that cannot evaluate its arguments fails
the state ``States.Runtime`` with a cause naming the state; AWS does not document the text after
that prefix, so the failing cases pin the local text (it names the function and the reason).
"""

import pytest

PREFIX = "An error occurred while executing the state 'Compute' (entered at the event id #2). "


def _run(cases, expression, state_input):
    definition = {
        "StartAt": "Compute",
        "States": {"Compute": {"Type": "Pass", "Parameters": {"value.$": expression}, "End": True}},
    }
    return cases.run(definition, state_input)


@pytest.mark.conformance("intrinsics")
@pytest.mark.parametrize(
    ("expression", "state_input", "value"),
    [
        ("States.Format('Hello, my name is {}.', $.name)", {"name": "Arnav"}, "Hello, my name is Arnav."),
        ("States.StringToJson($.someString)", {"someString": '{"number": 20}'}, {"number": 20}),
        ("States.JsonToString($.data)", {"data": {"a": 1, "b": [2]}}, '{"a":1,"b":[2]}'),
        ("States.ArrayGetItem($.inputArray, $.index)", {"inputArray": [1, 2, 3], "index": 1}, 2),
        ("States.ArrayPartition($.a, 2)", {"a": [1, 2, 3, 4, 5]}, [[1, 2], [3, 4], [5]]),
        ("States.ArrayRange(1, 9, 2)", {}, [1, 3, 5, 7, 9]),
        ("States.MathAdd($.value1, $.step)", {"value1": 111, "step": -1}, 110),
        (
            "States.Hash($.Data, $.Algorithm)",
            {"Data": "input data", "Algorithm": "SHA-1"},
            "aaff4a450a104cd177d28d18d74485e8cae074b7",
        ),
        ("States.Base64Encode($.input)", {"input": "Data to encode"}, "RGF0YSB0byBlbmNvZGU="),
        ("States.StringSplit($.s, ',')", {"s": "1,2,3"}, ["1", "2", "3"]),
    ],
)
def test_an_intrinsic_gives_the_documented_result(cases, expression, state_input, value):
    run = _run(cases, expression, state_input)

    assert (run.status, run.output) == ("SUCCEEDED", {"value": value})


@pytest.mark.conformance("intrinsics")
def test_uuid_gives_a_version_4_uuid(cases):
    run = _run(cases, "States.UUID()", {})

    assert run.status == "SUCCEEDED"
    value = run.output["value"]
    assert len(value) == 36
    assert value[14] == "4"


@pytest.mark.conformance("intrinsics")
@pytest.mark.parametrize(
    ("expression", "state_input", "reason"),
    [
        (
            "States.ArrayGetItem($.a, 5)",
            {"a": [1, 2]},
            "States.ArrayGetItem failed to evaluate: list index out of range",
        ),
        (
            "States.StringToJson($.a)",
            {"a": "not json"},
            "States.StringToJson failed to evaluate: Expecting value: line 1 column 1 (char 0)",
        ),
        (
            "States.MathAdd($.a, 1)",
            {"a": "x"},
            "States.MathAdd failed to evaluate: Expected integer value, but got: 'x'.",
        ),
        (
            "States.Hash($.a, 'MD4')",
            {"a": "x"},
            "States.Hash failed to evaluate: Unknown hash function 'MD4'.",
        ),
        (
            "States.Format('{} and {}', $.a)",
            {"a": 1},
            "States.Format failed to evaluate: Replacement index 1 out of range for positional args tuple",
        ),
    ],
)
def test_an_intrinsic_that_cannot_evaluate_fails_the_state_states_runtime(
    cases, expression, state_input, reason
):
    run = _run(cases, expression, state_input)

    assert (run.status, run.error) == ("FAILED", "States.Runtime")
    assert run.cause == PREFIX + "The intrinsic function " + reason


@pytest.mark.conformance("intrinsics")
def test_a_nested_intrinsic_that_fails_names_the_innermost_function(cases):
    run = _run(cases, "States.Format('{}', States.StringToJson($.a))", {"a": "nope"})

    assert (run.status, run.error) == ("FAILED", "States.Runtime")
    assert run.cause.startswith(PREFIX + "The intrinsic function States.StringToJson failed to evaluate: ")
