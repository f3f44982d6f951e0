"""DescribeExecution answers every finished execution as AWS does (patch "sfn-describe-output").

What AWS does (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html):
``output`` is "the JSON output data of the execution" for a ``SUCCEEDED`` execution, whatever
JSON value that is (a string, ``null``, a number), and ``stopDate`` is set once the execution has
stopped, whatever its status (``SUCCEEDED``, ``FAILED``, ``TIMED_OUT``, ``ABORTED``).

What moto 5.2.5 does (``StepFunctionResponse.describe_execution``): it encodes the output with
plain ``json.dumps``, so an output holding a timestamp (the ``StartDate`` of a nested
``states:startExecution``, dates of ``aws-sdk:*`` results) makes DescribeExecution answer
HTTP 500 for ever; it passes a string output through unencoded (``hello`` where AWS answers
``"hello"``, which no JSON parser reads); it drops a ``null`` output altogether; and it gives a
``TIMED_OUT`` execution no ``stopDate``.

Here the output is encoded as the interpreter encodes the history's ``ExecutionSucceeded`` event
(timestamps as ISO 8601 text, the encoder of ``moto.stepfunctions.parser.asl.utils.encoding``),
so DescribeExecution and GetExecutionHistory agree. How AWS renders a timestamp inside a task's
result is not documented; the local text is that ISO form.
"""

from __future__ import annotations

import json
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

PATCH_NAME = "sfn-describe-output"
STOPPED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


def execution_output(value: Any) -> str:
    """An execution's output as DescribeExecution's ``output``: the JSON text of any JSON value.

    Example: ``execution_output("hello")`` is ``'"hello"'``; ``execution_output(None)`` is ``"null"``.
    """
    from moto.stepfunctions.parser.asl.utils.encoding import _DateTimeEncoder

    return json.dumps(value, cls=_DateTimeEncoder)


def describe(execution: Any, arn: str) -> dict[str, Any]:
    """The DescribeExecution response for a parser-backend ``execution``."""
    status = str(execution.status)
    response: dict[str, Any] = {
        "executionArn": arn,
        "input": execution.execution_input,
        "name": execution.name,
        "startDate": execution.start_date,
        "stateMachineArn": execution.state_machine_arn,
        "status": status,
    }
    if status in STOPPED and execution.stop_date is not None:
        response["stopDate"] = execution.stop_date
    if status == "SUCCEEDED":
        response["output"] = execution_output(execution.output)
        response["outputDetails"] = execution.output_details
    if execution.error is not None:
        response["error"] = execution.error
    if execution.cause is not None:
        response["cause"] = execution.cause
    return response


def _check() -> None:
    import inspect

    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.responses import StepFunctionResponse

    _require_version(PATCH_NAME)
    _require_parameters(PATCH_NAME, StepFunctionResponse.describe_execution, ("self",))
    source = inspect.getsource(StepFunctionResponse.describe_execution)
    _require(
        "json.dumps(execution.output)" in source,
        PATCH_NAME,
        "describe_execution no longer encodes the output with plain json.dumps: drop this patch if fixed",
    )
    init = inspect.getsource(Execution.__init__)
    for attribute in ("execution_input", "state_machine_arn", "start_date", "output_details", "stop_date"):
        _require(f"self.{attribute}" in init, PATCH_NAME, f"the parser's Execution has no {attribute}")


DESCRIBE_MARK = "_local_cloud_describe_output"


def _apply() -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.describe_execution
    # Its own mark, not the shared ``_local_cloud``: the redrive patch wraps this answer afterwards
    # (PATCHES lists this one first), and neither may skip the other.
    if getattr(original, DESCRIBE_MARK, False):
        return

    def describe_execution(self: Any) -> Any:
        arn = self._get_param("executionArn")
        execution = self.stepfunction_backend.describe_execution(arn)
        if not isinstance(execution, Execution):
            return original(self)
        return ActionResult(describe(execution, arn))

    _mark(describe_execution, original)
    setattr(describe_execution, DESCRIBE_MARK, True)
    _replace(StepFunctionResponse, "describe_execution", describe_execution)


def _verify() -> None:
    import datetime

    from moto.stepfunctions.responses import StepFunctionResponse

    _require_replaced(PATCH_NAME, StepFunctionResponse.describe_execution)
    # Another patch may wrap this answer (redrive does), but it must still be in the chain.
    answer: Any = StepFunctionResponse.describe_execution
    chain: list[bool] = []
    while answer is not None:
        chain.append(getattr(answer, DESCRIBE_MARK, False))
        answer = getattr(answer, "__wrapped__", None)
    _require(any(chain), PATCH_NAME, "DescribeExecution no longer goes through this patch's answer")
    when = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    for value, wanted in (
        ("hello", '"hello"'),
        (None, "null"),
        ({"StartDate": when}, '{"StartDate": "2024-01-02T03:04:05+00:00"}'),
    ):
        got = execution_output(value)
        _require(got == wanted, PATCH_NAME, f"output {value!r} is encoded {got!r}, expected {wanted!r}")


PATCHES: tuple[Patch, ...] = (
    Patch(
        PATCH_NAME,
        "moto's DescribeExecution answers HTTP 500 for an output holding a timestamp, leaves a string "
        "output unencoded, drops a null output and a timed-out execution's stopDate.",
        _check,
        _apply,
        _verify,
    ),
)
