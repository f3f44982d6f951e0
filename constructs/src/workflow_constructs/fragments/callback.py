"""Wait for a callback: hand a task token to a function and pause until someone answers it.

The function (a Lambda) receives the payload plus ``taskToken`` and passes the token on (to a
payment provider, an approver, a queue). Whoever holds it answers with SendTaskSuccess (the output
becomes the step's result), SendTaskFailure (a rejection, when its error is one of
``rejection_errors``), or SendTaskHeartbeat while the work goes on.

No answer within ``timeout``, or no heartbeat within ``heartbeat``, is a timeout: it goes to
``on_timed_out``, or fails the execution with ``CallbackTimedOut``. A rejection goes to
``on_rejected``, or fails it with ``CallbackRejected``. Either way the caught error document
(``Error``, ``Cause``) is kept at ``error_path``.

Example::

    authorise = WaitForCallback(
        self, "Payment authorisation", state_name="Request payment authorisation",
        function=request_function, payload={"invoiceId": sfn.JsonPath.string_at("$.invoice.id")},
        timeout=Duration.hours(2), rejection_errors=["PaymentDeclined"], result_path="$.authorisation",
    )
    definition = store.next(authorise).next(capture)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as sfn_tasks

from constructs import Construct
from workflow_constructs import tasks
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.naming import state_name_problem
from workflow_constructs.retry import Retry

CALLBACK_TIMED_OUT_ERROR = "CallbackTimedOut"
"""What the execution fails with when nobody answered in time and no ``on_timed_out`` was given."""
CALLBACK_REJECTED_ERROR = "CallbackRejected"
"""What the execution fails with on a rejection when no ``on_rejected`` was given."""
DEFAULT_ERROR_PATH = "$.callbackError"
"""Where the caught error document (``Error``, ``Cause``) is kept by default."""

_TIMEOUT_ERRORS = ("States.Timeout",)
# A missed heartbeat is its own error name in a Catch; States.Timeout alone is the overall timeout.
_HEARTBEAT_ERRORS = ("States.HeartbeatTimeout", "States.Timeout")


class WaitForCallback(sfn.StateMachineFragment):
    """One ``.waitForTaskToken`` Lambda step, its timeout and its rejection, as a fragment.

    Attributes: ``task`` (the callback step, to add more Catches or read its name),
    ``timed_out`` and ``rejected`` (where each goes: the caller's chain or the fragment's Fail state;
    ``rejected`` is None without ``rejection_errors``). ``end_states`` is the callback step: what
    follows with ``.next`` runs on an answer.

    Example::

        WaitForCallback(self, "Approval", function=ask, payload={}, timeout=Duration.hours(24))
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: lambda_.IFunction,
        payload: Mapping[str, Any],
        timeout: Duration,
        heartbeat: Duration | None = None,
        state_name: str | None = None,
        rejection_errors: Sequence[str] = (),
        on_rejected: sfn.IChainable | None = None,
        on_timed_out: sfn.IChainable | None = None,
        error_path: str = DEFAULT_ERROR_PATH,
        timed_out_error: str = CALLBACK_TIMED_OUT_ERROR,
        rejected_error: str = CALLBACK_REJECTED_ERROR,
        retry: Retry | None = None,
        **props: Any,
    ) -> None:
        """Build the step and where its failures go.

        :param function: receives ``payload`` plus ``taskToken``; its own result is ignored.
        :param payload: what the function receives (JSONPath values allowed); not ``taskToken``.
        :param timeout: how long to wait for the answer, required (a lost token would otherwise
            hold the execution for a year).
        :param heartbeat: the longest silence between heartbeats, shorter than ``timeout``.
            Default: none (only ``timeout`` counts).
        :param state_name: the step's name. Default: ``id``.
        :param rejection_errors: the SendTaskFailure errors that mean "rejected". Default: none.
        :param on_rejected: runs on a rejection. Default: a Fail state ``<state name> was rejected``
            raising ``rejected_error`` with the answer's cause.
        :param on_timed_out: runs on a timeout. Default: a Fail state ``<state name> timed out``
            raising ``timed_out_error``.
        :param error_path: where the caught error is kept. Default: ``$.callbackError``.
        :param timed_out_error: the error of the default timeout Fail. Default: ``CallbackTimedOut``.
        :param rejected_error: the error of the default rejection Fail. Default: ``CallbackRejected``.
        :param retry: the step's retry. Default: Lambda's service errors (never ``States.Timeout``:
            retrying would ask again).
        :param props: passed to the Lambda task (``result_path``, ``comment``, ...).
        """
        name = id if state_name is None else state_name
        _validate(
            name=name,
            timeout=timeout,
            heartbeat=heartbeat,
            rejection_errors=rejection_errors,
            on_rejected=on_rejected,
            errors={"timed_out_error": timed_out_error, "rejected_error": rejected_error},
        )
        super().__init__(scope, id)
        self.task: sfn_tasks.LambdaInvoke = tasks.wait_for_callback(
            self,
            name,
            function=function,
            payload=payload,
            timeout=timeout,
            heartbeat=heartbeat,
            retry=retry,
            **props,
        )
        self.rejected: sfn.IChainable | None = None
        if rejection_errors:
            self.rejected = on_rejected or sfn.Fail(
                self,
                f"{name} was rejected",
                error=rejected_error,
                cause_path=f"{error_path}.Cause",
            )
            self.task.add_catch(self.rejected, errors=list(rejection_errors), result_path=error_path)
        waited = timeout.to_human_string()
        self.timed_out: sfn.IChainable = on_timed_out or sfn.Fail(
            self,
            f"{name} timed out",
            error=timed_out_error,
            cause=f"No answer within {waited}"
            + ("" if heartbeat is None else f", or no heartbeat within {heartbeat.to_human_string()}"),
        )
        self.task.add_catch(
            self.timed_out,
            errors=list(_TIMEOUT_ERRORS if heartbeat is None else _HEARTBEAT_ERRORS),
            result_path=error_path,
        )

    @property
    def start_state(self) -> sfn.State:
        """The callback step."""
        return self.task

    @property
    def end_states(self) -> list[sfn.INextable]:
        """The callback step: what comes next runs once it is answered."""
        return [self.task]


def _validate(
    *,
    name: str,
    timeout: Duration,
    heartbeat: Duration | None,
    rejection_errors: Sequence[str],
    on_rejected: sfn.IChainable | None,
    errors: Mapping[str, str],
) -> None:
    for state in (f"{name} was rejected", f"{name} timed out"):
        problem = state_name_problem(state)
        if problem:
            raise InvalidPropsError("state_name", f"leaves no room for [{state}]: {problem}", name)
    known = heartbeat is not None and not heartbeat.is_unresolved() and not timeout.is_unresolved()
    if known and heartbeat is not None and heartbeat.to_seconds() >= timeout.to_seconds():
        raise InvalidPropsError(
            "heartbeat",
            f"must be shorter than timeout ({timeout.to_human_string()})",
            heartbeat.to_human_string(),
        )
    if any(not error or error.startswith("States.") for error in rejection_errors):
        raise InvalidPropsError(
            "rejection_errors",
            "must name the answer's own errors, none empty or States.*",
            list(rejection_errors),
        )
    if on_rejected is not None and not rejection_errors:
        raise InvalidPropsError("on_rejected", "needs rejection_errors to say what a rejection is", None)
    for argument, error in errors.items():
        if not error or error.startswith("States."):
            raise InvalidPropsError(argument, "must be an error name of yours, not empty or States.*", error)
