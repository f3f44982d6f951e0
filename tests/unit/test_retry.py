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
    assert RetryPolicy.sdk_transient("sesv2").errors == ("SesV2.TooManyRequestsException",)


def test_no_preset_lists_a_name_aws_does_not_raise_for_throttling():
    # The suffixes copied across services before (ThrottlingException, ServiceUnavailableException...)
    # never occur for CloudFormation, S3 or Sfn: a throttled call there is the generic class.
    for service in ("cloudformation", "s3", "sfn"):
        assert RetryPolicy.sdk_transient(service) is None
    assert RetryPolicy.sdk_transient("s3", idempotent=True).errors == ("S3.S3Exception",)
    assert RetryPolicy.sdk_transient("sfn", idempotent=True).errors == ("Sfn.SfnException",)
    # A service that models its throttling is retried on that name only, read or write.
    assert RetryPolicy.sdk_transient("dynamodb", idempotent=True).errors == (
        "DynamoDb.ProvisionedThroughputExceededException",
        "DynamoDb.RequestLimitExceededException",
        "DynamoDb.ThrottlingException",
        "DynamoDb.InternalServerErrorException",
    )


def test_optimized_presets_carry_the_exception_suffix_and_retry_refused_events():
    assert RetryPolicy.throttling("DynamoDB").errors == (
        "DynamoDB.ProvisionedThroughputExceededException",
        "DynamoDB.RequestLimitExceededException",
        "DynamoDB.ThrottlingException",
        "DynamoDB.InternalServerErrorException",
    )
    assert "EventBridge.FailedEntry" in RetryPolicy.throttling("EventBridge").errors
    assert RetryPolicy.throttling("SQS").errors == (
        "SQS.RequestThrottledException",
        "SQS.KmsThrottledException",
    )


@pytest.mark.parametrize("service", ["DynamoDB", "SNS", "SQS", "EventBridge", "StepFunctions"])
def test_every_optimized_preset_retries_what_a_throttled_call_really_raises(service):
    from workflow_constructs import aws_errors
    from workflow_constructs.retry import _OPTIMIZED_SERVICES

    entry = aws_errors.OPTIMIZED[_OPTIMIZED_SERVICES[service]]
    policy = RetryPolicy.throttling(service)
    assert entry.throttled in policy.errors
    assert entry.permanent not in policy.errors
    assert entry.generic is None or entry.generic not in policy.errors


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
