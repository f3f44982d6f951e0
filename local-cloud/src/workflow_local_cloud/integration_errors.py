"""Optimized integrations fail with the error names Step Functions gives (patch "sfn-optimized-error-names").

Step Functions names an optimized integration's failure after the service's Java SDK exception
class: ``<Prefix>.<ErrorShape>`` with ``Exception`` appended when the shape's name lacks it
(``SQS.QueueDoesNotExistException``, ``DynamoDB.RequestLimitExceededException``), and an error
code the service's model does not declare arrives as the SDK's generic class
(``DynamoDB.AmazonDynamoDBException`` for a ``ValidationException``), the code only in the Cause.
https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html
https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html

moto 5.2.5 gets this wrong in several ways: ``SQS.SdkClientException`` for every SQS failure,
``DynamoDB.<code>`` without the suffix (``DynamoDB.RequestLimitExceeded``) and for unmodelled
codes, ``States.Runtime`` for an EventBridge call that fails, ``StepFunctions.<code>Exception``
even when the code already ends in ``Exception``. Here a service's error code is looked up in
botocore's model of the service (the same model the Java SDK is generated from); the table of
``workflow_constructs.aws_errors`` decides the prefix and the generic class, so the local cloud and
the retry presets read one source.

Registered in ``patches.PATCHES`` after "sfn-task-errors": the replacement handles the service's
``ClientError`` only and hands every other exception to what it wraps.
"""

from __future__ import annotations

import functools
from typing import Any

from workflow_constructs import aws_errors

from workflow_local_cloud.patches import (
    Patch,
    _mark,
    _replace,
    _require,
    _require_parameters,
    _require_replaced,
    _require_version,
    _service_module,
)

PATCH_NAME = "sfn-optimized-error-names"
ERROR_NAMES_MARK = "_local_cloud_error_names"


# (module, class) of moto's optimized integrations -> (key of aws_errors.OPTIMIZED, botocore service,
# service name in the Cause, generic class when the table names none).
INTEGRATIONS: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("state_task_service_dynamodb", "StateTaskServiceDynamoDB"): (
        "dynamodb",
        "dynamodb",
        "AmazonDynamoDBv2",
        "DynamoDB.AmazonDynamoDBException",
    ),
    ("state_task_service_sqs", "StateTaskServiceSqs"): ("sqs", "sqs", "AmazonSQS", "SQS.AmazonSQSException"),
    ("state_task_service_sns", "StateTaskServiceSns"): ("sns", "sns", "AmazonSNS", "SNS.AmazonSNSException"),
    ("state_task_service_events", "StateTaskServiceEvents"): (
        "events",
        "events",
        "AmazonEventBridge",
        "EventBridge.AmazonEventBridgeException",
    ),
    ("state_task_service_sfn", "StateTaskServiceSfn"): (
        "states",
        "stepfunctions",
        "AWSStepFunctions",
        "StepFunctions.AWSStepFunctionsException",
    ),
    ("state_task_service_lambda", "StateTaskServiceLambda"): (
        "lambda",
        "lambda",
        "AWSLambda",
        "Lambda.AWSLambdaException",
    ),
}
"""The generic classes are the Java SDK v1 service exceptions (``AmazonSNSException``, ...)."""


@functools.cache
def modelled_errors(botocore_service: str) -> dict[str, str]:
    """Error code -> error shape name, for every error botocore's model of the service declares.

    A shape is found by its name and, for query-protocol services (SNS), by its wire code
    (``NotFound`` -> ``NotFoundException``).
    """
    import botocore.session

    model = botocore.session.get_session().get_service_model(botocore_service)
    found: dict[str, str] = {}
    for shape in model.error_shapes:
        found[shape.name] = shape.name
        code = shape.metadata.get("error", {}).get("code")
        if code:
            found.setdefault(code, shape.name)
    return found


def _exception_name(name: str) -> str:
    return name if name.endswith("Exception") else f"{name}Exception"


def error_name(integration: str, error: dict[str, Any]) -> str:
    """The name Step Functions gives a failed call of an optimized ``integration``.

    ``integration`` is a key of :data:`aws_errors.OPTIMIZED`; ``error`` the ``Error`` of a botocore
    ``ClientError`` response. Example: ``error_name("sqs", {"Code":
    "AWS.SimpleQueueService.NonExistentQueue", "QueryErrorCode": "QueueDoesNotExist"})`` is
    ``"SQS.QueueDoesNotExistException"``.
    """
    entry = aws_errors.OPTIMIZED[integration]
    (botocore_service, generic) = next(
        (service, fallback) for key, service, _, fallback in INTEGRATIONS.values() if key == integration
    )
    tabled = {*entry.transient, entry.throttled, entry.permanent}
    modelled = modelled_errors(botocore_service)
    for code in (error.get("QueryErrorCode"), error.get("Code")):
        if not code:
            continue
        if code in modelled:
            return f"{entry.prefix}.{_exception_name(modelled[code])}"
        # The table also lists errors the service raises without declaring them (ThrottlingException).
        if f"{entry.prefix}.{_exception_name(code)}" in tabled:
            return f"{entry.prefix}.{_exception_name(code)}"
    return entry.generic or generic


def _cause(service: str, response: dict[str, Any]) -> str:
    error = response.get("Error", {})
    metadata = response.get("ResponseMetadata", {})
    details = "; ".join(
        [
            f"Service: {service}",
            f"Status Code: {metadata.get('HTTPStatusCode')}",
            f"Error Code: {error.get('QueryErrorCode') or error.get('Code')}",
            f"Request ID: {metadata.get('RequestId')}",
            "Proxy: null",
        ]
    )
    return f"{error.get('Message', '')} ({details})"


def _classes() -> list[tuple[type, str, str]]:
    """(moto class, table key, service name in the Cause) of every optimized integration patched."""
    return [
        (getattr(_service_module(module), name), key, service)
        for (module, name), (key, _, service, _) in INTEGRATIONS.items()
    ]


def _check() -> None:
    _require_version(PATCH_NAME)
    for cls, key, _ in _classes():
        _require("_from_error" in cls.__dict__, PATCH_NAME, f"{cls.__name__} no longer maps its own errors")
        _require_parameters(PATCH_NAME, cls.__dict__["_from_error"], ("self", "env", "ex"))
        _require(key in aws_errors.OPTIMIZED, PATCH_NAME, f"the error table has no integration [{key}]")
    for _, service, _, _ in INTEGRATIONS.values():
        _require(bool(modelled_errors(service)), PATCH_NAME, f"botocore models no errors of [{service}]")
    from moto.stepfunctions.parser.api import TaskFailedEventDetails

    _require(
        {"error", "cause", "resource", "resourceType"} <= set(TaskFailedEventDetails.__annotations__),
        PATCH_NAME,
        "TaskFailedEventDetails lost a field",
    )


def _apply() -> None:
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    _event_details: Any = EventDetails  # a TypedDict: one key set of its many

    for cls, key, service in _classes():
        original = cls.__dict__["_from_error"]
        if getattr(original, ERROR_NAMES_MARK, False):
            continue

        def _from_error(
            self: Any,
            env: Any,
            ex: Exception,
            _original: Any = original,
            _key: str = key,
            _service: str = service,
        ) -> Any:
            if not isinstance(ex, ClientError):
                return _original(self, env, ex)
            name = error_name(_key, dict(ex.response.get("Error", {})))
            return FailureEvent(
                env=env,
                error_name=CustomErrorName(name),
                event_type=HistoryEventType.TaskFailed,
                event_details=_event_details(
                    taskFailedEventDetails=TaskFailedEventDetails(
                        error=name,
                        cause=_cause(_service, dict(ex.response)),
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                    )
                ),
            )

        _mark(_from_error, original)
        setattr(_from_error, ERROR_NAMES_MARK, True)
        _replace(cls, "_from_error", _from_error)


def _verify() -> None:
    classes = _classes()
    _require_replaced(PATCH_NAME, *(cls.__dict__["_from_error"] for cls, _, _ in classes))
    for cls, _, _ in classes:
        _require(
            getattr(cls.__dict__["_from_error"], ERROR_NAMES_MARK, False),
            PATCH_NAME,
            f"{cls.__name__}._from_error is not the error-name replacement",
        )
    expected = {
        ("sqs", "QueueDoesNotExist"): "SQS.QueueDoesNotExistException",
        ("dynamodb", "RequestLimitExceeded"): "DynamoDB.RequestLimitExceededException",
        ("dynamodb", "ValidationException"): "DynamoDB.AmazonDynamoDBException",
        ("sns", "NotFound"): "SNS.NotFoundException",
        ("states", "ExecutionAlreadyExists"): "StepFunctions.ExecutionAlreadyExistsException",
        ("events", "ResourceNotFoundException"): "EventBridge.ResourceNotFoundException",
    }
    for (key, code), wanted in expected.items():
        got = error_name(key, {"Code": code})
        _require(got == wanted, PATCH_NAME, f"{key} error {code} is named {got!r}, expected {wanted!r}")


PATCHES: tuple[Patch, ...] = (
    Patch(
        PATCH_NAME,
        "moto names optimized-integration failures wrongly (SQS.SdkClientException for every SQS error, "
        "DynamoDB.RequestLimitExceeded, States.Runtime for EventBridge); AWS names the SDK exception class.",
        _check,
        _apply,
        _verify,
    ),
)
