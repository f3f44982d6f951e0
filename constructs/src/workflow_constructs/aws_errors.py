"""What Step Functions really raises, per integration: the one table retry presets and tests read.

Sources (AWS's documentation, read 2026-12):

- AWS SDK integrations: the error is ``<Service>.<ErrorName>``, both PascalCase, with ``Exception``
  appended when the name lacks it (``S3.BucketAlreadyExists`` -> ``S3.BucketAlreadyExistsException``).
  An error code the service's SDK model does not declare arrives as the SDK's generic class for the
  service (``CloudFormation.CloudFormationException``, ``S3.S3Exception``, ``Sfn.SfnException``), the
  code only in the Cause. https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
- Optimized integrations name errors after the service's Java SDK exception classes (``DynamoDB.``,
  ``SNS.``, ``SQS.``, ``StepFunctions.``); ``events:putEvents`` raises ``EventBridge.FailedEntry`` when an
  entry is refused (``FailedEntryCount`` > 0). https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html
  https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html
- Per-service codes: DynamoDB
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html ;
  CloudFormation ``Throttling`` ("Rate exceeded") and ``ValidationError`` are common errors, not modelled:
  https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/CommonErrors.html ;
  S3 ``SlowDown``/``InternalError`` https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html ;
  SES v2 ``TooManyRequestsException``
  https://docs.aws.amazon.com/ses/latest/APIReference-V2/CommonErrors.html ;
  SNS ``Throttled``/``KMSThrottling``/``InternalError``
  https://docs.aws.amazon.com/sns/latest/api/API_Publish.html .

Where only the generic class carries throttling (CloudFormation, S3, Sfn, IAM, Secrets Manager), a
Retry on that name would retry permanent failures too (a missing stack is the same class as a
throttled call). The presets therefore never list a generic class; a workflow that must survive
throttling there tells the two apart by the Cause (:data:`THROTTLING_CAUSE_PATTERN`), as the stack
deployment workflow does.
"""

from __future__ import annotations

from dataclasses import dataclass

THROTTLING_CAUSE_PATTERN = r"Rate exceeded|Throttl|SlowDown|TooManyRequests"
"""Matches the Cause of a throttled call whose error is a generic class (a JavaScript regex body)."""


@dataclass(frozen=True)
class IntegrationErrors:
    """What one integration raises.

    ``transient``: names that always mean "try again" (throttling, internal errors), safe to Retry.
    ``throttled``: the name a throttled call really carries, with ``throttled_cause`` (what fault
    injection and the local cloud raise). ``generic``: the class for unmodelled codes, or None.
    ``permanent``: a failure that retrying does not fix.
    """

    prefix: str
    transient: tuple[str, ...]
    throttled: str
    throttled_cause: str
    permanent: str
    generic: str | None = None

    @property
    def throttling_is_generic(self) -> bool:
        """Whether a throttled call carries only the generic class (tell it apart by its Cause)."""
        return self.throttled == self.generic


def _sdk(
    prefix: str,
    *,
    transient: tuple[str, ...] = (),
    throttled_code: str,
    throttled_message: str = "Rate exceeded",
    permanent: str,
) -> IntegrationErrors:
    generic = f"{prefix}.{prefix}Exception"
    named = f"{prefix}.{throttled_code}"
    if not named.endswith("Exception"):
        named += "Exception"
    modelled = named in transient
    return IntegrationErrors(
        prefix=prefix,
        transient=transient,
        throttled=named if modelled else generic,
        throttled_cause=(
            f"{throttled_message} (Service: {prefix}, Status Code: 400, Error Code: {throttled_code})"
        ),
        permanent=permanent,
        generic=generic,
    )


OPTIMIZED: dict[str, IntegrationErrors] = {
    # https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
    "lambda": IntegrationErrors(
        prefix="Lambda",
        transient=(
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException",
            "Lambda.ClientExecutionTimeoutException",
        ),
        throttled="Lambda.TooManyRequestsException",
        throttled_cause="Rate Exceeded. "
        "(Service: AWSLambda, Status Code: 429, Error Code: TooManyRequestsException)",
        permanent="Lambda.ResourceNotFoundException",
        generic="Lambda.AWSLambdaException",
    ),
    "dynamodb": IntegrationErrors(
        prefix="DynamoDB",
        transient=(
            "DynamoDB.ProvisionedThroughputExceededException",
            "DynamoDB.RequestLimitExceededException",
            "DynamoDB.ThrottlingException",
            "DynamoDB.InternalServerErrorException",
        ),
        throttled="DynamoDB.ProvisionedThroughputExceededException",
        throttled_cause="The level of configured provisioned throughput for the table was exceeded. "
        "(Service: DynamoDb, Status Code: 400, Error Code: ProvisionedThroughputExceededException)",
        permanent="DynamoDB.ConditionalCheckFailedException",
        generic="DynamoDB.AmazonDynamoDBException",
    ),
    "sns": IntegrationErrors(
        prefix="SNS",
        transient=("SNS.ThrottledException", "SNS.KMSThrottlingException", "SNS.InternalErrorException"),
        throttled="SNS.ThrottledException",
        throttled_cause="Rate exceeded (Service: Sns, Status Code: 400, Error Code: Throttled)",
        permanent="SNS.InvalidParameterException",
    ),
    "sqs": IntegrationErrors(
        prefix="SQS",
        transient=("SQS.RequestThrottledException", "SQS.KmsThrottledException"),
        throttled="SQS.RequestThrottledException",
        throttled_cause="Request is throttled. "
        "(Service: Sqs, Status Code: 400, Error Code: RequestThrottled)",
        permanent="SQS.InvalidMessageContentsException",
        generic="SQS.AmazonSQSException",
    ),
    "events": IntegrationErrors(
        prefix="EventBridge",
        # A refused entry is how a throttled entry surfaces (ErrorCode ThrottlingException inside the
        # response): the tasks put one entry each, so putting it again duplicates nothing.
        transient=("EventBridge.FailedEntry", "EventBridge.InternalException"),
        throttled="EventBridge.FailedEntry",
        throttled_cause='{"Entries":[{"ErrorCode":"ThrottlingException","ErrorMessage":"Rate exceeded"}],'
        '"FailedEntryCount":1}',
        permanent="EventBridge.ResourceNotFoundException",
    ),
    "states": IntegrationErrors(
        prefix="StepFunctions",
        transient=("StepFunctions.ThrottlingException", "StepFunctions.ExecutionLimitExceededException"),
        throttled="StepFunctions.ThrottlingException",
        throttled_cause="Rate exceeded "
        "(Service: AWSStepFunctions, Status Code: 400, Error Code: ThrottlingException)",
        permanent="StepFunctions.StateMachineDoesNotExistException",
    ),
}
"""Optimized integrations by the service part of their resource ARN (``arn:aws:states:::sns:publish``)."""

SDK: dict[str, IntegrationErrors] = {
    "cloudformation": _sdk(
        "CloudFormation", throttled_code="Throttling", permanent="CloudFormation.CloudFormationException"
    ),
    "s3": _sdk(
        "S3",
        throttled_code="SlowDown",
        throttled_message="Please reduce your request rate.",
        permanent="S3.NoSuchKeyException",
    ),
    "sfn": _sdk("Sfn", throttled_code="ThrottlingException", permanent="Sfn.ExecutionDoesNotExistException"),
    "iam": _sdk(
        "Iam",
        transient=("Iam.ServiceFailureException",),
        throttled_code="Throttling",
        permanent="Iam.NoSuchEntityException",
    ),
    "secretsmanager": _sdk(
        "SecretsManager",
        transient=("SecretsManager.InternalServiceErrorException",),
        throttled_code="ThrottlingException",
        permanent="SecretsManager.ResourceNotFoundException",
    ),
    "sesv2": _sdk(
        "SesV2",
        transient=("SesV2.TooManyRequestsException",),
        throttled_code="TooManyRequestsException",
        throttled_message="Too Many Requests",
        permanent="SesV2.MessageRejectedException",
    ),
    "dynamodb": _sdk(
        "DynamoDb",
        transient=(
            "DynamoDb.ProvisionedThroughputExceededException",
            "DynamoDb.RequestLimitExceededException",
            "DynamoDb.ThrottlingException",
            "DynamoDb.InternalServerErrorException",
        ),
        throttled_code="ProvisionedThroughputExceededException",
        permanent="DynamoDb.ConditionalCheckFailedException",
    ),
    "sns": _sdk(
        "Sns",
        transient=("Sns.ThrottledException", "Sns.KmsThrottlingException", "Sns.InternalErrorException"),
        throttled_code="Throttled",
        permanent="Sns.NotFoundException",
    ),
    "sqs": _sdk(
        "Sqs",
        transient=("Sqs.RequestThrottledException", "Sqs.KmsThrottledException"),
        throttled_code="RequestThrottled",
        permanent="Sqs.QueueDoesNotExistException",
    ),
    "eventbridge": _sdk(
        "EventBridge",
        transient=("EventBridge.InternalException",),
        throttled_code="ThrottlingException",
        permanent="EventBridge.ResourceNotFoundException",
    ),
    # https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
    "ssm": _sdk(
        "Ssm",
        transient=("Ssm.InternalServerErrorException", "Ssm.TooManyUpdatesException"),
        throttled_code="ThrottlingException",
        permanent="Ssm.ParameterNotFoundException",
    ),
    "apigateway": _sdk(
        "ApiGateway",
        transient=("ApiGateway.TooManyRequestsException",),
        throttled_code="TooManyRequestsException",
        permanent="ApiGateway.NotFoundException",
    ),
}
"""AWS SDK integrations by service (``arn:aws:states:::aws-sdk:<service>:<action>``)."""


def for_sdk_service(service: str) -> IntegrationErrors | None:
    """The table entry of an AWS SDK integration's service, or None when not tabled."""
    return SDK.get(service.lower())


def for_resource(resource: str) -> IntegrationErrors | None:
    """The table entry for a Task's ``Resource`` ARN (SDK or optimized), None for Lambda and the rest.

    Example: ``for_resource("arn:aws:states:::aws-sdk:cloudformation:describeStacks").generic`` is
    ``"CloudFormation.CloudFormationException"``.
    """
    marker = ":states:::"  # arn:aws:states::: or, from a template, arn:${AWS::Partition}:states:::
    if marker not in resource:
        return None
    tail = resource.split(marker, 1)[1]
    if tail.startswith("aws-sdk:"):
        return for_sdk_service(tail.split(":")[1])
    return OPTIMIZED.get(tail.split(":")[0])
