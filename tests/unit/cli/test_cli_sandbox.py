"""`workflows pay` / `decline`: which execution they answer, how, and their one-line errors.

The delivery itself (signing, finding the authorisation, the webhook) is
``workflow_tools.payments_sandbox``'s, tested with billing; here it is replaced by a recorder.
"""

from __future__ import annotations

import pytest
from workflow_tools.cli import sandbox
from workflow_tools.payments_sandbox import (
    AuthorisationNotFoundError,
    NotASandboxAuthorisationError,
    SandboxWebhookError,
    WebhookDelivery,
)

WAITING = {"Wait for the provider": {"Type": "Wait", "Seconds": 3600, "End": True}}


@pytest.fixture
def waiting_billing(cloud):
    """A running billing execution (it waits an hour), and a finished one."""
    machine = cloud.state_machine("billing", WAITING, "Wait for the provider")
    running = cloud.start(machine, "billing-invoice-20260302T091500Z-0000000c", {"correlationId": "c"})
    done_machine = cloud.state_machine("customer-onboarding", {"Done": {"Type": "Succeed"}}, "Done")
    done = cloud.start(done_machine, "customer-onboarding-x-20260302T091500Z-0000000d", {})
    cloud.wait_until(done, ended=True)
    yield running
    cloud.sfn.stop_execution(executionArn=running)


@pytest.fixture
def deliveries(monkeypatch):
    """Records each delivery and answers with ``answer`` (a WebhookDelivery or an exception)."""
    calls = []
    state = {"answer": None}

    def deliver(**kwargs):
        calls.append(kwargs)
        if isinstance(state["answer"], Exception):
            raise state["answer"]
        outcome = kwargs["outcome"]
        return state["answer"] or WebhookDelivery(
            authorisation_id="auth-1",
            execution_arn=kwargs["execution_arn"],
            event={
                "type": "authorisation.succeeded" if outcome == "authorised" else "authorisation.declined"
            },
            status_code=200,
            response={"status": "delivered"},
            transport=kwargs["transport"],
        )

    monkeypatch.setattr(sandbox, "deliver_sandbox_webhook", deliver)
    return calls, state


def test_pay_delivers_an_authorisation_for_the_waiting_execution(run, waiting_billing, deliveries):
    calls, _ = deliveries
    outcome = run("pay", "billing-invoice-20260302T091500Z-0000000c")
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout == (
        "Paid billing-invoice-20260302T091500Z-0000000c: delivered authorisation.succeeded "
        "for authorisation auth-1 by post\n"
    )
    (call,) = calls
    assert (
        call["execution_arn"],
        call["outcome"],
        call["transport"],
        call["stack_name"],
        call["wait_seconds"],
    ) == (
        waiting_billing,
        "authorised",
        "post",
        "Billing",
        10.0,
    )
    # the clients are the CLI's (same credentials, region and endpoint)
    assert call["clients"].cloudformation.meta.service_model.service_name == "cloudformation"


def test_decline_passes_the_code_and_message(run, waiting_billing, deliveries):
    calls, _ = deliveries
    outcome = run(
        "decline",
        waiting_billing,
        "--reason",
        "insufficient_funds",
        "--message",
        "Top up, please",
        "--transport",
        "invoke",
        "--wait-seconds",
        "0",
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout.startswith(
        "Declined billing-invoice-20260302T091500Z-0000000c: delivered authorisation.declined"
    )
    (call,) = calls
    assert (call["outcome"], call["decline_reason"], call["decline_message"], call["transport"]) == (
        "declined",
        "insufficient_funds",
        "Top up, please",
        "invoke",
    )


def test_a_duplicate_delivery_is_said_to_be_one(run, waiting_billing, deliveries):
    _, state = deliveries
    state["answer"] = WebhookDelivery(
        "auth-1", waiting_billing, {"type": "authorisation.succeeded"}, 200, {"status": "duplicate"}, "post"
    )
    assert run("pay", waiting_billing).stdout.endswith("by post (it had this answer already)\n")


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (
            AuthorisationNotFoundError("no payment authorisation is waiting for [x]"),
            3,
            "no payment authorisation",
        ),
        (
            NotASandboxAuthorisationError("authorisation [a] belongs to a real payment provider"),
            2,
            "belongs to a real",
        ),
        (SandboxWebhookError("stack [Billing] is not deployed"), 4, "stack [Billing] is not deployed"),
        (
            WebhookDelivery(
                "auth-1",
                "arn",
                {"type": "authorisation.succeeded"},
                401,
                {"message": "bad signature"},
                "post",
            ),
            4,
            "the webhook refused the authorisation.succeeded event: HTTP 401 {'message': 'bad signature'}",
        ),
    ],
)
def test_delivery_problems_are_one_line(run, waiting_billing, deliveries, error, code, message):
    _, state = deliveries
    state["answer"] = error
    outcome = run("pay", waiting_billing)
    assert outcome.exit_code == code
    assert outcome.stdout == ""
    assert outcome.stderr.startswith("error: ")
    assert message in outcome.stderr
    assert outcome.stderr.count("\n") == 1


def test_only_running_billing_executions_are_answered(run, waiting_billing, deliveries):
    calls, _ = deliveries
    other = run("pay", "customer-onboarding-x-20260302T091500Z-0000000d")
    assert other.exit_code == 2
    assert other.stderr == (
        "error: pay/decline answer billing payments; "
        "[customer-onboarding-x-20260302T091500Z-0000000d] is a customer-onboarding execution\n"
    )
    bad_transport = run("pay", waiting_billing, "--transport", "carrier-pigeon")
    assert bad_transport.exit_code == 2
    assert calls == []


def test_a_finished_billing_execution_has_nothing_waiting(run, cloud, deliveries):
    machine = cloud.state_machine("billing", {"Done": {"Type": "Succeed"}}, "Done")
    done = cloud.start(machine, "billing-done-20260302T091500Z-0000000e", {})
    cloud.wait_until(done, ended=True)
    outcome = run("decline", done)
    assert outcome.exit_code == 3
    assert (
        outcome.stderr
        == "error: no payment is waiting: [billing-done-20260302T091500Z-0000000e] is SUCCEEDED\n"
    )
