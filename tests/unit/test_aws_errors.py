"""The error-name table: what Step Functions raises per integration."""

from __future__ import annotations

import pytest
from workflow_constructs import aws_errors


@pytest.mark.parametrize(
    ("resource", "throttled", "generic"),
    [
        (
            "arn:aws:states:::aws-sdk:cloudformation:describeStacks",
            "CloudFormation.CloudFormationException",
            "CloudFormation.CloudFormationException",
        ),
        ("arn:${AWS::Partition}:states:::aws-sdk:s3:putObject", "S3.S3Exception", "S3.S3Exception"),
        ("arn:aws:states:::aws-sdk:sfn:describeExecution", "Sfn.SfnException", "Sfn.SfnException"),
        (
            "arn:aws:states:::aws-sdk:sesv2:sendEmail",
            "SesV2.TooManyRequestsException",
            "SesV2.SesV2Exception",
        ),
        (
            "arn:aws:states:::dynamodb:putItem",
            "DynamoDB.ProvisionedThroughputExceededException",
            "DynamoDB.AmazonDynamoDBException",
        ),
        ("arn:aws:states:::events:putEvents", "EventBridge.FailedEntry", None),
        ("arn:aws:states:::sns:publish.waitForTaskToken", "SNS.ThrottledException", None),
        ("arn:aws:states:::lambda:invoke", "Lambda.TooManyRequestsException", "Lambda.AWSLambdaException"),
    ],
)
def test_a_resource_finds_what_its_throttled_call_raises(resource, throttled, generic):
    entry = aws_errors.for_resource(resource)
    assert entry is not None
    assert (entry.throttled, entry.generic) == (throttled, generic)


def test_unmodelled_throttling_is_the_generic_class_with_the_code_in_the_cause():
    entry = aws_errors.SDK["cloudformation"]
    assert entry.throttling_is_generic
    assert entry.transient == ()
    assert entry.throttled_cause.startswith("Rate exceeded (Service: CloudFormation")
    assert "Error Code: Throttling" in entry.throttled_cause


def test_every_name_follows_the_exception_suffix_rule():
    # https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
    for entry in (*aws_errors.SDK.values(), *aws_errors.OPTIMIZED.values()):
        names = (
            *entry.transient,
            entry.throttled,
            entry.permanent,
            *([entry.generic] if entry.generic else []),
        )
        for name in names:
            assert name.startswith(entry.prefix + ".")
            assert name.endswith("Exception") or name == "EventBridge.FailedEntry", name


def test_unknown_resources_are_not_tabled():
    assert aws_errors.for_resource("arn:aws:states:::aws-sdk:kinesis:putRecord") is None
    assert aws_errors.for_resource("not an arn") is None
