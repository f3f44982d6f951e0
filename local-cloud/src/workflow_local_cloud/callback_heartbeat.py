"""A callback step with a heartbeat sees its answer at once (patch "sfn-callback-heartbeat").

What AWS does: a ``.waitForTaskToken`` step with ``HeartbeatSeconds`` ends as soon as
SendTaskSuccess or SendTaskFailure arrives (or its timeout passes); each SendTaskHeartbeat restarts
the heartbeat clock, and a silence longer than ``HeartbeatSeconds`` fails ``States.HeartbeatTimeout``.

What moto 5.2.5 does: the step waits on the heartbeat event only, and clears it before each wait.
An answer that arrives before that loop starts, or right after a heartbeat woke it, sets the event
just before it is cleared: the answer is kept but nobody looks at it until the next heartbeat or
until ``HeartbeatSeconds`` pass in real time (the step then fails ``States.HeartbeatTimeout`` with
the answer in hand).

Here, as on AWS: the answer is looked at before and after every short wait, so it ends the step at
once; a heartbeat restarts the clock; a silence of ``HeartbeatSeconds`` is still a heartbeat timeout.
"""

from __future__ import annotations

import time
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

PATCH_NAME = "sfn-callback-heartbeat"
POLL_SECONDS = 0.05  # how long one wait lasts before the answer is looked at again


def wait_for_answer_or_heartbeat_timeout(
    env: Any, callback_endpoint: Any, heartbeat_endpoint: Any, *, heartbeat_seconds: float
) -> Any:
    """The answer, ``HeartbeatTimedOut`` after ``heartbeat_seconds`` of silence, or None once the
    execution stopped. Each heartbeat (the endpoint's event) restarts the clock."""
    from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatTimedOut

    heartbeat = heartbeat_endpoint._next_heartbeat_event
    deadline = time.monotonic() + heartbeat_seconds
    while env.is_running():
        outcome = callback_endpoint.get_outcome()
        if outcome is not None:
            return outcome
        if heartbeat.is_set():
            heartbeat.clear()
            deadline = time.monotonic() + heartbeat_seconds
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return HeartbeatTimedOut()
        # The answer sets this event too (CallbackEndpoint.notify), so it wakes the wait early.
        heartbeat.wait(timeout=min(POLL_SECONDS, remaining))
    return None


def _target() -> Any:
    from workflow_local_cloud.patches import _service_module

    return _service_module("state_task_service_callback").StateTaskServiceCallback


def _check() -> None:
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint, HeartbeatEndpoint

    _require_version(PATCH_NAME)
    _require_parameters(
        PATCH_NAME,
        _target()._wait_for_task_token_heartbeat,
        ("self", "env", "callback_endpoint", "heartbeat_endpoint"),
    )
    endpoint = HeartbeatEndpoint(heartbeat_seconds=1)
    _require(
        hasattr(endpoint, "_next_heartbeat_event") and hasattr(endpoint, "_heartbeat_seconds"),
        PATCH_NAME,
        "HeartbeatEndpoint no longer keeps its event and seconds where the patch reads them",
    )
    _require(
        hasattr(CallbackEndpoint, "get_outcome"), PATCH_NAME, "CallbackEndpoint no longer has get_outcome"
    )


def _apply() -> None:
    owner = _target()
    original = owner._wait_for_task_token_heartbeat
    if getattr(original, "_local_cloud", False):
        return

    def _wait_for_task_token_heartbeat(
        self: Any, env: Any, callback_endpoint: Any, heartbeat_endpoint: Any
    ) -> Any:
        return wait_for_answer_or_heartbeat_timeout(
            env,
            callback_endpoint,
            heartbeat_endpoint,
            heartbeat_seconds=heartbeat_endpoint._heartbeat_seconds,
        )

    _mark(_wait_for_task_token_heartbeat, original)
    _replace(owner, "_wait_for_task_token_heartbeat", _wait_for_task_token_heartbeat)


class _Running:
    def is_running(self) -> bool:
        return True


def _verify() -> None:
    from moto.stepfunctions.parser.asl.eval.callback.callback import (
        CallbackEndpoint,
        CallbackOutcomeSuccess,
        HeartbeatTimedOut,
    )

    owner = _target()
    _require_replaced(PATCH_NAME, owner._wait_for_task_token_heartbeat)
    # An answer sent before the wait began ends it at once (moto waited out the heartbeat).
    answered = CallbackEndpoint(callback_id="answered")
    heartbeat = answered.setup_heartbeat_endpoint(heartbeat_seconds=30)
    answered.notify(CallbackOutcomeSuccess(callback_id="answered", output="{}"))
    started = time.monotonic()
    outcome = owner._wait_for_task_token_heartbeat(None, _Running(), answered, heartbeat)
    _require(
        isinstance(outcome, CallbackOutcomeSuccess) and time.monotonic() - started < 5,
        PATCH_NAME,
        f"an answer given before the wait did not end it at once: {outcome!r}",
    )
    # Silence still times out.
    silent = CallbackEndpoint(callback_id="silent")
    outcome = owner._wait_for_task_token_heartbeat(
        None, _Running(), silent, silent.setup_heartbeat_endpoint(heartbeat_seconds=0)
    )
    _require(isinstance(outcome, HeartbeatTimedOut), PATCH_NAME, f"silence did not time out: {outcome!r}")


PATCHES: tuple[Patch, ...] = (
    Patch(
        PATCH_NAME,
        "moto's heartbeat wait misses an answer sent before or right after a heartbeat, holding the step "
        "until the next heartbeat or HeartbeatSeconds; AWS ends the step on the answer at once.",
        _check,
        _apply,
        _verify,
    ),
)
