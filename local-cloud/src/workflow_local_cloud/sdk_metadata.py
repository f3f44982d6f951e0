"""Optimized integrations answer with the HTTP metadata AWS adds (patch "sfn-sdk-http-metadata").

What AWS does: the request-response form of an optimized integration returns the service's
response plus the two fields the Java SDK attaches to every result, as the developer guide's
examples show (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html for
``lambda:invoke``; the DynamoDB, SQS, SNS and nested-execution pages the same)::

    "SdkHttpMetadata": {
        "AllHttpHeaders": {"x-amzn-RequestId": ["..."], "Content-Type": ["..."], ...},
        "HttpHeaders": {"x-amzn-RequestId": "...", "Content-Type": "...", ...},
        "HttpStatusCode": 200
    },
    "SdkResponseMetadata": {"RequestId": "..."}

``AllHttpHeaders`` lists every value of a header, ``HttpHeaders`` the last one. The integrations
that do so: ``lambda:invoke``, ``dynamodb:getItem|putItem|updateItem|deleteItem``,
``sqs:sendMessage``, ``sns:publish`` and ``states:startExecution``. With ``.waitForTaskToken``
the call's answer (the ``TaskSubmitted`` event's output) carries them and the task's result is
the callback's output; with ``.sync`` the result is the child's description. Not these:
``events:putEvents`` (``Entries`` and ``FailedEntryCount`` only), ``aws-sdk:*`` (the SDK response
only), and a Lambda function ARN as the resource (the function's payload only).

What moto 5.2.5 does: every integration drops boto's ``ResponseMetadata`` and returns the
response without either field, so a ``ResultSelector`` or JSONata reading
``$.SdkHttpMetadata.HttpStatusCode`` fails locally and works on AWS.

Here: each integration's boto client records the HTTP response it got (status, headers as the
local server sent them, request id) and the request-response result gains both fields. The
header names and values are the local server's, not AWS's front end's (no ``x-amz-crc32``, a
different ``Server``); the status code and the request id are the real ones of the call.

A second patch here, "lambda-executed-version": Lambda's Invoke answers with the
``X-Amz-Executed-Version`` header (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html),
which boto reads as ``ExecutedVersion``; moto 5.2.5 omits it, so ``lambda:invoke``'s result
lacked the ``"ExecutedVersion": "$LATEST"`` the developer guide shows.
"""

from __future__ import annotations

import threading
from typing import Any

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

PATCH_NAME = "sfn-sdk-http-metadata"
METADATA_MARK = "_local_cloud_sdk_metadata"

WITH_METADATA: tuple[tuple[str, str], ...] = (
    ("state_task_service_dynamodb", "StateTaskServiceDynamoDB"),
    ("state_task_service_sqs", "StateTaskServiceSqs"),
    ("state_task_service_sns", "StateTaskServiceSns"),
    ("state_task_service_sfn", "StateTaskServiceSfn"),
    ("state_task_service_lambda", "StateTaskServiceLambda"),
)
"""(module, class) of the integrations whose request-response result carries the metadata."""

_CLIENT_MODULES: tuple[str, ...] = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sns",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
)
"""Modules whose ``boto_client_for`` makes the clients of those integrations."""

_last = threading.local()  # the HTTP response of the integration call running on this thread


def sdk_http_metadata(status: int, headers: list[tuple[str, str]], request_id: str) -> dict[str, Any]:
    """The two fields AWS adds to a result, from one HTTP response.

    Example: ``sdk_http_metadata(200, [("Content-Type", "application/json")], "r-1")`` is
    ``{"SdkHttpMetadata": {"AllHttpHeaders": {"Content-Type": ["application/json"]},
    "HttpHeaders": {"Content-Type": "application/json"}, "HttpStatusCode": 200},
    "SdkResponseMetadata": {"RequestId": "r-1"}}``.
    """
    every: dict[str, list[str]] = {}
    for name, value in headers:
        every.setdefault(name, []).append(value)
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": every,
            "HttpHeaders": {name: values[-1] for name, values in every.items()},
            "HttpStatusCode": status,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
    }


def _record_response(http_response: Any = None, parsed: Any = None, **_: Any) -> None:
    raw = getattr(http_response, "raw", None)
    raw_headers = getattr(raw, "headers", None)
    if raw_headers is not None and hasattr(raw_headers, "items"):
        headers = [(str(name), str(value)) for name, value in raw_headers.items()]
    else:
        headers = [(str(name), str(value)) for name, value in dict(http_response.headers).items()]
    request_id = ""
    if isinstance(parsed, dict):
        request_id = str(parsed.get("ResponseMetadata", {}).get("RequestId", ""))
    _last.response = (int(http_response.status_code), headers, request_id)


def _modules() -> list[Any]:
    import importlib

    return [importlib.import_module(name) for name in _CLIENT_MODULES]


def _classes() -> list[type]:
    return [getattr(_service_module(module), name) for module, name in WITH_METADATA]


def _check() -> None:
    _require_version(PATCH_NAME)
    from moto.stepfunctions.parser.asl.utils import boto_client

    for module in _modules():
        _require(
            getattr(module, "boto_client_for", None) is not None,
            PATCH_NAME,
            f"{module.__name__} no longer makes its clients with boto_client_for",
        )
    _require_parameters(PATCH_NAME, boto_client.boto_client_for, ("region", "service", "state_credentials"))
    for cls in _classes():
        _require(
            "_eval_service_task" in cls.__dict__, PATCH_NAME, f"{cls.__name__} has no _eval_service_task"
        )
        _require_parameters(
            PATCH_NAME,
            cls.__dict__["_eval_service_task"],
            ("self", "env", "resource_runtime_part", "normalised_parameters", "state_credentials"),
        )


def _apply() -> None:
    for module in _modules():
        original_client_for = module.boto_client_for
        if getattr(original_client_for, METADATA_MARK, False):
            continue

        def boto_client_for(
            region: str, service: str, state_credentials: Any = None, _original: Any = original_client_for
        ) -> Any:
            client = _original(region=region, service=service, state_credentials=state_credentials)
            client.meta.events.register("after-call.*.*", _record_response)
            return client

        _mark(boto_client_for, original_client_for)
        setattr(boto_client_for, METADATA_MARK, True)
        _replace(module, "boto_client_for", boto_client_for)

    for cls in _classes():
        original = cls.__dict__["_eval_service_task"]
        if getattr(original, METADATA_MARK, False):
            continue

        def _eval_service_task(
            self: Any,
            env: Any,
            resource_runtime_part: Any,
            normalised_parameters: dict[str, Any],
            state_credentials: Any,
            _original: Any = original,
        ) -> None:
            _last.response = None
            _original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
            answered = _last.response
            _last.response = None
            if answered is None or not env.stack:
                return
            if isinstance(env.stack[-1], dict):
                env.stack[-1].update(sdk_http_metadata(*answered))

        _mark(_eval_service_task, original)
        setattr(_eval_service_task, METADATA_MARK, True)
        _replace(cls, "_eval_service_task", _eval_service_task)


def _verify() -> None:
    _require_replaced(PATCH_NAME, *(module.boto_client_for for module in _modules()))
    _require_replaced(PATCH_NAME, *(cls.__dict__["_eval_service_task"] for cls in _classes()))
    from types import SimpleNamespace

    client = _modules()[0].boto_client_for(region="us-east-1", service="sqs")
    answer = SimpleNamespace(
        status_code=200, headers={}, raw=SimpleNamespace(headers={"x-amzn-RequestId": "r"})
    )
    _last.response = None
    client.meta.events.emit(
        "after-call.canary.Probe", http_response=answer, parsed={"ResponseMetadata": {"RequestId": "r"}}
    )
    recorded, _last.response = _last.response, None
    _require(
        recorded == (200, [("x-amzn-RequestId", "r")], "r"),
        PATCH_NAME,
        f"an integration's client does not record its HTTP response (recorded {recorded})",
    )
    shaped = sdk_http_metadata(200, [("x-amzn-RequestId", "r"), ("Vary", "a"), ("Vary", "b")], "r")
    _require(
        shaped["SdkHttpMetadata"]["AllHttpHeaders"]["Vary"] == ["a", "b"]
        and shaped["SdkHttpMetadata"]["HttpHeaders"]["Vary"] == "b"
        and shaped["SdkResponseMetadata"] == {"RequestId": "r"},
        PATCH_NAME,
        f"the metadata is not shaped as AWS's: {shaped}",
    )


# Lambda's Invoke names the version that ran ----------------------------------------------------------

EXECUTED_VERSION = "lambda-executed-version"


def _check_executed_version() -> None:
    from moto.awslambda.models import LambdaBackend

    _require_parameters(
        EXECUTED_VERSION,
        LambdaBackend.invoke,
        ("self", "function_name", "qualifier", "body", "headers", "response_headers"),
    )
    _require(hasattr(LambdaBackend, "get_function"), EXECUTED_VERSION, "LambdaBackend.get_function is gone")


def _apply_executed_version() -> None:
    from moto.awslambda.models import LambdaBackend

    original = LambdaBackend.invoke
    if getattr(original, "_local_cloud", False):
        return

    def invoke(
        self: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> Any:
        payload = original(self, function_name, qualifier, body, headers, response_headers)
        # AWS answers every invocation with the version that ran ($LATEST when unqualified); boto
        # reads it as ExecutedVersion, which lambda:invoke's result carries.
        response_headers["X-Amz-Executed-Version"] = str(self.get_function(function_name, qualifier).version)
        return payload

    _mark(invoke, original)
    _replace(LambdaBackend, "invoke", invoke)


def _verify_executed_version() -> None:
    from moto.awslambda.models import LambdaBackend

    _require_replaced(EXECUTED_VERSION, LambdaBackend.invoke)


PATCHES: tuple[Patch, ...] = (
    Patch(
        EXECUTED_VERSION,
        "moto's Lambda Invoke omits X-Amz-Executed-Version, so lambda:invoke's result lacks the "
        "ExecutedVersion AWS documents.",
        _check_executed_version,
        _apply_executed_version,
        _verify_executed_version,
    ),
    Patch(
        PATCH_NAME,
        "moto drops SdkHttpMetadata/SdkResponseMetadata from optimized integrations' results; AWS "
        "returns them, and ResultSelectors read the HTTP status from them.",
        _check,
        _apply,
        _verify,
    ),
)
