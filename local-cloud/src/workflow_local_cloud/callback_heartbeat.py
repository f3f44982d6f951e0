"""A callback answered before its step starts counting heartbeats still ends the step (patch
"sfn-heartbeat-early-answer").

What AWS does: a task token is valid from the moment the task is scheduled, and SendTaskSuccess,
SendTaskFailure (and the task's timeout) end the step whenever they arrive while it runs
(https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token).
A consumer that reads the token from an SQS message may answer before the service call returns.

What moto 5.2.5 does for a ``.waitForTaskToken`` step with ``HeartbeatSeconds``: the token's
``CallbackEndpoint`` is registered first (the token must go into the message), the service is called,
and only then ``setup_heartbeat_endpoint`` creates the heartbeat endpoint the step then waits on. An
answer that arrives in between sets the outcome and the callback's event but cannot wake the heartbeat
endpoint, which does not exist yet; the step then waits ``HeartbeatSeconds`` of real time (hours)
before it even looks at the outcome.

Here, as on AWS: a heartbeat endpoint set up after the answer arrived starts already notified, so the
step reads the outcome at once. A heartbeat sent before the endpoint exists is still dropped (harmless:
the heartbeat clock starts with the endpoint).
"""

from __future__ import annotations

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

PATCH_NAME = "sfn-heartbeat-early-answer"


def _callback_module() -> Any:
    from moto.stepfunctions.parser.asl.eval.callback import callback

    return callback


def _check() -> None:
    callback = _callback_module()
    _require_version(PATCH_NAME)
    _require_parameters(
        PATCH_NAME, callback.CallbackEndpoint.setup_heartbeat_endpoint, ("self", "heartbeat_seconds")
    )
    _require_parameters(PATCH_NAME, callback.HeartbeatEndpoint.notify, ("self",))
    endpoint = callback.CallbackEndpoint(callback_id="canary")
    _require(
        hasattr(endpoint, "_notify_event") and hasattr(endpoint, "_outcome"),
        PATCH_NAME,
        "CallbackEndpoint no longer keeps _notify_event and _outcome",
    )


def _apply() -> None:
    endpoint_class = _callback_module().CallbackEndpoint
    original = endpoint_class.setup_heartbeat_endpoint
    if getattr(original, "_local_cloud", False):
        return

    def setup_heartbeat_endpoint(self: Any, heartbeat_seconds: int) -> Any:
        heartbeat = original(self, heartbeat_seconds)
        # Answered (or timed out) already: wake the step's first heartbeat wait, which then reads
        # the outcome instead of sleeping HeartbeatSeconds.
        if self._notify_event.is_set() or self._outcome is not None:
            heartbeat.notify()
        return heartbeat

    _mark(setup_heartbeat_endpoint, original)
    _replace(endpoint_class, "setup_heartbeat_endpoint", setup_heartbeat_endpoint)


def _verify() -> None:
    callback = _callback_module()
    _require_replaced(PATCH_NAME, callback.CallbackEndpoint.setup_heartbeat_endpoint)
    # An answer before the heartbeat endpoint exists: the first wait returns at once, the outcome is there.
    answered = callback.CallbackEndpoint(callback_id="canary-answered")
    answered.notify(callback.CallbackOutcomeSuccess(callback_id="canary-answered", output="{}"))
    early = answered.setup_heartbeat_endpoint(heartbeat_seconds=3600)
    _require(early.clear_and_wait() is True, PATCH_NAME, "an early answer does not wake the heartbeat wait")
    _require(answered.get_outcome() is not None, PATCH_NAME, "the early answer was lost")
    # No answer yet: the heartbeat wait still waits (here 0 s, so it reports a missed heartbeat).
    waiting = callback.CallbackEndpoint(callback_id="canary-waiting")
    _require(
        waiting.setup_heartbeat_endpoint(heartbeat_seconds=0).clear_and_wait() is False,
        PATCH_NAME,
        "a step nobody answered no longer waits for its heartbeat",
    )


PATCHES: tuple[Patch, ...] = (
    Patch(
        PATCH_NAME,
        "moto loses a callback answered before a heartbeat step sets up its heartbeat wait, and sleeps "
        "HeartbeatSeconds; AWS ends the step whenever the answer arrives.",
        _check,
        _apply,
        _verify,
    ),
)
