"""``make demo`` scenarios of customer onboarding (state machine ``customer-onboarding``).

Inputs are in ``samples/customer-onboarding/``. They run in order: the second starts the first's
request again to show that a duplicate is answered from the record, without a second email; the
fourth starts the third's again, once SES accepts, to send the welcome email the third could not.
"""

from __future__ import annotations

from workflow_local_cloud import Execution, LocalCloudHarness

from workflow_tools.demo import Scenario

WORKFLOW = "customer-onboarding"
SEND_WELCOME_EMAIL = "Send the welcome email"


def _ses_refuses_the_email(cloud: LocalCloudHarness) -> None:
    cloud.inject_permanent_fault(
        WORKFLOW,
        SEND_WELCOME_EMAIL,
        error="SesV2.MessageRejected",
        cause="Email address is on the account-level suppression list",
    )


def _let_it_end_then_heal(cloud: LocalCloudHarness, execution: Execution) -> None:
    # The fault must not outlive this scenario: wait for the execution, then disarm it.
    cloud.wait(execution)
    cloud.clear_faults()


SCENARIOS = [
    Scenario(
        workflow=WORKFLOW,
        title="A customer signs up: tenant provisioned, then the welcome email, then ACTIVE",
        sample="happy-path.json",
        reason="customer signed up",
    ),
    Scenario(
        workflow=WORKFLOW,
        title="The same sign-up again: answered from the record, no second email",
        sample="happy-path.json",
        reason="duplicate sign-up",
    ),
    Scenario(
        workflow=WORKFLOW,
        title="SES refuses the welcome email: customer ACTIVE with the email pending, operations told",
        sample="welcome-email-refused.json",
        reason="customer signed up",
        before=_ses_refuses_the_email,
        during=_let_it_end_then_heal,
    ),
    Scenario(
        workflow=WORKFLOW,
        title="The same sign-up again once SES accepts: only the welcome email is sent",
        sample="welcome-email-refused.json",
        reason="resend the welcome email",
    ),
    Scenario(
        workflow=WORKFLOW,
        title="An invalid sign-up: fails at once listing every problem, nothing written",
        sample="invalid-request.json",
        reason="invalid sign-up",
        expect_status="FAILED",
        expect_error="OnboardingRequestInvalid",
    ),
]
