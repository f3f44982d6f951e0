"""The texts of the runtime-cause and JSONata-evaluation patches, and where a JSONata field sits.

Pure functions only: the patches themselves run in the canary's child process and in the
conformance suite (``local-cloud/conformance``), against executions on a local cloud.
"""

from __future__ import annotations

import json
import traceback

from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringJSONata
from moto.stepfunctions.parser.asl.component.intrinsic.functionname.state_function_name_types import (
    StatesFunctionNameType,
)
from moto.stepfunctions.parser.asl.component.intrinsic.functionname.states_function_name import (
    StatesFunctionName,
)
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from workflow_local_cloud import _lambda_worker, causes, evaluation_errors


def test_a_result_path_cause_prints_the_input_compact():
    assert (
        causes.result_path_cause("$.a.b", {"a": "str"})
        == 'Unable to apply ReferencePath $.a.b to input {"a":"str"}'
    )


def test_an_intrinsic_is_named_as_written_in_a_definition():
    # GIVEN moto's component of States.ArrayGetItem (moto's own name for it loses two letters)
    class Component:
        name = StatesFunctionName(StatesFunctionNameType.ArrayGetItem)

    # THEN the cause names the function as the definition writes it
    assert Component.name.name == "rrayGetIte"
    assert causes.function_name(Component()) == "States.ArrayGetItem"
    assert causes.intrinsic_cause("States.ArrayGetItem", "list index out of range") == (
        "The intrinsic function States.ArrayGetItem failed to evaluate: list index out of range"
    )


def _expressions(program):
    found, seen, pending = {}, set(), [program]
    while pending:
        node = pending.pop()
        if id(node) in seen or not hasattr(node, "__dict__"):
            continue
        seen.add(id(node))
        if isinstance(node, StringJSONata):
            found[node.expression] = evaluation_errors.location_of(node)
        for value in vars(node).values():
            pending.extend(
                value if isinstance(value, list) else value.values() if isinstance(value, dict) else [value]
            )
    return found


def test_every_jsonata_expression_knows_the_field_it_sits_in():
    # GIVEN a JSONata definition with expressions in Output, Arguments, Assign and a Map's inner state
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Look up",
        "States": {
            "Look up": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {
                    "FunctionName": "{% $states.input.fn %}",
                    "Payload": {"id": "{% $states.input.id %}"},
                },
                "Assign": {"total": "{% $states.result.total %}"},
                "Output": {"result": "{% $states.result.Payload %}"},
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "Items": "{% $states.input.items %}",
                "ItemProcessor": {
                    "StartAt": "Inner",
                    "States": {"Inner": {"Type": "Pass", "Output": "{% $states.input * 2 %}", "End": True}},
                },
                "End": True,
            },
        },
    }
    program, _ = AmazonStateLanguageParser.parse(json.dumps(definition))

    # WHEN the locations are written on the parsed program
    evaluation_errors.annotate_locations(program)

    # THEN each is the path of fields from its own state, as AWS reports it
    assert _expressions(program) == {
        "$states.input.fn": "Arguments/FunctionName",
        "$states.input.id": "Arguments/Payload/id",
        "$states.result.total": "Assign/total",
        "$states.result.Payload": "Output/result",
        "$states.input.items": "Items",
        "$states.input * 2": "Output",
    }


def test_a_jsonata_cause_names_the_field_and_the_error_code():
    assert (
        evaluation_errors.field_text("$x", "Output")
        == "The JSONata expression '$x' specified for the field 'Output'"
    )
    assert evaluation_errors.field_text("$x", "") == "The JSONata expression '$x'"
    assert evaluation_errors.thrown_detail("The right side ...", "T2002") == "T2002: The right side ..."
    assert evaluation_errors.thrown_detail("could not convert", None) == "could not convert"


def test_a_stack_trace_names_the_deployed_code_under_var_task(tmp_path):
    # GIVEN frames of the deployed code (unpacked to a local folder) and of the standard library
    frames = [
        traceback.FrameSummary(str(tmp_path / "handler.py"), 7, "handler", line="raise Declined()"),
        traceback.FrameSummary(str(tmp_path / "lib" / "rules.py"), 3, "check", line="raise Declined()"),
        traceback.FrameSummary("/usr/lib/python3.12/json/__init__.py", 346, "loads", line="return x"),
    ]

    # WHEN Lambda's stackTrace is written
    stack = _lambda_worker.task_stack(frames, str(tmp_path))

    # THEN the code is under /var/task and the rest keeps its path
    assert stack == [
        '  File "/var/task/handler.py", line 7, in handler\n    raise Declined()\n',
        '  File "/var/task/lib/rules.py", line 3, in check\n    raise Declined()\n',
        '  File "/usr/lib/python3.12/json/__init__.py", line 346, in loads\n    return x\n',
    ]
