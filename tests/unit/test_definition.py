"""Reassembling definitions from templates."""

from __future__ import annotations

import pytest
from workflow_constructs.definition import DefinitionError, iter_states, render_definition, state_machines


def test_fn_join_is_reassembled_with_placeholders():
    definition_string = {
        "Fn::Join": [
            "",
            [
                '{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"',
                {"Fn::GetAtt": ["Fn1234", "Arn"]},
                '","Parameters":{"TableName":"',
                {"Ref": "Table99"},
                '"},"End":true}}}',
            ],
        ]
    }
    assert render_definition(definition_string) == {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "${Fn1234.Arn}",
                "Parameters": {"TableName": "${Table99}"},
                "End": True,
            }
        },
    }


def test_state_machines_are_found_by_logical_id():
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionString": '{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}'},
            },
            "Other": {"Type": "AWS::SNS::Topic"},
        }
    }
    assert list(state_machines(template)) == ["Machine"]


def test_iter_states_walks_parallel_branches_and_map_processors():
    definition = {
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "States": {
                            "Each": {"Type": "Map", "ItemProcessor": {"States": {"Do": {"Type": "Task"}}}}
                        }
                    }
                ],
            }
        }
    }
    assert [(ref.path, ref.name) for ref in iter_states(definition)] == [
        ((), "Both"),
        (("Both",), "Each"),
        (("Both", "Each"), "Do"),
    ]


def test_malformed_definition_is_a_named_error():
    with pytest.raises(DefinitionError, match="not valid JSON"):
        render_definition('{"States": ')
