"""RedriveExecution, as Step Functions does it (patch "sfn-redrive").

What AWS does (the RedriveExecution API reference and "Restarting state machine executions with
redrive", https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html):

- a Standard execution that ended ``FAILED``, ``TIMED_OUT`` or ``ABORTED`` can be redriven within
  14 days of its stop; it continues under the same ARN, with the same definition, from the state
  that did not succeed, with the input that state had; the states that succeeded are not run
  again and their history stays (an ``ExecutionRedriven`` event, then the new events);
- ``DescribeExecution`` tells ``redriveCount``, ``redriveDate``, ``redriveStatus`` (``REDRIVABLE`` /
  ``NOT_REDRIVABLE``) and, when it cannot be, ``redriveStatusReason``; ``ListExecutions`` takes a
  ``redriveFilter`` (``REDRIVEN`` / ``NOT_REDRIVEN``) and gives each item its ``redriveCount``;
- anything else is refused with ``ExecutionNotRedrivable``, whose message is the reason
  (``Execution is SUCCEEDED and cannot be redriven.``, ``Execution redrivable period exceeded.``, ...);
  a ``clientToken`` used again within 15 minutes answers the earlier redrive and starts nothing.

What moto 5.2.5 does: it has no RedriveExecution at all (the action is unknown) and no redrive
fields.

Here, as on AWS, with these differences (said in ``docs/local-cloud.md``, "What differs from AWS"):

- the restart point is the top-level state that was entered and never exited (the failed Task,
  the Fail state a Catch led to, the Parallel or Map state a failure came out of); a Parallel or
  inline Map state is run again whole, where AWS runs again only its branches and iterations that
  did not succeed; Distributed Map runs are not redriven on their own;
- variables (``Assign``) are those the execution held when it stopped;
- the redrive limit (1000 redrives) is refused with this module's wording: AWS documents the limit,
  not its message.
"""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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

PATCH_NAME = "sfn-redrive"
REDRIVABLE = "REDRIVABLE"
NOT_REDRIVABLE = "NOT_REDRIVABLE"
REDRIVABLE_STATUSES = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})
REDRIVE_WINDOW = datetime.timedelta(days=14)
"""How long after its stop an execution can be redriven."""
MAX_EXECUTION_TIME = datetime.timedelta(days=365)
"""A Standard execution's longest life (one year), redrives included."""
MAX_REDRIVES = 1000
"""How many times one execution can be redriven."""
MAX_HISTORY_EVENTS = 25_000
"""Step Functions' quota on one execution's history events."""
CLIENT_TOKEN_SECONDS = 15 * 60  # 15 minutes: how long a clientToken answers the same redrive

RUNNING_REASON = "Execution is RUNNING and cannot be redriven."
SUCCEEDED_REASON = "Execution is SUCCEEDED and cannot be redriven."
PERIOD_REASON = "Execution redrivable period exceeded."
HISTORY_REASON = "Execution history event limit exceeded."
MAX_TIME_REASON = "Execution has exceeded the max execution time."
LIMIT_REASON = f"Execution has been redriven the maximum number of times ({MAX_REDRIVES})."
EXPRESS_REASON = "Executions of EXPRESS state machines cannot be redriven."

_lock = threading.Lock()  # one redrive of an execution at a time


def _moto_error(code: str, message: str) -> Exception:
    from moto.core.exceptions import AWSError

    return AWSError(message, exception_type=code, status=400)


def refusal(
    *,
    status: str,
    machine_type: str,
    start_date: datetime.datetime,
    stop_date: datetime.datetime | None,
    redrive_count: int,
    history_events: int,
    now: datetime.datetime,
) -> str | None:
    """Why an execution cannot be redriven now (AWS's ``redriveStatusReason``), or None if it can.

    Example: ``refusal(status="SUCCEEDED", ...)`` is ``"Execution is SUCCEEDED and cannot be redriven."``.
    """
    if machine_type == "EXPRESS":
        return EXPRESS_REASON
    if status == "RUNNING":
        return RUNNING_REASON
    if status == "SUCCEEDED":
        return SUCCEEDED_REASON
    if status not in REDRIVABLE_STATUSES:
        return f"Execution is {status} and cannot be redriven."
    if redrive_count >= MAX_REDRIVES:
        return LIMIT_REASON
    if history_events >= MAX_HISTORY_EVENTS:
        return HISTORY_REASON
    if now - start_date > MAX_EXECUTION_TIME:
        return MAX_TIME_REASON
    if stop_date is not None and now - stop_date > REDRIVE_WINDOW:
        return PERIOD_REASON
    return None


@dataclass(frozen=True)
class RestartPoint:
    """Where a redrive continues: a top-level state and the input it had."""

    state: str
    input: Any


def restart_point(definition: Mapping[str, Any], events: Iterable[Mapping[str, Any]]) -> RestartPoint:
    """The top-level state an execution stopped in, from its definition and history.

    That is the last top-level state entered and never exited; when every entered state exited
    (stopped between states) the one after the last exited; before any state, ``StartAt`` with the
    execution's input.
    """
    states: Mapping[str, Any] = definition["States"]
    start_input: Any = {}
    open_state: RestartPoint | None = None
    after_exit: RestartPoint | None = None
    for event in events:
        kind = str(getattr(event["type"], "value", event["type"]))
        if kind == "ExecutionStarted":
            start_input = json.loads(event["executionStartedEventDetails"].get("input") or "{}")
        elif kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            if details["name"] in states:
                open_state = RestartPoint(details["name"], json.loads(details.get("input") or "{}"))
        elif kind.endswith("StateExited"):
            details = event["stateExitedEventDetails"]
            if open_state is not None and details["name"] == open_state.state:
                following = states[open_state.state].get("Next")
                after_exit = RestartPoint(
                    following or open_state.state,
                    json.loads(details.get("output") or "{}") if following else open_state.input,
                )
                open_state = None
    if open_state is not None:
        return open_state
    if after_exit is not None:
        return after_exit
    return RestartPoint(str(definition["StartAt"]), start_input)


# The execution's redrive bookkeeping (attributes moto's Execution does not have) ------------------


def redrive_count(execution: Any) -> int:
    """How many times ``execution`` (moto's) was redriven."""
    return int(getattr(execution, "_local_cloud_redrive_count", 0))


def _history(execution: Any) -> list[dict[str, Any]]:
    worker = execution.exec_worker
    if worker is None or worker.env is None:
        return []
    return list(worker.env.event_manager.get_event_history())


def refusal_of(execution: Any, now: datetime.datetime | None = None) -> str | None:
    """:func:`refusal` for one of moto's executions."""
    return refusal(
        status=str(execution.status),
        machine_type=str(getattr(execution.state_machine, "sm_type", "STANDARD") or "STANDARD"),
        start_date=execution.start_date,
        stop_date=execution.stop_date,
        redrive_count=redrive_count(execution),
        history_events=len(_history(execution)),
        now=now or datetime.datetime.now(tz=datetime.UTC),
    )


def redrive_fields(execution: Any) -> dict[str, Any]:
    """The redrive fields DescribeExecution adds for ``execution``."""
    reason = refusal_of(execution)
    fields: dict[str, Any] = {
        "redriveCount": redrive_count(execution),
        "redriveStatus": NOT_REDRIVABLE if reason else REDRIVABLE,
    }
    if getattr(execution, "_local_cloud_redrive_date", None) is not None:
        fields["redriveDate"] = execution._local_cloud_redrive_date
    if reason:
        fields["redriveStatusReason"] = reason
    return fields


def redrive(execution: Any, client_token: str | None = None) -> datetime.datetime:
    """Redrive one of moto's executions; returns the redrive date (raises ``ExecutionNotRedrivable``)."""
    with _lock:
        tokens: dict[str, tuple[datetime.datetime, float]] = execution.__dict__.setdefault(
            "_local_cloud_redrive_tokens", {}
        )
        if client_token and client_token in tokens:
            date, used = tokens[client_token]
            if time.monotonic() - used < CLIENT_TOKEN_SECONDS:
                return date
        reason = refusal_of(execution)
        if reason:
            raise _moto_error("ExecutionNotRedrivable", reason)
        previous = execution.exec_worker.env
        point = restart_point(json.loads(execution.state_machine.definition), _history(execution))
        count = redrive_count(execution) + 1
        worker = _redrive_worker(execution, previous, point, count)
        date = datetime.datetime.now(tz=datetime.UTC)
        execution._local_cloud_redrive_count = count
        execution._local_cloud_redrive_date = date
        execution.exec_worker = worker
        execution.exec_status = type(execution.exec_status).RUNNING
        execution.stop_date = None
        execution.error = None
        execution.cause = None
        execution.output = None
        if client_token:
            tokens[client_token] = (date, time.monotonic())
        worker.start()
        return date


def _redrive_worker(execution: Any, previous: Any, point: RestartPoint, count: int) -> Any:
    from moto.stepfunctions.parser.api import ExecutionRedrivenEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.flow.start_at import StartAt
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.evaluation_details import EvaluationDetails
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    class RedriveWorker(ExecutionWorker):
        """Continues the stopped execution from ``point``, in the history it already has."""

        def _get_evaluation_entrypoint(self) -> Any:
            program: Any = super()._get_evaluation_entrypoint()
            return Program(
                query_language=program.query_language,
                start_at=StartAt(point.state),
                states=program.states,
                timeout_seconds=program.timeout_seconds,
                comment=program.comment,
                version=program.version,
            )

        def _get_evaluation_environment(self) -> Any:
            fresh = super()._get_evaluation_environment()
            last_event = len(previous.event_manager.get_event_history())
            env = Environment(
                aws_execution_details=fresh.aws_execution_details,
                execution_type=fresh.execution_type,
                context=fresh.states.context_object.context_object_data,
                event_history_context=EventHistoryContext(previous_event_id=last_event),
                cloud_watch_logging_session=fresh.cloud_watch_logging_session,
                activity_store=fresh.activity_store,
                variable_store=previous.variable_store,
                mock_test_case=fresh.mock_test_case,
            )
            env.event_manager = previous.event_manager  # the history goes on
            execution_data: dict[str, Any] = env.states.context_object.context_object_data["Execution"]  # type: ignore[assignment]
            execution_data["RedriveCount"] = count  # $$.Execution.RedriveCount
            env.states.reset(input_value=point.input)
            return env

        def _execution_logic(self) -> None:
            program = self._get_evaluation_entrypoint()
            env: Any = self.env
            details: Any = {
                "executionRedrivenEventDetails": ExecutionRedrivenEventDetails(redriveCount=count)
            }
            env.event_manager.add_event(
                context=env.event_history_context,
                event_type=HistoryEventType.ExecutionRedriven,
                event_details=details,
            )
            program.eval(env)
            self._execution_communication.terminated()

    worker = RedriveWorker(
        evaluation_details=EvaluationDetails(
            aws_execution_details=execution._get_start_aws_execution_details(),
            execution_details=execution.get_start_execution_details(),
            state_machine_details=execution.get_start_state_machine_details(),
        ),
        exec_comm=execution._get_start_execution_worker_comm(),
        cloud_watch_logging_session=execution._cloud_watch_logging_session,
        activity_store=execution._activity_store,
    )
    # Ready before the thread starts, so the history is never read empty while it starts.
    worker.env = worker._get_evaluation_environment()
    return worker


def backdate(execution: Any, days: float) -> None:
    """Move an execution's start and stop ``days`` into the past (to test the redrive window)."""
    if isinstance(days, bool) or not isinstance(days, int | float) or days <= 0:
        raise ValueError(f"days must be a positive number. Received: [{days!r}]")
    shift = datetime.timedelta(days=days)
    execution.start_date = execution.start_date - shift
    if execution.stop_date is not None:
        execution.stop_date = execution.stop_date - shift


def find_execution(execution_arn: str) -> Any:
    """moto's execution with ``execution_arn`` in any account and region; KeyError if none."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    for account in list(stepfunctions_parser_backends.values()):
        for backend in list(account.values()):
            for machine in list(backend.state_machines):
                execution: Any
                for execution in list(machine.executions):
                    if execution.exec_arn == execution_arn:
                        return execution
    raise KeyError(f"no execution [{execution_arn}]")


# The patch --------------------------------------------------------------------------------------


def _check() -> None:
    from moto.stepfunctions.parser.api import ExecutionRedrivenEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.responses import StepFunctionResponse

    _require_version(PATCH_NAME)
    _require(
        not hasattr(StepFunctionResponse, "redrive_execution")
        or getattr(StepFunctionResponse.redrive_execution, "_local_cloud", False),
        PATCH_NAME,
        "moto implements RedriveExecution now: compare it with this patch, and drop the patch",
    )
    for action in ("describe_execution", "list_executions"):
        _require_parameters(PATCH_NAME, getattr(StepFunctionResponse, action), ("self",))
    _require_parameters(
        PATCH_NAME,
        Program.__init__,
        ("self", "query_language", "start_at", "states", "timeout_seconds", "comment", "version"),
    )
    _require_parameters(
        PATCH_NAME,
        ExecutionWorker.__init__,
        (
            "self",
            "evaluation_details",
            "exec_comm",
            "cloud_watch_logging_session",
            "activity_store",
            "mock_test_case",
        ),
    )
    for name in (
        "_get_start_aws_execution_details",
        "get_start_execution_details",
        "get_start_state_machine_details",
        "_get_start_execution_worker_comm",
    ):
        _require(hasattr(Execution, name), PATCH_NAME, f"Execution.{name} is gone")
    _require(
        hasattr(HistoryEventType, "ExecutionRedriven")
        and "redriveCount" in ExecutionRedrivenEventDetails.__annotations__,
        PATCH_NAME,
        "moto's API model has no ExecutionRedriven event",
    )


def _apply() -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    if getattr(getattr(StepFunctionResponse, "redrive_execution", None), "_local_cloud", False):
        return

    def redrive_execution(self: Any) -> Any:
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        return ActionResult({"redriveDate": redrive(execution, self._get_param("clientToken"))})

    original_describe = StepFunctionResponse.describe_execution

    def describe_execution(self: Any) -> Any:
        result = original_describe(self)
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        response: dict[str, Any] = dict(result.result)  # type: ignore[call-overload]
        response.update(redrive_fields(execution))
        if response["status"] not in {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}:
            response.pop("stopDate", None)  # a redriven execution is running again
        return ActionResult(response)

    original_list = StepFunctionResponse.list_executions

    def list_executions(self: Any) -> Any:
        redrive_filter = self._get_param("redriveFilter")
        if redrive_filter not in (None, "REDRIVEN", "NOT_REDRIVEN"):
            raise _moto_error(
                "ValidationException",
                f"1 validation error detected: Value '{redrive_filter}' at 'redriveFilter' failed to "
                "satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]",
            )
        result = original_list(self)
        response: dict[str, Any] = dict(result.result)  # type: ignore[call-overload]
        items = []
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        by_arn = {execution.exec_arn: execution for execution in list(machine.executions)}
        for item in response.get("executions", []):
            execution = by_arn[item["executionArn"]]
            count = redrive_count(execution)
            if redrive_filter == "REDRIVEN" and count == 0:
                continue
            if redrive_filter == "NOT_REDRIVEN" and count > 0:
                continue
            item = dict(item, redriveCount=count)
            date = getattr(execution, "_local_cloud_redrive_date", None)
            if date is not None:
                item["redriveDate"] = date
            items.append(item)
        response["executions"] = items
        return ActionResult(response)

    for name, wrapper, original in (
        ("redrive_execution", redrive_execution, None),
        ("describe_execution", describe_execution, original_describe),
        ("list_executions", list_executions, original_list),
    ):
        _mark(wrapper, original)
        _replace(StepFunctionResponse, name, wrapper)


def _verify() -> None:
    from moto.stepfunctions.responses import StepFunctionResponse

    _require_replaced(
        PATCH_NAME,
        StepFunctionResponse.redrive_execution,  # type: ignore[attr-defined]
        StepFunctionResponse.describe_execution,
        StepFunctionResponse.list_executions,
    )
    now = datetime.datetime.now(tz=datetime.UTC)
    facts: dict[str, Any] = {
        "machine_type": "STANDARD",
        "start_date": now,
        "stop_date": now,
        "redrive_count": 0,
        "history_events": 10,
        "now": now,
    }
    _require(refusal(status="FAILED", **facts) is None, PATCH_NAME, "a failed execution is refused")
    _require(
        refusal(status="SUCCEEDED", **facts) == SUCCEEDED_REASON, PATCH_NAME, "a succeeded one is not refused"
    )
    _require(
        refusal(status="FAILED", **{**facts, "now": now + REDRIVE_WINDOW + datetime.timedelta(seconds=1)})
        == PERIOD_REASON,
        PATCH_NAME,
        "the 14-day window is not applied",
    )
    definition = {"StartAt": "A", "States": {"A": {"Next": "B"}, "B": {"End": True}}}
    events = [
        {"type": "ExecutionStarted", "executionStartedEventDetails": {"input": "{}"}},
        {"type": "PassStateEntered", "stateEnteredEventDetails": {"name": "A", "input": "{}"}},
        {"type": "PassStateExited", "stateExitedEventDetails": {"name": "A", "output": '{"a":1}'}},
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "B", "input": '{"a":1}'}},
    ]
    _require(
        restart_point(definition, events) == RestartPoint("B", {"a": 1}),
        PATCH_NAME,
        "the restart point is not the state that did not succeed",
    )


PATCHES: tuple[Patch, ...] = (
    Patch(
        PATCH_NAME,
        "moto has no RedriveExecution and no redrive fields in DescribeExecution or ListExecutions; AWS "
        "continues a failed, timed-out or aborted execution from the state that did not succeed.",
        _check,
        _apply,
        _verify,
    ),
)
