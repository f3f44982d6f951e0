"""JSONata evaluation errors name their field, as Step Functions does (patch "sfn-evaluation-errors").

What AWS does (recorded from executions on AWS; the event's fields:
https://docs.aws.amazon.com/step-functions/latest/apireference/API_EvaluationFailedEventDetails.html):
a JSONata expression that fails, or returns nothing where a value is needed, fails the state
``States.QueryEvaluationError``. The history gets an ``EvaluationFailed`` event whose
``evaluationFailedEventDetails`` hold the error, the state, the ``location`` of the field (``Output``,
``Output/result``, ``Assign/total``, ``Arguments/FunctionName``) and a cause naming both::

    An error occurred while executing the state 'Total' (entered at the event id #2). The JSONata
    expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined).

    ... The JSONata expression '$f()' specified for the field 'Output' threw an error during
    evaluation. T1006: Attempted to invoke a non-function

What moto 5.2.5 does: the cause leaves out the field and the event its ``location``; an expression
that throws (a string added to a number) escapes the state as a Python exception, so the execution
fails ``States.Runtime`` with ``JSONataException((...))`` as cause and no ``EvaluationFailed`` event.

The message after "threw an error during evaluation." is jsonata-python's, prefixed with the
JSONata error code as AWS's engine writes it; jsonata-python words a few messages differently from
the JavaScript reference implementation (the conformance suite pins the ones it checks).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from workflow_local_cloud.patches import (
    Patch,
    _mark,
    _replace,
    _require,
    _require_parameters,
    _require_version,
)

PATCH_NAME = "sfn-evaluation-errors"
EVALUATION_MARK = "_local_cloud_evaluation"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"

LOCATION_ATTRIBUTE = "_local_cloud_location"
_RECENTLY_RECORDED: deque[Any] = deque(maxlen=64)
"""Event details this patch recorded itself: a Task state that re-records one adds nothing."""


def _module(name: str) -> Any:
    import importlib

    return importlib.import_module(f"moto.stepfunctions.parser.asl.{name}")


def _labels() -> list[tuple[type, str | None]]:
    """(component class, its label in a location; None: the binding's own name)."""
    component = "component."
    return [
        (_module(component + "common.outputdecl").Output, "Output"),
        (_module(component + "common.parargs").Arguments, "Arguments"),
        (_module(component + "common.assign.assign_decl").AssignDecl, "Assign"),
        (_module(component + "state.exec.state_map.items.items").Items, "Items"),
        (_module(component + "state.exec.state_map.item_selector").ItemSelector, "ItemSelector"),
        (_module(component + "state.wait.wait_function.seconds").SecondsJSONata, "Seconds"),
        (_module(component + "state.wait.wait_function.timestamp").Timestamp, "Timestamp"),
        (_module(component + "state.fail.error_decl").ErrorDecl, "Error"),
        (_module(component + "state.fail.cause_decl").CauseDecl, "Cause"),
        (_module(component + "state.choice.comparison.comparison").Comparison, "Condition"),
        (_module(component + "common.jsonata.jsonata_template_binding").JSONataTemplateBinding, None),
        (_module(component + "common.assign.assign_template_binding").AssignTemplateBinding, None),
    ]


def _label(node: Any, labels: list[tuple[type, str | None]]) -> str | None:
    for cls, label in labels:
        if isinstance(node, cls):
            return label if label is not None else str(getattr(node, "identifier", ""))
    return None


def _children(node: Any) -> Iterator[Any]:
    for value in vars(node).values():
        if isinstance(value, list | tuple):
            yield from value
        elif isinstance(value, dict):
            yield from value.values()
        else:
            yield value


def annotate_locations(program: Any) -> None:
    """Write on every JSONata expression of a parsed program the location AWS reports for it.

    The location is the path of fields from the expression's state down to it (``Output/result``):
    only the fields an expression can sit in and the names of template bindings count.
    """
    from moto.stepfunctions.parser.asl.component.component import Component
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

    StringJSONata = _module("component.common.string.string_expression").StringJSONata  # noqa: N806
    labels = _labels()
    seen: set[int] = set()
    pending: list[tuple[Any, tuple[str, ...]]] = [(program, ())]
    while pending:
        node, path = pending.pop()
        if id(node) in seen or not isinstance(node, Component):
            continue
        seen.add(id(node))
        if isinstance(node, CommonStateField):
            path = ()  # a state nested in a Map or Parallel starts its own locations
        if isinstance(node, StringJSONata):
            setattr(node, LOCATION_ATTRIBUTE, "/".join(path))
        label = _label(node, labels)
        here = (*path, label) if label else path
        pending.extend((child, here) for child in _children(node))


def location_of(expression_node: Any) -> str:
    """The location :func:`annotate_locations` wrote on an expression ("" if none)."""
    return str(getattr(expression_node, LOCATION_ATTRIBUTE, ""))


def _failure(env: Any, cause: str, location: str) -> Exception:
    from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    _event_details: Any = EventDetails  # a TypedDict: one key set of its many
    details = EvaluationFailedEventDetails(error=QUERY_EVALUATION_ERROR, cause=cause)
    if location:
        details["location"] = location
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError),
            event_type=HistoryEventType.EvaluationFailed,
            event_details=_event_details(evaluationFailedEventDetails=details),
        )
    )


def _record(env: Any, failure: Any) -> None:
    from moto.stepfunctions.parser.api import HistoryEventType
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    _event_details: Any = EventDetails  # a TypedDict: one key set of its many
    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.EvaluationFailed,
        event_details=_event_details(
            evaluationFailedEventDetails=failure.get_evaluation_failed_event_details()
        ),
    )
    # A Task, Map or Parallel state records the failure of its attempt again: that copy is dropped.
    _RECENTLY_RECORDED.append(failure.failure_event.event_details)


def field_text(expression: str, location: str) -> str:
    """``The JSONata expression '<expression>' specified for the field '<location>'``."""
    where = f" specified for the field '{location}'" if location else ""
    return f"The JSONata expression '{expression}'{where}"


def thrown_detail(details: str | None, code: str | None) -> str:
    """The JSONata error after "threw an error during evaluation.": ``T2002: The right side ...``."""
    text = details or ""
    return f"{code}: {text}" if code and not text.startswith(code) else text


def _check() -> None:
    _require_version(PATCH_NAME)
    string_expression = _module("component.common.string.string_expression")
    validations = _module("jsonata.validations")
    _require(
        string_expression.validate_jsonata_expression_output is validations.validate_jsonata_expression_output
        or getattr(string_expression.validate_jsonata_expression_output, EVALUATION_MARK, False),
        PATCH_NAME,
        "string_expression no longer validates JSONata output through validations",
    )
    _require_parameters(
        PATCH_NAME,
        validations.validate_jsonata_expression_output,
        ("env", "expression", "rich_jsonata_expression", "jsonata_result"),
    )
    _require_parameters(PATCH_NAME, string_expression.StringJSONata._eval_body, ("self", "env"))
    for check in (validations._validate_null_output, validations._validate_string_output):
        _require_parameters(PATCH_NAME, check, ("env", "expression", "rich_jsonata_expression"))
    _require_parameters(PATCH_NAME, _parser().parse, ("definition",))
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    _require_parameters(
        PATCH_NAME,
        EventManager.add_event,
        ("self", "context", "event_type", "event_details", "timestamp", "update_source_event_id"),
    )
    _require(hasattr(_module("jsonata.jsonata"), "JSONataException"), PATCH_NAME, "JSONataException is gone")
    _labels()  # every class a location is built from still exists


def _parser() -> Any:
    return _module("parse.asl_parser").AmazonStateLanguageParser


def _apply() -> None:
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    string_expression = _module("component.common.string.string_expression")
    validations = _module("jsonata.validations")
    JSONataException = _module("jsonata.jsonata").JSONataException  # noqa: N806 - a class
    StringJSONata = string_expression.StringJSONata  # noqa: N806 - a class
    parser = _parser()
    if getattr(StringJSONata._eval_body, EVALUATION_MARK, False):
        return

    original_parse = parser.parse

    def parse(definition: str) -> Any:
        program, tree = original_parse(definition)
        annotate_locations(program)
        return program, tree

    original_body = StringJSONata._eval_body

    def _eval_body(self: Any, env: Any) -> None:
        try:
            original_body(self, env)
        except JSONataException as error:
            location = location_of(self)
            cause = (
                f"{field_text(self.expression, location)} threw an error during evaluation. "
                f"{thrown_detail(error.details, getattr(error.__cause__, 'error', None))}"
            )
            failure = _failure(env, cause, location)
            _record(env, failure)
            raise failure from error
        except FailureEventException as error:
            details: Any = error.failure_event.event_details or {}
            if details.get("evaluationFailedEventDetails", {}).get("error") != QUERY_EVALUATION_ERROR:
                raise
            if any(details is done for done in _RECENTLY_RECORDED):
                raise
            # moto's check of the result ("returned nothing"): the field named, recorded once.
            location = location_of(self)
            evaluation: dict[str, Any] = details["evaluationFailedEventDetails"]
            rest = str(evaluation.get("cause", "")).removeprefix(
                f"The JSONata expression '{self.expression}'"
            )
            evaluation["cause"] = field_text(self.expression, location) + rest
            if location:
                evaluation["location"] = location
            _record(env, error)
            raise

    def validate_jsonata_expression_output(
        env: Any, expression: str, rich_jsonata_expression: str, jsonata_result: Any
    ) -> None:
        # moto's own checks without moto's recording: the expression records them, with the field.
        if jsonata_result is None:
            validations._validate_null_output(env, expression, rich_jsonata_expression)
        if isinstance(jsonata_result, str):
            validations._validate_string_output(env, expression, rich_jsonata_expression)

    original_add_event = EventManager.add_event

    def add_event(self: Any, context: Any, event_type: Any, event_details: Any = None, **kwargs: Any) -> int:
        if event_details is not None and any(event_details is done for done in _RECENTLY_RECORDED):
            return int(context.last_published_event_id)
        return int(original_add_event(self, context, event_type, event_details, **kwargs))

    for wrapper, original in (
        (parse, original_parse),
        (_eval_body, original_body),
        (validate_jsonata_expression_output, validations.validate_jsonata_expression_output),
        (add_event, original_add_event),
    ):
        _mark(wrapper, original)
        setattr(wrapper, EVALUATION_MARK, True)
    _replace(parser, "parse", staticmethod(parse))
    _replace(StringJSONata, "_eval_body", _eval_body)
    _replace(string_expression, "validate_jsonata_expression_output", validate_jsonata_expression_output)
    _replace(EventManager, "add_event", add_event)


def _verify() -> None:
    string_expression = _module("component.common.string.string_expression")
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    for owner, name in (
        (_parser(), "parse"),
        (string_expression.StringJSONata, "_eval_body"),
        (string_expression, "validate_jsonata_expression_output"),
        (EventManager, "add_event"),
    ):
        target = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        target = getattr(target, "__func__", target)  # a staticmethod
        _require(getattr(target, EVALUATION_MARK, False), PATCH_NAME, f"{name} is not replaced")
    _require(
        field_text("$x", "Output/result")
        == "The JSONata expression '$x' specified for the field 'Output/result'"
        and thrown_detail("Attempted to invoke a non-function", "T1006")
        == "T1006: Attempted to invoke a non-function",
        PATCH_NAME,
        "the cause is not worded as AWS words it",
    )


PATCHES: tuple[Patch, ...] = (
    Patch(
        PATCH_NAME,
        "moto's JSONata errors leave the field out of the cause and the EvaluationFailed event, and an "
        "expression that throws fails States.Runtime with a Python repr and no EvaluationFailed event.",
        _check,
        _apply,
        _verify,
    ),
)
