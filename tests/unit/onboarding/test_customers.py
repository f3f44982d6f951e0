"""The customer record's last transitions: made once, recognised when retried, refused otherwise."""

from __future__ import annotations

import json

import pytest
from onboarding.customers import CustomerNotOnboardingError, complete_onboarding, record_failure

NOW = "2026-01-02T03:04:05.000Z"
PROVISIONED = {"tenant": {"tenantId": "acme", "storagePrefix": "tenants/acme/"}}


def _complete(aws, correlation_id="req-1", welcome="SENT"):
    return complete_onboarding(
        table_name="customers",
        customer_id="acme",
        correlation_id=correlation_id,
        provisioned=PROVISIONED,
        welcome_email_status=welcome,
        now=NOW,
        dynamodb=aws.dynamodb,
    )


def _fail(aws, *, attempt=1, correlation_id="req-1", cause="boom"):
    return record_failure(
        table_name="customers",
        customer_id="acme",
        correlation_id=correlation_id,
        attempt=attempt,
        error="TenantUnavailable",
        cause=cause,
        now=NOW,
        dynamodb=aws.dynamodb,
    )


def test_completing_marks_active_keeps_what_was_provisioned_and_counts_once(aws):
    # GIVEN a customer being onboarded by request req-1
    aws.put_customer("acme", status="ONBOARDING", correlationId="req-1", attempt=1)

    # WHEN the step runs, then is retried
    first, retried = _complete(aws), _complete(aws)

    # THEN the record is ACTIVE with what was provisioned, and only the first call made the change
    assert first.output == {
        "correlationId": "req-1",
        "customerId": "acme",
        "status": "ACTIVE",
        "provisioned": PROVISIONED,
        "welcomeEmail": {"status": "SENT"},
    }
    assert (first.changed, retried.changed) == (True, False)
    assert retried.output == first.output
    record = aws.customer("acme")
    assert (record["status"], record["activatedAt"], record["welcomeEmailStatus"]) == ("ACTIVE", NOW, "SENT")
    assert json.loads(record["provisioned"]) == PROVISIONED


def test_an_unsent_welcome_email_is_recorded_pending_on_the_active_customer(aws):
    # GIVEN a customer being onboarded whose welcome email could not be sent
    aws.put_customer("acme", status="ONBOARDING", correlationId="req-1", attempt=1)

    # WHEN the customer is marked active
    done = _complete(aws, welcome="PENDING")

    # THEN the customer is ACTIVE, and the record says the welcome email is still to be sent
    assert (done.output["status"], done.output["welcomeEmail"]) == ("ACTIVE", {"status": "PENDING"})
    record = aws.customer("acme")
    assert (record["status"], record["welcomeEmailStatus"]) == ("ACTIVE", "PENDING")


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            {"status": "ONBOARDING", "correlationId": "req-2"},
            r"^customer \[acme\] cannot become active for request \[req-1\]: the record has status "
            r"\[ONBOARDING\], request \[req-2\]$",
        ),
        (
            {"status": "ONBOARDING_FAILED", "correlationId": "req-1"},
            r"the record has status \[ONBOARDING_FAILED\], request \[req-1\]$",
        ),
        (None, r"the record has status \[missing\], request \[nobody\]$"),
    ],
)
def test_completing_a_record_that_is_not_onboarding_for_this_request_is_refused(aws, record, message):
    if record is not None:
        aws.put_customer("acme", attempt=1, **record)
    with pytest.raises(CustomerNotOnboardingError, match=message):
        _complete(aws)


def test_recording_a_failure_keeps_why_moves_to_the_next_attempt_and_counts_once(aws):
    # GIVEN a customer being onboarded, attempt 1
    aws.put_customer("acme", status="ONBOARDING", correlationId="req-1", attempt=1)

    # WHEN the failure is recorded, then the step is retried
    first, retried = _fail(aws), _fail(aws)

    # THEN the record says why, the next run will be attempt 2, and only the first call counted
    assert first.output == {"customerId": "acme", "status": "ONBOARDING_FAILED", "error": "TenantUnavailable"}
    assert (first.changed, retried.changed) == (True, False)
    record = aws.customer("acme")
    assert {k: record[k] for k in ("status", "failureError", "failureCause", "failedAt", "attempt")} == {
        "status": "ONBOARDING_FAILED",
        "failureError": "TenantUnavailable",
        "failureCause": "boom",
        "failedAt": NOW,
        "attempt": "2",
    }


def test_a_long_cause_is_cut_to_keep_the_record_small(aws):
    aws.put_customer("acme", status="ONBOARDING", correlationId="req-1", attempt=1)
    _fail(aws, cause="x" * 10_000)
    assert len(aws.customer("acme")["failureCause"]) == 4000


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            {"status": "ACTIVE", "correlationId": "req-1", "attempt": 1},
            r"status \[ACTIVE\], request \[req-1\]$",
        ),
        (
            {"status": "ONBOARDING", "correlationId": "req-2", "attempt": 1},
            r"status \[ONBOARDING\], request \[req-2\]$",
        ),
        # Attempt 1's failure was recorded, then attempt 2 failed too: attempt 1 is not recorded again.
        (
            {"status": "ONBOARDING_FAILED", "correlationId": "req-1", "attempt": 3},
            r"status \[ONBOARDING_FAILED\], request \[req-1\]$",
        ),
    ],
)
def test_recording_a_failure_on_a_record_this_attempt_does_not_own_is_refused(aws, record, message):
    aws.put_customer("acme", **record)
    with pytest.raises(CustomerNotOnboardingError, match=rf"attempt \[1\]: the record has {message}"):
        _fail(aws)
