"""Unit tests of the trace: a history becomes one readable row per state run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from workflow_local_cloud.clock import Pause
from workflow_local_cloud.trace import build_trace

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class History:
    """Builds a history the way Step Functions links it: each event names the one before it."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    def add(self, kind: str, previous: int, details: dict | None = None, *, at: float = 0.0) -> int:
        event_id = len(self.events) + 1
        event = {
            "id": event_id,
            "previousEventId": previous,
            "type": kind,
            "timestamp": START + timedelta(seconds=at),
        }
        if details is not None:
            key = kind[0].lower() + kind[1:]
            for suffix in ("StateEntered", "StateExited"):
                if kind.endswith(suffix):
                    key = "s" + suffix[1:]
            event[f"{key}EventDetails"] = details
        self.events.append(event)
        return event_id


def description(status: str = "SUCCEEDED", **extra) -> dict:
    return {"status": status, "startDate": START, "stopDate": START + timedelta(seconds=2), **extra}


def test_a_retried_task_shows_its_attempts_result_and_skipped_backoff():
    # GIVEN a task that failed once, was retried after a simulated backoff, then succeeded
    h = History()
    h.add("ExecutionStarted", 0, {"input": "{}"})
    entered = h.add("TaskStateEntered", 1, {"name": "Charge the card", "input": "{}"}, at=0.1)
    scheduled = h.add("LambdaFunctionScheduled", entered, {"resource": "arn"})
    failed = h.add("LambdaFunctionFailed", scheduled, {"error": "TransientError", "cause": "bank busy"})
    again = h.add("LambdaFunctionScheduled", failed, {"resource": "arn"})
    ok = h.add("LambdaFunctionSucceeded", again, {"output": json.dumps({"charged": 12})})
    h.add(
        "TaskStateExited",
        ok,
        {"name": "Charge the card", "output": json.dumps({"charged": 12, "id": 1})},
        at=0.6,
    )
    pauses = [Pause("arn:x", "billing", "Charge the card", "retry", 2.0)]

    # WHEN the trace is built
    trace = build_trace("billing-run", description(), h.events, pauses)

    # THEN the one run shows two attempts, its own result, the time it took and the skipped backoff
    (run,) = trace.runs
    assert (run.name, run.type, run.attempts, run.retries, run.status) == (
        "Charge the card",
        "Task",
        2,
        1,
        "succeeded",
    )
    assert run.result == {"charged": 12}
    assert run.seconds == 0.5
    assert run.simulated_seconds == 2.0
    assert 'Charge the card [Task]  0.50s succeeded retries=1 waited=2s -> {"charged": 12}' in trace.render()


def test_states_inside_a_map_are_indented_and_the_next_state_is_not():
    # GIVEN a Map with two iterations running the same state, then a state after the Map
    h = History()
    h.add("ExecutionStarted", 0, {"input": "{}"})
    map_entered = h.add("MapStateEntered", 1, {"name": "Notify each person"})
    started = h.add("MapStateStarted", map_entered, {"length": 2})
    first = h.add("MapIterationStarted", started, {"index": 0})
    second = h.add("MapIterationStarted", started, {"index": 1})
    a = h.add("TaskStateEntered", first, {"name": "Notify the person"})
    b = h.add("TaskStateEntered", second, {"name": "Notify the person"})
    a_out = h.add("TaskStateExited", a, {"name": "Notify the person", "output": "1"})
    b_out = h.add("TaskStateExited", b, {"name": "Notify the person", "output": "2"})
    done = h.add("MapIterationSucceeded", b_out, {"index": 1})
    h.add("MapIterationSucceeded", a_out, {"index": 0})
    exited = h.add("MapStateExited", done, {"name": "Notify each person", "output": "[1, 2]"})
    h.add("SucceedStateEntered", exited, {"name": "Done"})

    # WHEN the trace is built
    runs = build_trace("notify", description(), h.events).runs

    # THEN the iterations sit one level deeper, each closed by its own exit, and the Map closed by its own
    assert [(r.name, r.depth, r.output) for r in runs] == [
        ("Notify each person", 0, [1, 2]),
        ("Notify the person", 1, 1),
        ("Notify the person", 1, 2),
        ("Done", 0, None),
    ]


def test_a_caught_failure_keeps_its_error_and_a_fail_state_shows_the_executions():
    # GIVEN a task whose error a Catch sent to a Fail state
    h = History()
    h.add("ExecutionStarted", 0, {"input": "{}"})
    entered = h.add("TaskStateEntered", 1, {"name": "Validate the order"})
    scheduled = h.add("TaskScheduled", entered, {"resource": "invoke"})
    failed = h.add("TaskFailed", scheduled, {"error": "OrderInvalid", "cause": "no items"})
    exited = h.add("TaskStateExited", failed, {"name": "Validate the order", "output": "{}"})
    fail = h.add("FailStateEntered", exited, {"name": "Reject the order"})
    h.add("ExecutionFailed", fail, {"error": "OrderRejected", "cause": "invalid"})

    # WHEN the trace is built
    trace = build_trace("orders", description("FAILED", error="OrderRejected", cause="invalid"), h.events)

    # THEN the task shows the error it failed with, the Fail state the execution's, and the end says why
    validate, reject = trace.runs
    assert (validate.status, validate.error, validate.cause) == ("failed", "OrderInvalid", "no items")
    assert (reject.status, reject.error) == ("failed", "OrderRejected")
    assert trace.render().splitlines()[-1] == "  => OrderRejected: invalid"


def test_a_running_execution_shows_the_state_it_waits_in():
    h = History()
    h.add("ExecutionStarted", 0, {"input": "{}"})
    entered = h.add("TaskStateEntered", 1, {"name": "Wait for the payment"})
    h.add("TaskScheduled", entered, {"resource": "invoke.waitForTaskToken"})
    trace = build_trace("billing", {"status": "RUNNING", "startDate": START}, h.events)
    assert trace.runs[0].status == "running"
    assert trace.render().startswith("billing: RUNNING\n  Wait for the payment [Task]    …   running -> …")
