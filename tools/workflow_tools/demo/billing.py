"""``make demo`` scenarios of the billing workflow: a payment authorised, a card declined, bad input.

The payment provider is the sandbox: while an execution waits at "Request payment authorisation",
``during`` delivers the sandbox's signed webhook to the billing stack's webhook function, as the
operator CLI's ``workflows pay`` / ``workflows decline`` do (``workflow_tools.payments_sandbox``).
"""

from __future__ import annotations

from workflow_local_cloud import Execution, LocalCloudHarness

from workflow_tools.demo import Scenario
from workflow_tools.payments_sandbox import SandboxClients, deliver_sandbox_webhook

WORKFLOW = "billing"
ANSWER_WITHIN_SECONDS = 20.0


def answer_as_the_test_card_decides(cloud: LocalCloudHarness, execution: Execution) -> None:
    """Deliver the sandbox provider's answer once the execution has asked for authorisation."""
    delivery = deliver_sandbox_webhook(
        execution_arn=execution.arn,
        transport="invoke",
        clients=SandboxClients.from_session(cloud.session, endpoint_url=cloud.endpoint_url),
        wait_seconds=ANSWER_WITHIN_SECONDS,
    )
    if not delivery.accepted:
        raise RuntimeError(
            f"the webhook refused the sandbox's answer: {delivery.status_code} {delivery.response}"
        )


SCENARIOS = [
    Scenario(
        workflow=WORKFLOW,
        title="The provider authorises the payment: captured once, invoice paid, receipt sent",
        sample="authorised-payment.json",
        reason="demo payment authorised",
        during=answer_as_the_test_card_decides,
    ),
    Scenario(
        workflow=WORKFLOW,
        title="The provider declines the card: invoice marked, customer told, execution fails",
        sample="declined-payment.json",
        reason="demo card declined",
        expect_status="FAILED",
        expect_error="PaymentDeclined",
        during=answer_as_the_test_card_decides,
    ),
    Scenario(
        workflow=WORKFLOW,
        title="An invalid billing request fails at once, listing every problem",
        sample="invalid-request.json",
        reason="demo invalid request",
        expect_status="FAILED",
        expect_error="BillingRequestInvalid",
    ),
]
