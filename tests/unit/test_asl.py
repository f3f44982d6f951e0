"""Reading Amazon States Language for people: conditions, retries, integrations, transitions."""

from __future__ import annotations

import pytest
from workflow_review.asl import (
    Transition,
    describe_condition,
    describe_retrier,
    integration,
    max_retries,
    transitions,
    wait_label,
)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"Variable": "$.status", "StringEquals": "ACTIVE"}, '$.status == "ACTIVE"'),
        ({"Variable": "$.total", "NumericLessThanEqualsPath": "$.limit"}, "$.total <= $.limit"),
        ({"Variable": "$.vip", "BooleanEquals": False}, "$.vip == false"),
        (
            {"Variable": "$.when", "TimestampGreaterThan": "2026-01-01T00:00:00Z"},
            '$.when > "2026-01-01T00:00:00Z"',
        ),
        ({"Variable": "$.name", "StringMatches": "*.pdf"}, '$.name matches "*.pdf"'),
        ({"Variable": "$.coupon", "IsPresent": False}, "$.coupon is not present"),
        ({"Variable": "$.id", "IsString": True}, "$.id is a string"),
        (
            {
                "Or": [
                    {"Variable": "$.a", "NumericEquals": 1},
                    {
                        "And": [
                            {"Variable": "$.b", "IsNull": True},
                            {"Not": {"Variable": "$.c", "IsNumeric": True}},
                        ]
                    },
                ]
            },
            "$.a == 1 or ($.b is null and not ($.c is a number))",
        ),
        ({"Condition": "{% $states.input.total > 100 %}"}, "$states.input.total > 100"),
    ],
)
def test_conditions_read_as_expressions(rule, expected):
    assert describe_condition(rule) == expected


def test_a_retrier_without_optional_fields_reads_with_the_asl_defaults():
    assert (
        describe_retrier({"ErrorEquals": ["States.ALL"]}) == "up to 3 retries on States.ALL (after 1 s, x2)"
    )
    assert max_retries({"Retry": [{"ErrorEquals": ["A"], "MaxAttempts": 0}, {"ErrorEquals": ["B"]}]}) == 3
    assert max_retries({"Type": "Pass"}) == 0


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("arn:${AWS::Partition}:states:::dynamodb:putItem", "dynamodb:putItem"),
        ("arn:aws:states:::aws-sdk:sesv2:sendEmail", "aws-sdk:sesv2:sendEmail"),
        ("arn:aws:lambda:eu-west-1:123456789012:function:greet", "lambda"),
        ("${Greeter1234.Arn}", "lambda"),
        ("${Unknown99.Arn}", None),
        (None, None),
    ],
)
def test_integrations_are_shortened(resource, expected):
    assert integration(resource, {"Greeter1234": "AWS::Lambda::Function"}) == expected


def test_wait_labels():
    assert wait_label({"Seconds": 30}) == "30 s"
    assert wait_label({"TimestampPath": "$.due"}) == "until $.due"
    assert wait_label({"SecondsPath": "$.delay"}) == "$.delay s"


def test_transitions_cover_branches_item_processors_choices_and_catches():
    definition = {
        "StartAt": "Split",
        "States": {
            "Split": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "Left", "States": {"Left": {"Type": "Succeed"}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
                "Next": "Decide",
            },
            "Decide": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Done"}],
                "Default": "Failed",
            },
            "Done": {"Type": "Succeed"},
            "Failed": {"Type": "Fail"},
        },
    }
    assert list(transitions(definition)) == [
        Transition("", "start", "Split", "start"),
        Transition("Split", "next", "Each", "next"),
        Transition("Split", "catch States.ALL", "Failed", "catch"),
        Transition("Split [branch 1]", "start", "Left", "start"),
        Transition("Each", "next", "Decide", "next"),
        Transition("Each", "start", "Item", "start"),
        Transition("Decide", "when $.ok == true", "Done", "choice"),
        Transition("Decide", "otherwise", "Failed", "default"),
    ]
