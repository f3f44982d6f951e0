"""Retry and Catch match errors as AWS does; bad definitions are refused with AWS's error code.

Two patches, "sfn-error-matching" and "sfn-api-error-codes".

What AWS does (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):

- ``States.Runtime``: "A States.Runtime error isn't retriable, and will always cause the
  execution to fail. A retry or catch on States.ALL won't catch States.Runtime errors." (a
  Task's ``Parameters`` path that is not in the input, for one);
- ``States.DataLimitExceeded`` is "a terminal error that can't be caught by the States.ALL error
  type" (it can be named);
- ``States.ALL`` "must appear alone in the ErrorEquals array and must appear in the last
  retrier/catcher": a definition that breaks this is refused by CreateStateMachine with
  ``InvalidDefinition`` (the API reference's error for "the provided Amazon States Language
  definition is not valid"). AWS's message text for it is not documented; the local one names
  the state and the field.

What moto 5.2.5 does: ``States.ALL`` matches every error, ``States.Runtime`` included (a Task
whose Parameters path is missing is caught and the execution succeeds; on AWS it fails); a
``States.ALL`` catcher before others is accepted; and every error the ASL parser's backend
raises as one of ``moto.stepfunctions.parser.api``'s exceptions goes out with an empty error
code (those classes set ``code`` where moto's ``AWSError`` reads ``TYPE``), so a bad definition
answers ``An error occurred ()`` instead of ``InvalidDefinition``.
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
    _require_replaced,
    _require_version,
)

MATCHING = "sfn-error-matching"
CODES = "sfn-api-error-codes"

UNCATCHABLE = frozenset({"States.Runtime"})
"""Errors no Retry or Catch matches, whatever it names."""
NOT_BY_WILDCARD = frozenset({"States.Runtime", "States.DataLimitExceeded"})
"""Errors ``States.ALL`` does not match."""


class StatesAllNotLastError(ValueError):
    """A ``States.ALL`` retrier or catcher is followed by another (AWS refuses the definition)."""


def matches(error: str, error_equals: list[str]) -> bool | None:
    """Whether AWS's rules decide a retrier's or catcher's ``ErrorEquals`` against ``error``.

    ``False`` when AWS never matches it (``States.Runtime``; ``States.ALL`` against
    ``States.DataLimitExceeded``), ``None`` when the ordinary name rules decide. Example:
    ``matches("States.Runtime", ["States.ALL"])`` is False; ``matches("Lambda.Unknown",
    ["States.ALL"])`` is None.
    """
    if error in UNCATCHABLE:
        return False
    if error in NOT_BY_WILDCARD and "States.ALL" in error_equals and error not in error_equals:
        return False
    return None


def check_states_all_last(field: str, error_equals: list[list[str]]) -> None:
    """Refuse a ``Retry``/``Catch`` list whose ``States.ALL`` entry is not the last one."""
    for position, names in enumerate(error_equals[:-1]):
        if "States.ALL" in names:
            raise StatesAllNotLastError(
                f"States.ALL must appear in the last entry of the {field} array; "
                f"it is in entry {position} of {len(error_equals)}."
            )


def _names(decl: Any) -> list[str]:
    return [str(name.error_name) for name in decl.error_names]


def _check_matching() -> None:
    from moto.stepfunctions.parser.asl.component.common.catch.catch_decl import CatchDecl
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
    from moto.stepfunctions.parser.asl.component.common.retry.retry_decl import RetryDecl

    _require_version(MATCHING)
    _require_parameters(MATCHING, ErrorEqualsDecl._eval_body, ("self", "env"))
    _require(
        "env.stack.pop()" in inspect.getsource(ErrorEqualsDecl._eval_body),
        MATCHING,
        "ErrorEqualsDecl no longer takes the error from the stack",
    )
    _require_parameters(MATCHING, RetryDecl.__init__, ("self", "retriers"))
    _require_parameters(MATCHING, CatchDecl.__init__, ("self", "catchers"))


def _apply_matching() -> None:
    from moto.stepfunctions.parser.asl.component.common.catch.catch_decl import CatchDecl
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
    from moto.stepfunctions.parser.asl.component.common.retry.retry_decl import RetryDecl

    original_eval = ErrorEqualsDecl._eval_body
    if getattr(original_eval, "_local_cloud", False):
        return

    def _eval_body(self: Any, env: Any) -> None:
        error = getattr(env.stack[-1], "error_name", None) if env.stack else None
        decided = matches(str(error), _names(self)) if error is not None else None
        if decided is None:
            original_eval(self, env)
            return
        env.stack.pop()
        env.stack.append(decided)

    original_retry = RetryDecl.__init__
    original_catch = CatchDecl.__init__

    def retry_init(self: Any, retriers: list[Any]) -> None:
        check_states_all_last("Retry", [_names(retrier.error_equals) for retrier in retriers])
        original_retry(self, retriers)

    def catch_init(self: Any, catchers: list[Any]) -> None:
        check_states_all_last("Catch", [_names(catcher.error_equals) for catcher in catchers])
        original_catch(self, catchers)

    for wrapper, original in (
        (_eval_body, original_eval),
        (retry_init, original_retry),
        (catch_init, original_catch),
    ):
        _mark(wrapper, original)
    _replace(ErrorEqualsDecl, "_eval_body", _eval_body)
    _replace(RetryDecl, "__init__", retry_init)
    _replace(CatchDecl, "__init__", catch_init)


def _verify_matching() -> None:
    from moto.stepfunctions.parser.asl.component.common.catch.catch_decl import CatchDecl
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
    from moto.stepfunctions.parser.asl.component.common.retry.retry_decl import RetryDecl

    _require_replaced(MATCHING, ErrorEqualsDecl._eval_body, RetryDecl.__init__, CatchDecl.__init__)
    expected = {
        ("States.Runtime", ("States.ALL",)): False,
        ("States.Runtime", ("States.Runtime",)): False,
        ("States.DataLimitExceeded", ("States.ALL",)): False,
        ("States.DataLimitExceeded", ("States.DataLimitExceeded",)): None,
        ("States.Timeout", ("States.ALL",)): None,
    }
    for (error, names), wanted in expected.items():
        got = matches(error, list(names))
        _require(got is wanted, MATCHING, f"{error} against {list(names)} decides {got}, expected {wanted}")
    try:
        check_states_all_last("Catch", [["States.ALL"], ["Lambda.Unknown"]])
    except StatesAllNotLastError:
        pass
    else:
        raise AssertionError("a States.ALL catcher before another is accepted")


def _error_classes() -> list[type]:
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser import api

    return [
        value
        for value in vars(api).values()
        if isinstance(value, type)
        and issubclass(value, AWSError)
        and value is not AWSError
        and isinstance(value.__dict__.get("code"), str)
    ]


def _check_codes() -> None:
    from moto.core.exceptions import AWSError

    _require_version(CODES)
    _require_parameters(CODES, AWSError.__init__, ("self", "message", "exception_type", "status"))
    _require(
        "exception_type or self.TYPE" in inspect.getsource(AWSError.__init__),
        CODES,
        "AWSError no longer names its error from TYPE",
    )
    names = {cls.__name__ for cls in _error_classes()}
    _require(
        {"InvalidDefinition", "InvalidToken"} <= names, CODES, f"parser.api's exceptions changed: {names}"
    )


def _apply_codes() -> None:
    for cls in _error_classes():
        if cls.__dict__.get("TYPE") is None:
            # AWSError serializes TYPE as the error code; these classes declare it as ``code``.
            cls.TYPE = cls.__dict__["code"]  # type: ignore[attr-defined]


def _verify_codes() -> None:
    from moto.stepfunctions.parser.api import InvalidDefinition

    error = InvalidDefinition("bad")
    _require(
        error.error_type == "InvalidDefinition",
        CODES,
        f"InvalidDefinition goes out as [{error.error_type}]",
    )


PATCHES: tuple[Patch, ...] = (
    Patch(
        MATCHING,
        "moto's States.ALL catches States.Runtime (AWS never does) and a States.ALL catcher may come "
        "before others (AWS refuses the definition).",
        _check_matching,
        _apply_matching,
        _verify_matching,
    ),
    Patch(
        CODES,
        "moto's Step Functions parser exceptions go out with an empty error code: a bad definition "
        "answers 'An error occurred ()' instead of InvalidDefinition.",
        _check_codes,
        _apply_codes,
        _verify_codes,
    ),
)
