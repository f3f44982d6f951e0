"""An execution's ``TimeoutSeconds`` holds in simulated time too (patch "sfn-simulated-timeout").

What AWS does (https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html):
``TimeoutSeconds`` at the top of a definition is "the maximum number of seconds an execution of
the state machine can run"; past it the execution stops with status ``TIMED_OUT`` and an
``ExecutionTimedOut`` history event, whatever state it was in (a Wait, a retry's backoff).

What the local cloud did: moto enforces the timeout by joining the program's thread with it, in
real time; simulated time (on by default) skips every Wait and retry interval, so a
``Wait`` of 5 s in an execution allowed 1 s succeeded locally and timed out on AWS.

Here each execution with a ``TimeoutSeconds`` keeps a budget: real seconds elapsed plus the
simulated seconds already skipped. A Wait or a retry interval that would outlast the budget is
recorded only up to the deadline, and the execution then times out as on AWS. Task timeouts and
heartbeats are unchanged: a task runs real code (or waits for a real callback) in real time, and
moto enforces those in real time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from workflow_local_cloud.patches import (
    Patch,
    _context_names,
    _current,
    _hooks,
    _mark,
    _replace,
    _require,
    _require_parameters,
    _require_replaced,
    _require_version,
)

PATCH_NAME = "sfn-simulated-timeout"
TIMEOUT_MARK = "_local_cloud_simulated_timeout"


@dataclass
class Budget:
    """What is left of one execution's ``TimeoutSeconds``."""

    env: Any
    timeout_seconds: float
    started: float
    simulated_seconds: float = 0.0

    def remaining(self, now: float) -> float:
        """Seconds left before the deadline, counting real and simulated time."""
        return self.timeout_seconds - (now - self.started) - self.simulated_seconds


_budgets: dict[str, Budget] = {}
_lock = threading.Lock()


def take(execution_arn: str, seconds: float, *, now: float | None = None) -> tuple[float, Budget | None]:
    """Charge a skipped wait of ``seconds`` to an execution: (seconds it may wait, budget if it times out).

    Example: an execution allowed 10 s, 2 s in, asking to wait 30 s gets ``(8.0, budget)``: it
    waits out its 8 s and then times out. An execution without a budget gets ``(seconds, None)``.
    """
    with _lock:
        budget = _budgets.get(execution_arn)
        if budget is None:
            return seconds, None
        left = max(budget.remaining(time.monotonic() if now is None else now), 0.0)
        if seconds < left:
            budget.simulated_seconds += seconds
            return seconds, None
        budget.simulated_seconds += left
        return left, budget


def _wait_module() -> Any:
    import importlib

    return importlib.import_module(
        "moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function"
    )


def _retrier_module() -> Any:
    import importlib

    return importlib.import_module("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl")


class _BudgetedRetryTime:
    """Stands in for the retrier's ``time`` (patch "sfn-retry-clock"): charges backoffs to the budget."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def sleep(self, seconds: float) -> None:
        env = getattr(_current, "env", None)
        if env is None or not _hooks().simulated_time:
            self._inner.sleep(seconds)
            return
        allowed, expired = take(_context_names(env)[0], float(seconds))
        self._inner.sleep(allowed)
        if expired is not None:
            expired.env.set_timed_out()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _check() -> None:
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    _require_version(PATCH_NAME)
    _require_parameters(PATCH_NAME, Program.eval, ("self", "env"))
    _require(hasattr(Environment, "set_timed_out"), PATCH_NAME, "Environment.set_timed_out is gone")
    _require(hasattr(Environment, "is_frame"), PATCH_NAME, "Environment.is_frame is gone")
    _require_parameters(PATCH_NAME, Environment.set_error, ("self", "error"))
    # Checked before any patch is applied (``apply_all``): sfn-wait-clock and sfn-retry-clock, which
    # this wraps, are applied before it, as PATCHES orders them.
    _require_parameters(
        PATCH_NAME, _wait_module().WaitFunction._wait_interval, ("self", "env", "wait_seconds")
    )
    _require(hasattr(_retrier_module(), "time"), PATCH_NAME, "the retrier no longer sleeps through `time`")


def _apply() -> None:
    from moto.stepfunctions.parser.asl.component.program.program import Program

    original_eval = Program.eval
    if getattr(original_eval, TIMEOUT_MARK, False):
        return

    def eval(self: Any, env: Any) -> None:
        timeout = self.timeout_seconds.timeout_seconds if self.timeout_seconds else None
        if timeout is None or env.is_frame():
            original_eval(self, env)
            return
        execution_arn = _context_names(env)[0]
        with _lock:
            _budgets[execution_arn] = Budget(env, float(timeout), time.monotonic())
        try:
            original_eval(self, env)
        finally:
            with _lock:
                _budgets.pop(execution_arn, None)

    wait_class = _wait_module().WaitFunction
    original_wait = wait_class._wait_interval

    def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        if not _hooks().simulated_time:
            original_wait(self, env, wait_seconds)
            return
        allowed, expired = take(_context_names(env)[0], float(max(wait_seconds, 0)))
        original_wait(self, env, allowed)
        if expired is not None:
            expired.env.set_timed_out()

    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramTimedOut

    original_set_error = Environment.set_error

    def set_error(self: Any, error: Any) -> None:
        # Timing out is final: a Map iteration started after it fails (its frame cannot run), and
        # that failure must not turn the execution from TIMED_OUT into FAILED.
        if isinstance(self._program_state, ProgramTimedOut):
            return
        original_set_error(self, error)

    for wrapper, original in (
        (eval, original_eval),
        (_wait_interval, original_wait),
        (set_error, original_set_error),
    ):
        _mark(wrapper, original)
        setattr(wrapper, TIMEOUT_MARK, True)
    _replace(Program, "eval", eval)
    _replace(Environment, "set_error", set_error)
    _replace(wait_class, "_wait_interval", _wait_interval)
    retrier_decl = _retrier_module()
    _replace(retrier_decl, "time", _BudgetedRetryTime(retrier_decl.time))


def _verify() -> None:
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    _require_replaced(
        PATCH_NAME, Program.eval, _wait_module().WaitFunction._wait_interval, Environment.set_error
    )
    _require(
        isinstance(_retrier_module().time, _BudgetedRetryTime), PATCH_NAME, "retry backoffs are not budgeted"
    )
    _require(
        getattr(Program.eval, TIMEOUT_MARK, False)
        and getattr(_wait_module().WaitFunction._wait_interval, TIMEOUT_MARK, False),
        PATCH_NAME,
        "Program.eval / WaitFunction._wait_interval are not the budgeted ones",
    )
    arn = "arn:aws:states:us-east-1:123456789012:execution:canary:budget"

    class _Env:
        timed_out = False

    with _lock:
        _budgets[arn] = Budget(_Env(), 10.0, started=100.0)
    try:
        first, expired_first = take(arn, 5.0, now=102.0)
        second, expired_second = take(arn, 30.0, now=102.0)
    finally:
        with _lock:
            _budgets.pop(arn, None)
    _require(
        (first, expired_first, second) == (5.0, None, 3.0) and expired_second is not None,
        PATCH_NAME,
        f"a 10 s budget, 2 s in, charged 5 s then 30 s allows {first} and {second}",
    )


PATCHES: tuple[Patch, ...] = (
    Patch(
        PATCH_NAME,
        "Simulated time skips Waits and backoffs, so moto's real-time TimeoutSeconds never fires; "
        "on AWS the execution times out.",
        _check,
        _apply,
        _verify,
    ),
)
