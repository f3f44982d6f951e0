"""Unit tests of simulated time's record of skipped waits."""

from __future__ import annotations

from workflow_local_cloud.clock import Pause, SimulatedClock


def test_pauses_are_kept_per_execution_in_order():
    # GIVEN a clock that recorded waits of two executions
    clock = SimulatedClock()
    clock.record(
        execution_arn="arn:a", state_machine="billing", state="Wait a day", kind="wait", seconds=86_400
    )
    clock.record(
        execution_arn="arn:b", state_machine="billing", state="Wait a day", kind="wait", seconds=86_400
    )
    clock.record(execution_arn="arn:a", state_machine="billing", state="Charge", kind="retry", seconds=1.5)

    # WHEN the pauses of one execution are read
    pauses = clock.pauses("arn:a")

    # THEN they are that execution's, oldest first, and add up
    assert [(p.state, p.kind) for p in pauses] == [("Wait a day", "wait"), ("Charge", "retry")]
    assert clock.simulated_seconds("arn:a") == 86_401.5
    assert len(clock.pauses()) == 3


def test_a_pause_survives_its_json_form():
    pause = Pause("arn:a", "billing", "Wait a day", "wait", 60.0)
    assert Pause.from_json(pause.to_json()) == pause
