"""The entry's decisions: who may approve, when, and that every refusal has no side effect."""

from __future__ import annotations

import json

import pytest
from deployment_approvals.approvals import decide, request_deployment
from deployment_approvals.contract import DEPLOYMENT_REJECTED
from deployment_approvals.entry import answer
from deployment_approvals.errors import (
    ApprovalNotPending,
    ApprovalRequestInvalid,
    DeploymentRequestInvalid,
    RequesterUnknown,
    SelfApprovalDenied,
)

from tests.unit.deployment_approvals.fakes import (
    APPROVER,
    MACHINE,
    REQUESTER,
    TOKEN,
    FakeExecution,
    FakeStates,
    execution_arn,
)

REQUEST = {"correlationId": "c-1", "stackName": "svc-orders", "reason": "Release 42", "requireApproval": True}


@pytest.fixture
def states() -> FakeStates:
    return FakeStates()


@pytest.fixture
def waiting(states) -> str:
    """A deployment requested by ana through the entry, waiting for approval."""
    return states.add("release-42", FakeExecution(input={**REQUEST, "requestedBy": REQUESTER}))


def _decide(states, body, caller=APPROVER):
    return decide(body, caller=caller, state_machine_arn=MACHINE, states_client=states)


def test_another_person_approves_and_the_answer_names_the_caller_not_the_body(states, waiting):
    # WHEN ben approves the deployment ana asked for
    answered = _decide(states, {"execution": "release-42", "decision": "approve", "reason": "reviewed"})

    # THEN the approval step is answered with ben's ARN as approvedBy
    assert answered.to_json() == {
        "executionArn": waiting,
        "decision": "approve",
        "decidedBy": APPROVER,
        "requestedBy": REQUESTER,
    }
    assert states.calls == [
        (
            "send_task_success",
            {"taskToken": TOKEN, "output": {"approved": True, "approvedBy": APPROVER, "reason": "reviewed"}},
        )
    ]


def test_self_approval_is_denied_without_answering(states, waiting):
    # WHEN ana, who requested it, approves it (from the same role session, say in another case)
    with pytest.raises(SelfApprovalDenied, match="requested this deployment"):
        _decide(states, {"execution": waiting, "decision": "approve"}, caller=REQUESTER.replace("ana", "ANA"))

    # THEN nothing was answered
    assert states.side_effects() == []


def test_forged_approved_by_in_the_body_is_refused(states, waiting):
    body = {"execution": waiting, "decision": "approve", "approvedBy": "arn:aws:iam::123456789012:user/boss"}
    with pytest.raises(ApprovalRequestInvalid, match="approvedBy"):
        _decide(states, body, caller=REQUESTER)
    assert states.side_effects() == []


def test_the_requester_may_withdraw_by_rejecting(states, waiting):
    answered = _decide(states, {"execution": waiting, "decision": "reject"}, caller=REQUESTER)
    assert answered.decision == "reject"
    assert states.calls == [
        (
            "send_task_failure",
            {"taskToken": TOKEN, "error": DEPLOYMENT_REJECTED, "cause": f"Rejected by {REQUESTER}"},
        )
    ]


def test_an_execution_started_without_the_entry_cannot_be_approved(states):
    arn = states.add("direct-start", FakeExecution(input=REQUEST))
    with pytest.raises(RequesterUnknown, match="can only be rejected"):
        _decide(states, {"execution": arn, "decision": "approve"})
    assert states.side_effects() == []


@pytest.mark.parametrize(
    "execution",
    [
        FakeExecution(input={"requestedBy": REQUESTER}, status="SUCCEEDED"),
        FakeExecution(
            input={"requestedBy": REQUESTER},
            history=[{"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Check the stack"}}],
        ),
        FakeExecution(
            input={"requestedBy": REQUESTER},
            history=[{"id": 15, "type": "TaskSucceeded"}, *FakeExecution(input={}).history],
        ),
        FakeExecution(
            input={"requestedBy": REQUESTER},
            machine="arn:aws:states:eu-west-1:123456789012:stateMachine:other",
        ),
    ],
    ids=["finished", "in another step", "answered already", "another state machine"],
)
def test_an_execution_not_waiting_for_approval_is_refused(states, execution):
    arn = states.add("not-waiting", execution)
    with pytest.raises((ApprovalNotPending, ApprovalRequestInvalid)):
        _decide(states, {"execution": arn, "decision": "approve"})
    assert states.side_effects() == []


def test_the_waiting_step_is_found_whatever_order_the_history_is_served_in(states):
    # moto ignores reverseOrder: the newest events are found by id
    oldest_first = list(reversed(FakeExecution(input={}).history))
    arn = states.add("oldest-first", FakeExecution(input={"requestedBy": REQUESTER}, history=oldest_first))
    assert _decide(states, {"execution": arn, "decision": "approve"}).decided_by == APPROVER


def test_an_unknown_execution_is_not_pending(states):
    with pytest.raises(ApprovalNotPending, match="does not exist"):
        _decide(states, {"execution": "nope", "decision": "approve"})


def test_approving_twice_is_not_pending_the_second_time(states, waiting):
    _decide(states, {"execution": waiting, "decision": "approve"})
    with pytest.raises(ApprovalNotPending, match="answered meanwhile"):
        _decide(states, {"execution": waiting, "decision": "approve"})
    assert states.side_effects() == ["send_task_success"]


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ([], "JSON object"),
        ({"execution": "release-42"}, "decision must be"),
        ({"execution": "release-42", "decision": "yes"}, "decision must be"),
        ({"execution": "release-42", "decision": "approve", "reason": 5}, "reason must be"),
        (
            {
                "execution": execution_arn("x", MACHINE.replace("stack-deployment", "billing")),
                "decision": "approve",
            },
            "execution must be",
        ),
        ({"execution": "has spaces", "decision": "approve"}, "execution must be"),
    ],
)
def test_a_bad_decision_is_invalid_with_no_side_effect(states, waiting, body, match):
    with pytest.raises(ApprovalRequestInvalid, match=match):
        _decide(states, body)
    assert states.side_effects() == []


def test_a_deployment_is_started_with_the_caller_as_requester(states):
    started = request_deployment(
        {"name": "release-42", "input": REQUEST},
        caller=REQUESTER,
        state_machine_arn=MACHINE,
        states_client=states,
    )
    assert started.execution_arn == execution_arn("release-42")
    (call,) = states.calls
    assert call == (
        "start_execution",
        {
            "stateMachineArn": MACHINE,
            "name": "release-42",
            "input": json.dumps({**REQUEST, "requestedBy": REQUESTER}),
        },
    )


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("text", "JSON object"),
        ({"name": "x"}, "input must be"),
        ({"input": {**REQUEST, "requestedBy": APPROVER}}, "leave it out"),
        ({"name": "not a name!", "input": REQUEST}, "name must be"),
    ],
)
def test_a_bad_deployment_request_is_invalid_and_starts_nothing(states, body, match):
    with pytest.raises(DeploymentRequestInvalid, match=match):
        request_deployment(body, caller=REQUESTER, state_machine_arn=MACHINE, states_client=states)
    assert states.side_effects() == []


def _api_event(path, body, caller=APPROVER):
    identity = {"userArn": caller} if caller else {"sourceIp": "1.2.3.4"}
    return {"resource": path, "body": json.dumps(body), "requestContext": {"identity": identity}}


def test_the_entry_answers_a_refusal_with_its_name_and_status(states, waiting):
    response = answer(
        _api_event("/approvals", {"execution": waiting, "decision": "approve"}, caller=REQUESTER),
        state_machine_arn=MACHINE,
        states_client=states,
    )
    assert (response["statusCode"], json.loads(response["body"])["error"]) == (403, "SelfApprovalDenied")
    assert states.side_effects() == []


def test_the_entry_refuses_an_unsigned_request(states, waiting):
    response = answer(
        _api_event("/approvals", {"execution": waiting, "decision": "approve"}, caller=None),
        state_machine_arn=MACHINE,
        states_client=states,
    )
    assert (response["statusCode"], json.loads(response["body"])["error"]) == (401, "CallerUnauthenticated")
    assert states.side_effects() == []


def test_the_entry_approves_as_the_signed_caller(states, waiting):
    response = answer(
        _api_event("/approvals", {"execution": waiting, "decision": "approve"}),
        state_machine_arn=MACHINE,
        states_client=states,
    )
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["decidedBy"] == APPROVER


def test_the_entry_refuses_a_body_that_is_not_json(states):
    event = {**_api_event("/deployments", {}), "body": "{not json"}
    response = answer(event, state_machine_arn=MACHINE, states_client=states)
    assert (response["statusCode"], json.loads(response["body"])["error"]) == (
        400,
        "DeploymentRequestInvalid",
    )
