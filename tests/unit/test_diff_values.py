"""Field-level differences between JSON values, and definitions compared state by state."""

from __future__ import annotations

from workflow_review.asl import Transition
from workflow_review.diff.model import Rerouted
from workflow_review.diff.state_machines import STATE_LIST_KEYS, compare_definitions
from workflow_review.diff.values import MISSING, FieldChange, as_document, child_path, diff_values

RETRIER = {"ErrorEquals": ["TransientError"], "MaxAttempts": 3, "IntervalSeconds": 2, "BackoffRate": 2}


def test_retriers_are_matched_by_their_errors_not_their_position():
    # GIVEN a new retrier inserted before the one that changed
    old = {"Retry": [RETRIER]}
    new = {"Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2}, {**RETRIER, "MaxAttempts": 6}]}
    # WHEN compared
    changes = diff_values(old, new, keys=STATE_LIST_KEYS)
    # THEN the changed retrier is named by its errors, and the new one is added
    assert changes == [
        FieldChange("Retry[TransientError].MaxAttempts", 3, 6),
        FieldChange("Retry[States.Timeout]", MISSING, {"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2}),
    ]


def test_a_retrier_whose_errors_changed_is_one_change_of_its_error_list():
    old = {"Retry": [RETRIER]}
    new = {"Retry": [{**RETRIER, "ErrorEquals": ["TransientError", "Throttled"]}]}
    assert diff_values(old, new, keys=STATE_LIST_KEYS) == [
        FieldChange("Retry[TransientError].ErrorEquals", ["TransientError"], ["TransientError", "Throttled"])
    ]


def test_a_long_error_list_is_shortened_in_the_path():
    errors = ["A.One", "A.Two", "A.Three"]
    old = {"Retry": [{"ErrorEquals": errors, "MaxAttempts": 1}]}
    new = {"Retry": [{"ErrorEquals": errors, "MaxAttempts": 2}]}
    assert diff_values(old, new, keys=STATE_LIST_KEYS)[0].path == "Retry[A.One +2].MaxAttempts"


def test_lists_of_plain_values_compare_whole():
    assert diff_values({"Action": ["s3:GetObject"]}, {"Action": ["s3:GetObject", "s3:PutObject"]}) == [
        FieldChange("Action", ["s3:GetObject"], ["s3:GetObject", "s3:PutObject"])
    ]


def test_unnamed_objects_in_a_list_match_by_equality_then_in_order():
    # GIVEN an IAM statement inserted first and the last one given a condition
    first = {"Effect": "Allow", "Action": "sqs:SendMessage"}
    old = {"Statement": [first, {"Effect": "Allow", "Action": "sns:Publish"}]}
    new = {
        "Statement": [
            {"Effect": "Allow", "Action": "kms:Decrypt"},
            first,
            {
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
        ]
    }
    # WHEN compared
    changes = diff_values(old, new)
    # THEN the unchanged one is left out, the edited one (paired by what it shares) is a field
    # change at its new position, and the new one is added
    assert changes == [
        FieldChange("Statement[2].Condition", MISSING, {"Bool": {"aws:SecureTransport": "true"}}),
        FieldChange("Statement[0]", MISSING, {"Effect": "Allow", "Action": "kms:Decrypt"}),
    ]


def test_list_elements_that_share_nothing_are_removed_and_added():
    old = {"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Notify"}]}
    new = {"Catch": [{"ErrorEquals": ["Payments.Declined"], "Next": "Refund"}]}
    assert [(c.path, c.kind) for c in diff_values(old, new, keys=STATE_LIST_KEYS)] == [
        ("Catch[Payments.Declined]", "added"),
        ("Catch[States.ALL]", "removed"),
    ]


def test_keys_that_are_not_plain_words_are_quoted():
    assert child_path("Parameters", "Payload.$") == 'Parameters["Payload.$"]'
    assert child_path("", "TableName") == "TableName"


def test_a_json_string_joined_with_references_is_parsed():
    value = {"Fn::Join": ["", ['{"table":"', {"Ref": "Table"}, '"}']]}
    assert as_document(value) == {"table": "${Table}"}
    assert as_document("not json") == "not json"
    assert as_document({"Enabled": True}) == {"Enabled": True}


def _machine(states, start="Validate"):
    return {"StartAt": start, "States": states}


def test_a_state_moved_into_a_map_is_moved_not_removed_and_added():
    # GIVEN "Charge" at the top level before, inside the Map "Charge every line" after
    before = _machine(
        {
            "Validate": {"Type": "Pass", "Next": "Charge"},
            "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True},
        }
    )
    after = _machine(
        {
            "Validate": {"Type": "Pass", "Next": "Charge every line"},
            "Charge every line": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Charge",
                    "States": {
                        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}
                    },
                },
                "End": True,
            },
        }
    )
    # WHEN compared
    change = compare_definitions("Machine", "billing", before, after)
    # THEN Charge moved (fields unchanged), the Map is added, Validate leads to the Map
    charge = next(state for state in change.states if state.name == "Charge")
    assert (charge.kind, charge.moved, charge.old_scope, charge.new_scope, charge.fields) == (
        "modified",
        True,
        (),
        ("Charge every line",),
        (),
    )
    assert [state.name for state in change.states if state.kind == "added"] == ["Charge every line"]
    assert change.rerouted == (Rerouted("Validate", "next", "Charge", "Charge every line"),)
    assert Transition("Charge every line", "start", "Charge", "start") in change.transitions_added


def test_a_choice_branch_is_identified_by_its_condition():
    # GIVEN a Choice whose "amount > 0" branch now goes elsewhere and which gained a branch
    rule = {"Variable": "$.amount", "NumericGreaterThan": 0, "Next": "Charge"}
    before = _machine({"Validate": {"Type": "Choice", "Choices": [rule], "Default": "Done"}})
    after = _machine(
        {
            "Validate": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.vip", "BooleanEquals": True, "Next": "Done"},
                    {**rule, "Next": "Review"},
                ],
                "Default": "Done",
            }
        }
    )
    change = compare_definitions("Machine", "billing", before, after)
    # THEN the reroute names the condition, whatever the branch's position
    assert change.rerouted == (Rerouted("Validate", "when $.amount > 0", "Charge", "Review"),)
    assert change.transitions_added == (Transition("Validate", "when $.vip == true", "Done", "choice"),)


def test_top_level_definition_fields_are_compared():
    before = {**_machine({"Validate": {"Type": "Succeed"}}), "TimeoutSeconds": 3600}
    after = {**_machine({"Validate": {"Type": "Succeed"}}), "TimeoutSeconds": 7200}
    change = compare_definitions("Machine", "billing", before, after)
    assert change.definition_fields == (FieldChange("TimeoutSeconds", 3600, 7200),)
    assert change.states == ()
