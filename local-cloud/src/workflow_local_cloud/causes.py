"""Runtime errors carry the error names and causes Step Functions gives (patch "sfn-runtime-causes").

What AWS does (the error names: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html;
the texts as recorded from executions on AWS):

- a JSONPath in ``Parameters``, ``ResultSelector`` or ``Assign`` that selects nothing fails the state
  ``States.Runtime``, the cause naming the field and the input as compact JSON: ``The JSONPath
  '$.a' specified for the field 'x.$' could not be found in the input '{"b":1}'``;
- a Choice state whose rules all fail and that has no ``Default`` fails ``States.NoChoiceMatched``;
- a ``ResultPath`` that cannot be applied to the state's input (a field below a string) fails
  ``States.ResultPathMatchFailure``, which ``Catch`` can handle;
- an intrinsic function that cannot evaluate its arguments (``States.ArrayGetItem`` past the end,
  ``States.StringToJson`` of text that is not JSON, ``States.MathAdd`` of a string, an unknown
  ``States.Hash`` algorithm) fails the state ``States.Runtime`` with a cause that names the state.

What moto 5.2.5 does: the input in the cause is spaced JSON (``{"b": 1}``), ``ResultSelector``
leaves the field out and ``Assign`` names an internal class instead (``AssignTemplateBinding...``);
a Choice without a match, a failing ResultPath and a failing intrinsic escape as Python exceptions,
so the execution fails ``States.Runtime`` with the exception's repr as its cause
(``IndexError(list index out of range)``) and no Catch sees them.

AWS does not document its texts for ``States.NoChoiceMatched``, ``States.ResultPathMatchFailure``
and intrinsic failures: the local texts (:func:`no_choice_cause`, :func:`result_path_cause`,
:func:`intrinsic_cause`) are pinned by the conformance suite.
"""

from __future__ import annotations

import inspect
from typing import Any

from workflow_local_cloud.patches import (
    Patch,
    _mark,
    _replace,
    _require,
    _require_parameters,
    _require_version,
)

PATCH_NAME = "sfn-runtime-causes"
CAUSES_MARK = "_local_cloud_causes"
MOTO_NO_CHOICE = "No branching option reached in state %s"
"""The RuntimeError moto's Choice state raises when no rule matched and there is no Default."""

_INPUT_CAUSE_MODULES = (
    "moto.stepfunctions.parser.asl.component.state.state",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.utils.json_path",
)
"""Modules that write the input into a "could not be found in the input" cause with ``to_json_str``."""


def compact_json(value: Any) -> str:
    """JSON as Step Functions prints it in causes: no spaces (``{"b":1}``)."""
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str  # knows datetimes

    return to_json_str(value, separators=(",", ":"))


def no_choice_cause(state: str) -> str:
    """The cause of ``States.NoChoiceMatched`` (AWS's text is undocumented: this one is pinned)."""
    return f"No Choice Rule matched and no Default is defined in the Choice state '{state}'."


def result_path_cause(result_path: str, state_input: Any) -> str:
    """The cause of ``States.ResultPathMatchFailure`` (undocumented; pinned).

    Example: ``result_path_cause("$.a.b", "str")`` is ``Unable to apply ReferencePath $.a.b to input "str"``.
    """
    return f"Unable to apply ReferencePath {result_path} to input {compact_json(state_input)}"


def missing_path_cause(error: Any, field: str | None) -> str:
    """The cause of a JSONPath that selects nothing, as AWS writes it for a payload template's field.

    ``error`` is moto's ``NoSuchJsonPathError`` (its ``json_path`` and ``data``).
    """
    return (
        f"The JSONPath '{error.json_path}' specified for the field '{field}' could not be found in the input "
        f"'{compact_json(error.data)}'"
    )


def intrinsic_cause(function: str, detail: str) -> str:
    """The cause of a failed intrinsic function, below the state prefix (undocumented; pinned).

    Example: ``intrinsic_cause("States.ArrayGetItem", "list index out of range")``.
    """
    return f"The intrinsic function {function} failed to evaluate: {detail}"


def function_name(function: Any) -> str:
    """``States.ArrayGetItem`` for moto's component of that intrinsic.

    moto's own ``StatesFunctionName.name`` cuts a letter off each end ("rrayGetIte"): read the lexer.
    """
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLIntrinsicLexer import ASLIntrinsicLexer

    return f"States.{ASLIntrinsicLexer.symbolicNames[function.name.function_type.value]}"


def _failure(env: Any, error: str, cause: str) -> Exception:
    """A FailureEventException the interpreter handles like its own: Retry, Catch, ExecutionFailed."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    _event_details: Any = EventDetails  # a TypedDict: one key set of its many
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName.from_name(error),
            event_type=HistoryEventType.TaskFailed,
            event_details=_event_details(
                taskFailedEventDetails=TaskFailedEventDetails(error=error, cause=cause)
            ),
        )
    )


def _classes() -> dict[str, Any]:
    import importlib

    def load(module: str, name: str) -> Any:
        return getattr(importlib.import_module(f"moto.stepfunctions.parser.asl.component.{module}"), name)

    return {
        "choice": load("state.choice.state_choice", "StateChoice"),
        "result_path": load("common.path.result_path", "ResultPath"),
        "function": load("intrinsic.function.statesfunction.states_function", "StatesFunction"),
        "assign_binding": load(
            "common.assign.assign_template_binding", "AssignTemplateBindingStringExpressionSimple"
        ),
        "eval_component": load("eval_component", "EvalComponent"),
        "result_selector": load("common.result_selector", "ResultSelector"),
    }


def _check() -> None:
    import importlib

    _require_version(PATCH_NAME)
    classes = _classes()
    choice_source = inspect.getsource(classes["choice"]._eval_state)
    _require(
        f'RuntimeError("{MOTO_NO_CHOICE}", self.name)' in choice_source,
        PATCH_NAME,
        "StateChoice._eval_state no longer raises RuntimeError without a match: it may name the error now",
    )
    _require_parameters(PATCH_NAME, classes["choice"]._eval_state, ("self", "env"))
    _require_parameters(PATCH_NAME, classes["result_path"]._eval_body, ("self", "env"))
    _require_parameters(PATCH_NAME, classes["result_selector"]._eval_body, ("self", "env"))
    _require_parameters(PATCH_NAME, classes["eval_component"].eval, ("self", "env"))
    _require(
        "_field_name" not in classes["assign_binding"].__dict__ or _is_ours(classes["assign_binding"]),
        PATCH_NAME,
        "AssignTemplateBindingStringExpressionSimple names its field itself now: drop that part",
    )
    for name in _INPUT_CAUSE_MODULES:
        module = importlib.import_module(name)
        _require(hasattr(module, "to_json_str"), PATCH_NAME, f"{name} no longer imports to_json_str")


def _is_ours(cls: Any) -> bool:
    return bool(getattr(cls.__dict__.get("_field_name"), CAUSES_MARK, False))


def _apply() -> None:
    import importlib

    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEventException,
    )

    classes = _classes()
    choice, result_path, function = classes["choice"], classes["result_path"], classes["function"]
    if getattr(choice._eval_state, CAUSES_MARK, False):
        return

    original_choice = choice._eval_state

    def _eval_state(self: Any, env: Any) -> None:
        try:
            original_choice(self, env)
        except RuntimeError as error:
            if error.args[:1] != (MOTO_NO_CHOICE,):
                raise
            raise _failure(env, "States.NoChoiceMatched", no_choice_cause(self.name)) from error

    original_result_path = result_path._eval_body

    def _eval_result_path(self: Any, env: Any) -> None:
        try:
            original_result_path(self, env)
        except FailureEventException:
            raise
        except Exception as error:
            cause = result_path_cause(str(self.result_path_src), env.states.get_input())
            raise _failure(env, "States.ResultPathMatchFailure", cause) from error

    # Every intrinsic inherits eval from EvalComponent: give StatesFunction its own.
    original_eval = classes["eval_component"].eval

    def eval_function(self: Any, env: Any) -> None:
        try:
            original_eval(self, env)
        except FailureEventException:
            raise
        except Exception as error:
            cause = intrinsic_cause(function_name(self), str(error))
            raise _failure(env, "States.Runtime", cause) from error

    def _field_name(self: Any) -> str:
        return f"{self.identifier}.$"

    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    original_selector = classes["result_selector"]._eval_body

    def _eval_result_selector(self: Any, env: Any) -> None:
        # moto's Task turns the path error into a cause without the field; Parameters' names it.
        try:
            original_selector(self, env)
        except NoSuchJsonPathError as error:
            raise _failure(env, "States.Runtime", missing_path_cause(error, env.next_field_name)) from error

    for wrapper, original in (
        (_eval_state, original_choice),
        (_eval_result_path, original_result_path),
        (eval_function, original_eval),
        (_field_name, None),
        (_eval_result_selector, original_selector),
    ):
        _mark(wrapper, original)
        setattr(wrapper, CAUSES_MARK, True)
    _replace(choice, "_eval_state", _eval_state)
    _replace(result_path, "_eval_body", _eval_result_path)
    _replace(function, "eval", eval_function)
    _replace(classes["assign_binding"], "_field_name", _field_name)
    _replace(classes["result_selector"], "_eval_body", _eval_result_selector)

    for name in _INPUT_CAUSE_MODULES:
        _replace(importlib.import_module(name), "to_json_str", _to_json_str_compact)


def _to_json_str_compact(obj: Any, separators: tuple[str, str] | None = None) -> str:
    # These modules print values only into causes; AWS prints them compact.
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    return to_json_str(obj, separators=separators or (",", ":"))


def _verify() -> None:
    import importlib

    classes = _classes()
    for cls, name in (
        (classes["choice"], "_eval_state"),
        (classes["result_path"], "_eval_body"),
        (classes["function"], "eval"),
        (classes["assign_binding"], "_field_name"),
        (classes["result_selector"], "_eval_body"),
    ):
        _require(
            getattr(cls.__dict__.get(name), CAUSES_MARK, False),
            PATCH_NAME,
            f"{cls.__name__}.{name} is not replaced",
        )
    for name in _INPUT_CAUSE_MODULES:
        printed = importlib.import_module(name).to_json_str({"b": 1})
        _require(printed == '{"b":1}', PATCH_NAME, f"{name} prints inputs as {printed!r}")


PATCHES: tuple[Patch, ...] = (
    Patch(
        PATCH_NAME,
        "moto fails a Choice without a match, a failing ResultPath and a failing intrinsic States.Runtime "
        "with a Python repr as cause, and prints inputs spaced; AWS names NoChoiceMatched, "
        "ResultPathMatchFailure and the state.",
        _check,
        _apply,
        _verify,
    ),
)
