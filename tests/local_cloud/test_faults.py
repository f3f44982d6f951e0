"""Unit tests of the fault book: what is armed, how attempts use it up, what it refuses."""

from __future__ import annotations

import pytest
from workflow_local_cloud.faults import Answer, Fault, FaultBook, FaultError


def test_a_transient_fault_fails_as_many_attempts_as_asked_then_disarms():
    # GIVEN a fault armed for two attempts of one step
    book = FaultBook()
    book.arm(Fault("billing", "Charge the card", "TransientError", times=2))

    # WHEN that step runs four times
    taken = [book.take("billing", "Charge the card") for _ in range(4)]

    # THEN the first two attempts fail, the rest run normally
    assert [fault.error if fault else None for fault in taken] == [
        "TransientError",
        "TransientError",
        None,
        None,
    ]
    assert book.armed() == []
    assert len(book.delivered()) == 2


def test_a_permanent_fault_fails_every_attempt_until_cleared():
    # GIVEN a fault without a count
    book = FaultBook()
    book.arm(Fault("billing", "Charge the card", "CardDeclined", times=None))

    # WHEN the step runs many times, then faults are cleared
    taken = [book.take("billing", "Charge the card") for _ in range(10)]
    book.clear()

    # THEN every attempt failed, and none does after clearing
    assert all(fault is not None for fault in taken)
    assert book.take("billing", "Charge the card") is None


def test_faults_apply_only_to_their_own_step_and_state_machine():
    # GIVEN a fault on one step of one workflow
    book = FaultBook()
    book.arm(Fault("billing", "Charge the card", "TransientError"))

    # WHEN another step, and the same step name in another workflow, run
    # THEN neither takes the fault
    assert book.take("billing", "Send the invoice") is None
    assert book.take("onboarding", "Charge the card") is None
    assert book.armed()[0]["remaining"] == 1


def test_arming_a_step_again_replaces_its_fault():
    # GIVEN a step armed twice
    book = FaultBook()
    book.arm(Fault("billing", "Charge the card", "First", times=5))
    book.arm(Fault("billing", "Charge the card", "Second", times=1))

    # WHEN it runs twice
    first, second = book.take("billing", "Charge the card"), book.take("billing", "Charge the card")

    # THEN only the second fault applied, once
    assert first is not None
    assert first.error == "Second"
    assert second is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"error": "States.TaskFailed"}, r"only States.Timeout .*Received: \[States.TaskFailed\]"),
        ({"error": ""}, r"needs an error name"),
        ({"times": 0}, r"times must be at least 1.*Received: \[0\]"),
        ({"state": ""}, r"needs a state machine and a state"),
    ],
)
def test_a_fault_that_cannot_be_delivered_is_refused(kwargs, message):
    arguments = {"state_machine": "billing", "state": "Charge the card", "error": "TransientError", **kwargs}
    with pytest.raises(FaultError, match=message):
        Fault(**arguments)


def test_a_fault_survives_its_json_form():
    fault = Fault("billing", "Charge the card", "States.Timeout", "slow", times=None)
    assert Fault.from_json(fault.to_json()) == fault


def test_an_answer_is_given_on_every_attempt_and_is_not_a_delivered_fault():
    # GIVEN an answer armed on a service step
    book = FaultBook()
    book.arm(Answer("deploy", "Check the stack", {"Stacks": [{"StackStatus": "UPDATE_ROLLBACK_COMPLETE"}]}))

    # WHEN the step runs three times
    taken = [book.take("deploy", "Check the stack") for _ in range(3)]

    # THEN each attempt gets the answer; nothing failed
    assert all(isinstance(answer, Answer) for answer in taken)
    assert taken[0].output == {"Stacks": [{"StackStatus": "UPDATE_ROLLBACK_COMPLETE"}]}
    assert book.delivered() == []
    assert book.armed()[0]["remaining"] is None


def test_an_answer_and_a_fault_on_one_step_replace_each_other():
    book = FaultBook()
    book.arm(Fault("deploy", "Check the stack", "TransientError"))
    book.arm(Answer("deploy", "Check the stack", {"Stacks": []}, times=1))
    assert isinstance(book.take("deploy", "Check the stack"), Answer)
    assert book.take("deploy", "Check the stack") is None


def test_an_answer_survives_its_json_round_trip():
    answer = Answer("deploy", "Check the stack", {"Stacks": [{"StackStatus": "ROLLBACK_COMPLETE"}]}, times=2)
    assert Answer.from_json(answer.to_json()) == answer


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"state_machine": "", "state": "s"}, r"an answer needs a state machine and a state"),
        ({"state_machine": "m", "state": "s", "times": 0}, r"times must be at least 1, or None"),
    ],
)
def test_an_answer_must_name_its_step_and_a_sensible_count(kwargs, message):
    with pytest.raises(FaultError, match=message):
        Answer(output={}, **kwargs)
