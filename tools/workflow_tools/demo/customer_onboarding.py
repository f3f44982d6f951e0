"""``make demo`` scenarios of customer onboarding (state machine ``customer-onboarding``).

Inputs are in ``samples/customer-onboarding/``. They run in order: the second starts the first's
request again to show that a duplicate is answered from the record, without a second email; the
fourth starts the third's again, once SES accepts, to send the welcome email the third could not.
The redrive scenario fails a re-run after it sent the email, then redrives that execution.
"""

from __future__ import annotations

import json
from typing import Any

from workflow_local_cloud import Execution, LocalCloudHarness

from workflow_tools.demo import SAMPLES_DIR, Scenario

WORKFLOW = "customer-onboarding"
SEND_WELCOME_EMAIL = "Send the welcome email"
RECORD_RESENT_EMAIL = "Record the resent welcome email"
REDRIVEN_SAMPLE = "redriven-welcome-email.json"
STEP_TIMEOUT_SECONDS = 60.0


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


def _redriven_sign_up() -> dict[str, Any]:
    return dict(json.loads((SAMPLES_DIR / WORKFLOW / REDRIVEN_SAMPLE).read_text()))


def _signed_up_with_the_email_pending_then_dynamodb_down(cloud: LocalCloudHarness) -> None:
    # The customer is ACTIVE with the welcome email PENDING (SES refused it), and DynamoDB will
    # refuse recording the resent email: the re-run fails after the email went out.
    _ses_refuses_the_email(cloud)
    cloud.run(WORKFLOW, _redriven_sign_up(), reason="customer signed up", timeout=STEP_TIMEOUT_SECONDS)
    cloud.clear_faults()
    cloud.inject_permanent_fault(WORKFLOW, RECORD_RESENT_EMAIL)


def _redrive_once_dynamodb_is_back(cloud: LocalCloudHarness, execution: Execution) -> None:
    failed = cloud.wait(execution, timeout=STEP_TIMEOUT_SECONDS)
    cloud.clear_faults()
    if failed.status != "FAILED":
        raise RuntimeError(
            f"the re-run should have failed at [{RECORD_RESENT_EMAIL}]; it ended {failed.status}"
        )
    # RedriveExecution: the same execution goes on from the failed step; the email is not sent again.
    email = _redriven_sign_up()["customer"]["email"]
    sent = len(cloud.emails(to=email))
    cloud.wait(cloud.redrive(execution), timeout=STEP_TIMEOUT_SECONDS)
    if len(cloud.emails(to=email)) != sent:
        raise RuntimeError(f"the redrive sent the welcome email again ({sent} before, now more)")


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
        title="A re-run fails recording the sent email; redriven from that step: recorded, no second email",
        sample=REDRIVEN_SAMPLE,
        reason="resend the welcome email",
        before=_signed_up_with_the_email_pending_then_dynamodb_down,
        during=_redrive_once_dynamodb_is_back,
        timeout_seconds=STEP_TIMEOUT_SECONDS,
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
