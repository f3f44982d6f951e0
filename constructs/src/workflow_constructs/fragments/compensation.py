"""Compensation: undo what a workflow did, newest first, then fail with the error that started it.

A :class:`Compensation` keeps a chain of undo steps. :meth:`~Compensation.register` adds the undo of
the work about to be done (register it before the step, so that a step that failed halfway is
undone too); :meth:`~Compensation.protect` makes a step's failure run every undo registered so far,
newest first. An undo that fails does not stop the others: its error is kept at its
``result_path`` and the next undo runs. After the last undo come ``then`` (report the failure,
tell operations) and the fragment's :attr:`~Compensation.fail`, which fails the execution with the
original error and cause. A Fail state may not raise a ``States.*`` error, so those are raised as
``step_failed_error`` with ``"<original error>: <cause>"`` as the cause.

Example::

    rollback = Compensation(self, "Rollback", fail_state_name="Fail the order")
    rollback.register(release_stock, result_path="$.stockRelease")
    reserve = ...; rollback.protect(reserve)
    rollback.register(refund, result_path="$.refund")
    charge = ...; rollback.protect(charge)   # a failed charge refunds, then releases the stock
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_stepfunctions as sfn

from constructs import Construct
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.naming import state_name_problem

STEP_FAILED_ERROR = "StepFailed"
"""What the execution fails with when the original error was a Step Functions one (``States.*``)."""
DEFAULT_FAILURE_PATH = "$.failure"
"""Where the caught error document (``Error``, ``Cause``) is kept by default."""
DEFAULT_FAIL_STATE_NAME = "Fail with the original error"
DEFAULT_CHOICE_STATE_NAME = "Can the error be raised as it is"
_ALL_ERRORS = ("States.ALL",)


class Compensation(sfn.StateMachineFragment):
    """Undo steps run in reverse on failure, then the original error; see the module docstring.

    Attributes: ``fail`` (the Choice that raises the original error: end your ``then`` chain with
    it), ``failure_path``, and ``start_state`` (the newest undo step, or ``then`` / ``fail`` before
    any is registered: where a failure caught now goes). ``end_states`` is empty: every path fails.

    Example::

        rollback = Compensation(self, "Rollback", failure_path="$.failure")
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        failure_path: str = DEFAULT_FAILURE_PATH,
        fail_state_name: str = DEFAULT_FAIL_STATE_NAME,
        choice_state_name: str = DEFAULT_CHOICE_STATE_NAME,
        step_failed_error: str = STEP_FAILED_ERROR,
    ) -> None:
        """Build the final Fail states.

        :param failure_path: where a protected step's error is kept, read by the Fail states.
            Default: ``$.failure``.
        :param fail_state_name: the Fail state that raises the original error; the one for a
            ``States.*`` error is named ``<fail_state_name> after a Step Functions error``.
            Default: "Fail with the original error".
        :param choice_state_name: the Choice between the two. Default: "Can the error be raised as it is".
        :param step_failed_error: raised instead of a ``States.*`` error. Default: ``StepFailed``.
        """
        after_step_error = f"{fail_state_name} after a Step Functions error"
        for argument, name in (
            ("fail_state_name", after_step_error),
            ("fail_state_name", fail_state_name),
            ("choice_state_name", choice_state_name),
        ):
            problem = state_name_problem(name)
            if problem:
                raise InvalidPropsError(argument, problem, name)
        if not failure_path.startswith("$."):
            raise InvalidPropsError(
                "failure_path", "must be a JSONPath under the state, like $.failure", failure_path
            )
        if not step_failed_error or step_failed_error.startswith("States."):
            raise InvalidPropsError(
                "step_failed_error",
                "must be an error name of yours, not empty or States.*",
                step_failed_error,
            )
        super().__init__(scope, id)
        self.failure_path = failure_path
        self.fail: sfn.Choice = (
            sfn.Choice(self, choice_state_name)
            .when(
                sfn.Condition.string_matches(f"{failure_path}.Error", "States.*"),
                sfn.Fail(
                    self,
                    after_step_error,
                    error=step_failed_error,
                    cause_path=sfn.JsonPath.format(
                        "{}: {}",
                        sfn.JsonPath.string_at(f"{failure_path}.Error"),
                        sfn.JsonPath.string_at(f"{failure_path}.Cause"),
                    ),
                ),
            )
            .otherwise(
                sfn.Fail(
                    self,
                    fail_state_name,
                    error_path=f"{failure_path}.Error",
                    cause_path=f"{failure_path}.Cause",
                )
            )
        )
        self._head: sfn.State = self.fail
        self._then: sfn.IChainable | None = None
        self.undo_steps: list[sfn.TaskStateBase] = []
        """The registered undo steps, oldest first (they run in the reverse order)."""

    def then(self, chain: sfn.IChainable) -> Compensation:
        """Run ``chain`` after the undo steps, before failing; end it in :attr:`fail`.

        Call it before the first :meth:`register`: an undo already registered leads to :attr:`fail`.
        """
        if self.undo_steps or self._then is not None:
            raise InvalidPropsError(
                "then", "must be given once, before the first undo step is registered", chain
            )
        self._then = chain
        self._head = chain.start_state
        return self

    def register(self, undo: sfn.TaskStateBase, *, result_path: str) -> Compensation:
        """Add ``undo``: it runs before every undo registered earlier. Its own failure is kept at
        ``result_path`` and does not stop the undo steps after it."""
        if undo in self.undo_steps:
            raise InvalidPropsError("undo", "is registered already", undo.node.id)
        if result_path == self.failure_path:
            raise InvalidPropsError(
                "result_path", f"must not overwrite the original error at {self.failure_path}", result_path
            )
        undo.add_catch(self._head, errors=list(_ALL_ERRORS), result_path=result_path)
        undo.next(self._head)
        self.undo_steps.append(undo)
        self._head = undo
        return self

    def protect(self, *states: sfn.TaskStateBase, errors: Sequence[str] = _ALL_ERRORS) -> Compensation:
        """On a failure of any of ``states`` (``errors``, default all), undo everything registered so far."""
        if not states:
            raise InvalidPropsError("states", "must name at least one step to protect", states)
        for state in states:
            state.add_catch(self._head, errors=list(errors), result_path=self.failure_path)
        return self

    @property
    def start_state(self) -> sfn.State:
        """Where a failure caught now starts: the newest undo step (or ``then``, or :attr:`fail`)."""
        return self._head

    @property
    def end_states(self) -> list[sfn.INextable]:
        """None: every path ends in a Fail state."""
        return []
