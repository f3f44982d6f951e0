"""Unit tests of how the harness finds a callback's task token in a history (no local cloud needed)."""

from __future__ import annotations

import json

from workflow_local_cloud.harness import _scheduled_strings


def _event(event_id: int, previous: int, kind: str, **details: object) -> dict:
    key = "stateEnteredEventDetails" if kind.endswith("StateEntered") else "taskScheduledEventDetails"
    return {"id": event_id, "previousEventId": previous, "type": kind, key: details}


def test_tokens_are_found_per_state_even_when_iterations_interleave():
    # GIVEN two Map iterations whose callback steps were entered and scheduled in interleaved order
    history = [
        _event(1, 0, "MapStateEntered", name="Ask each approver"),
        _event(2, 1, "TaskStateEntered", name="Ask the approver"),
        _event(3, 1, "TaskStateEntered", name="Remind the approver"),
        _event(4, 2, "TaskScheduled", parameters=json.dumps({"Payload": {"taskToken": "token-ask"}})),
        _event(5, 3, "TaskScheduled", parameters=json.dumps({"Payload": {"taskToken": "token-remind"}})),
    ]

    # WHEN the strings scheduled by each state are listed
    # THEN each state gets only its own token, whatever came in between
    assert "token-ask" in _scheduled_strings(history, "Ask the approver")
    assert "token-remind" not in _scheduled_strings(history, "Ask the approver")
    assert "token-remind" in _scheduled_strings(history, "Remind the approver")


def test_the_latest_attempt_comes_first_and_json_string_payloads_are_searched():
    # GIVEN a callback step scheduled twice (a retry), the second time with its payload as a JSON string
    history = [
        _event(1, 0, "TaskStateEntered", name="Wait for the payment"),
        _event(2, 1, "TaskScheduled", parameters=json.dumps({"Payload": {"taskToken": "first"}})),
        _event(
            3, 2, "TaskScheduled", parameters=json.dumps({"Payload": json.dumps({"taskToken": "second"})})
        ),
    ]

    strings = _scheduled_strings(history, "Wait for the payment")

    assert strings.index("second") < strings.index("first")
