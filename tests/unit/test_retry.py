"""RetryPolicy, its presets and the named opt-out."""

from __future__ import annotations

import pytest
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs import InvalidPropsError, NoRetry, RetryPolicy
from workflow_constructs.retry import LAMBDA_SERVICE_ERRORS, sdk_error_prefix


def test_default_policy_is_capped_jittered_exponential_backoff():
    policy = RetryPolicy(errors=("Any.Error",))
    assert (policy.interval_seconds, policy.backoff_rate, policy.max_attempts, policy.max_delay_seconds) == (
        2,
        2.0,
        6,
        60,
    )
    assert policy.jitter is sfn.JitterType.FULL


def test_lambda_preset_retries_service_errors_and_the_handlers_transient_error():
    assert RetryPolicy.lambda_transient().errors == (*LAMBDA_SERVICE_ERRORS, "TransientError")


def test_sdk_preset_prefixes_errors_like_step_functions_does():
    assert sdk_error_prefix("sesv2") == "SesV2"
    assert sdk_error_prefix("cloudformation") == "CloudFormation"
    assert RetryPolicy.sdk_transient("sesv2").errors[0] == "SesV2.ThrottlingException"


def test_task_timeout_preset_retries_fewer_times():
    assert RetryPolicy.task_timeout().errors == ("States.Timeout",)
    assert RetryPolicy.task_timeout().max_attempts == 3


def test_with_errors_keeps_the_timing():
    policy = RetryPolicy(errors=("A.B",), max_attempts=3).with_errors("C.D")
    assert (policy.errors, policy.max_attempts) == (("C.D",), 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"errors": ()}, r"^errors must name at least one error, none empty. Received: \[\(\)\]$"),
        ({"errors": ("States.ALL",)}, r"^errors must name transient errors; 'States.ALL' would retry"),
        ({"interval_seconds": 0}, r"^interval_seconds must be at least 1. Received: \[0\]$"),
        (
            {"backoff_rate": 1.0},
            r"^backoff_rate must be greater than 1 \(exponential backoff\). Received: \[1.0\]$",
        ),
        ({"max_attempts": 0}, r"^max_attempts must be between 1 and 99999999. Received: \[0\]$"),
        (
            {"max_delay_seconds": 1},
            r"^max_delay_seconds must be at least interval_seconds \(2\). Received: \[1\]$",
        ),
        ({"jitter": sfn.JitterType.NONE}, r"^jitter must be JitterType.FULL. Received: \["),
    ],
)
def test_invalid_policy_is_rejected_naming_the_argument(kwargs, message):
    with pytest.raises(InvalidPropsError, match=message):
        RetryPolicy(**{"errors": ("Any.Error",), **kwargs})


def test_unknown_throttling_service_is_rejected():
    with pytest.raises(InvalidPropsError, match=r"^service must be one of .*Received: \[Kinesis\]$"):
        RetryPolicy.throttling("Kinesis")


def test_no_retry_needs_a_real_reason():
    assert NoRetry(reason="the API is not idempotent").comment == "No retry: the API is not idempotent"
    with pytest.raises(InvalidPropsError, match=r"^reason must explain .*Received: \[because\]$"):
        NoRetry(reason="because")
