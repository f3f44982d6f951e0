"""Task factories: every step a workflow needs, named for what it does, retried by default.

Each factory takes the scope, the state name (a phrase: "Send welcome email"), the few arguments
that matter for that step, and passes any other CDK task property through unchanged. Each applies
the retry preset of its service unless ``retry=`` says otherwise; ``retry=NoRetry(reason=...)`` is
the only way to have none. Direct service integrations are preferred to Lambda wherever no custom
logic is needed.

Example::

    record = tasks.dynamodb_put_item(
        self, "Record customer as onboarding", table=table,
        item={"pk": tasks.ddb_string(sfn.JsonPath.string_at("$.customer.id"))},
        condition_expression="attribute_not_exists(pk)",
    )
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from constructs import Construct
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.naming import state_name_problem
from workflow_constructs.retry import NoRetry, Retry, RetryPolicy, apply_retry

DEFAULT_LAMBDA_TASK_TIMEOUT = Duration.seconds(60)  # a step's Lambda, not the function's own timeout
CORRELATION_ID_PATH = "$.correlationId"
"""Where every workflow keeps the correlation id in its state (and every payload carries it)."""

_Task = TypeVar("_Task", bound=sfn.TaskStateBase)


def _build(
    task_class: type[_Task],
    scope: Construct,
    name: str,
    *,
    default_retry: Sequence[RetryPolicy],
    retry: Retry | None,
    props: dict[str, Any],
) -> _Task:
    problem = state_name_problem(name)
    if problem:
        raise InvalidPropsError("name", problem, name)
    if props.get("integration_pattern") is sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN and not (
        props.get("task_timeout") or props.get("timeout")
    ):
        raise InvalidPropsError(
            "task_timeout", "is required on a callback step, or a lost callback waits for a year", None
        )
    if isinstance(retry, NoRetry):
        if props.get("comment"):
            raise InvalidPropsError(
                "comment", "cannot be combined with NoRetry (it carries the reason)", props["comment"]
            )
        props["comment"] = retry.comment
    task = task_class(scope, name, **props)
    apply_retry(task, list(default_retry) if retry is None else retry)
    return task


_READ_ACTIONS = ("get", "describe", "list", "head")
"""AWS API actions that change nothing, so repeating them is always safe."""


def ddb_string(value: str) -> tasks.DynamoAttributeValue:
    """A DynamoDB string attribute from a literal or a ``JsonPath`` expression."""
    return tasks.DynamoAttributeValue.from_string(value)


# Lambda -----------------------------------------------------------------------------------------


def invoke_lambda(
    scope: Construct,
    name: str,
    *,
    function: lambda_.IFunction,
    payload: sfn.TaskInput | None = None,
    timeout: Duration = DEFAULT_LAMBDA_TASK_TIMEOUT,
    retry: Retry | None = None,
    **props: Any,
) -> tasks.LambdaInvoke:
    """Invoke a function and use what it returns as the step's result.

    Default retry: Lambda service errors and the handler's ``TransientError``, plus
    ``States.Timeout`` (the step times out after ``timeout``, default 60 s).
    """
    props.setdefault("payload_response_only", True)
    return _build(
        tasks.LambdaInvoke,
        scope,
        name,
        default_retry=(RetryPolicy.lambda_transient(), RetryPolicy.task_timeout()),
        retry=retry,
        props={
            "lambda_function": function,
            "payload": payload,
            "retry_on_service_exceptions": False,  # replaced by our preset, which has jitter and a cap
            "task_timeout": sfn.Timeout.duration(timeout),
            **props,
        },
    )


def wait_for_callback(
    scope: Construct,
    name: str,
    *,
    function: lambda_.IFunction,
    payload: Mapping[str, Any],
    timeout: Duration,
    heartbeat: Duration | None = None,
    retry: Retry | None = None,
    **props: Any,
) -> tasks.LambdaInvoke:
    """Hand the task token to a function and pause until someone calls SendTaskSuccess/Failure.

    The token is added to the payload as ``taskToken``. ``timeout`` is required: without one a lost
    callback would hold the execution for a year. When it passes the step fails ``States.Timeout``,
    which is deliberately not retried (that would ask again); catch it to compensate.
    """
    if "taskToken" in payload:
        raise InvalidPropsError("payload", "must not set 'taskToken'; the step adds it", dict(payload))
    return _build(
        tasks.LambdaInvoke,
        scope,
        name,
        default_retry=(RetryPolicy.lambda_transient(),),
        retry=retry,
        props={
            "lambda_function": function,
            "integration_pattern": sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            "payload": sfn.TaskInput.from_object({**payload, "taskToken": sfn.JsonPath.task_token}),
            "retry_on_service_exceptions": False,
            "task_timeout": sfn.Timeout.duration(timeout),
            "heartbeat_timeout": sfn.Timeout.duration(heartbeat) if heartbeat else None,
            **props,
        },
    )


# DynamoDB ---------------------------------------------------------------------------------------


def dynamodb_put_item(
    scope: Construct,
    name: str,
    *,
    table: dynamodb.ITable,
    item: Mapping[str, tasks.DynamoAttributeValue],
    retry: Retry | None = None,
    **props: Any,
) -> tasks.DynamoPutItem:
    """Write an item. Pass ``condition_expression`` to make the write conditional (idempotent)."""
    return _build(
        tasks.DynamoPutItem,
        scope,
        name,
        default_retry=(RetryPolicy.throttling("DynamoDB"),),
        retry=retry,
        props={"table": table, "item": dict(item), **props},
    )


def dynamodb_update_item(
    scope: Construct,
    name: str,
    *,
    table: dynamodb.ITable,
    key: Mapping[str, tasks.DynamoAttributeValue],
    update_expression: str,
    retry: Retry | None = None,
    **props: Any,
) -> tasks.DynamoUpdateItem:
    """Update an item in place."""
    return _build(
        tasks.DynamoUpdateItem,
        scope,
        name,
        default_retry=(RetryPolicy.throttling("DynamoDB"),),
        retry=retry,
        props={"table": table, "key": dict(key), "update_expression": update_expression, **props},
    )


def dynamodb_get_item(
    scope: Construct,
    name: str,
    *,
    table: dynamodb.ITable,
    key: Mapping[str, tasks.DynamoAttributeValue],
    retry: Retry | None = None,
    **props: Any,
) -> tasks.DynamoGetItem:
    """Read an item (strongly consistent unless ``consistent_read=False``)."""
    props.setdefault("consistent_read", True)
    return _build(
        tasks.DynamoGetItem,
        scope,
        name,
        default_retry=(RetryPolicy.throttling("DynamoDB"),),
        retry=retry,
        props={"table": table, "key": dict(key), **props},
    )


# Messaging --------------------------------------------------------------------------------------


def publish_to_topic(
    scope: Construct,
    name: str,
    *,
    topic: sns.ITopic,
    message: sfn.TaskInput,
    retry: Retry | None = None,
    **props: Any,
) -> tasks.SnsPublish:
    """Publish to an SNS topic."""
    return _build(
        tasks.SnsPublish,
        scope,
        name,
        default_retry=(RetryPolicy.throttling("SNS"),),
        retry=retry,
        props={"topic": topic, "message": message, **props},
    )


def send_message(
    scope: Construct,
    name: str,
    *,
    queue: sqs.IQueue,
    message_body: sfn.TaskInput,
    retry: Retry | None = None,
    **props: Any,
) -> tasks.SqsSendMessage:
    """Send a message to an SQS queue."""
    return _build(
        tasks.SqsSendMessage,
        scope,
        name,
        default_retry=(RetryPolicy.throttling("SQS"),),
        retry=retry,
        props={"queue": queue, "message_body": message_body, **props},
    )


def put_events(
    scope: Construct,
    name: str,
    *,
    entries: Sequence[tasks.EventBridgePutEventsEntry],
    retry: Retry | None = None,
    **props: Any,
) -> tasks.EventBridgePutEvents:
    """Put events on an EventBridge bus."""
    return _build(
        tasks.EventBridgePutEvents,
        scope,
        name,
        default_retry=(RetryPolicy.throttling("EventBridge"),),
        retry=retry,
        props={"entries": list(entries), **props},
    )


def send_email(
    scope: Construct,
    name: str,
    *,
    from_address: str,
    to_address_path: str,
    template_name: str,
    template_data: sfn.TaskInput | str,
    identity_arn: str,
    template_arn: str,
    retry: Retry | None = None,
    **props: Any,
) -> tasks.CallAwsService:
    """Send a templated email through SES v2 (a direct integration, no Lambda).

    ``to_address_path`` is a JSONPath (``$.customer.email``); ``template_data`` is a JSON string or
    a ``States.JsonToString(...)`` expression. The IAM policy is scoped to the identity and template.
    Make it idempotent by writing an "email sent" mark conditionally before this step.
    """
    data = template_data.value if isinstance(template_data, sfn.TaskInput) else template_data
    return aws_sdk_call(
        scope,
        name,
        service="sesv2",
        action="sendEmail",
        parameters={
            "FromEmailAddress": from_address,
            "Destination": {"ToAddresses": sfn.JsonPath.array(sfn.JsonPath.string_at(to_address_path))},
            "Content": {"Template": {"TemplateName": template_name, "TemplateData": data}},
        },
        iam_resources=[identity_arn, template_arn],
        iam_action="ses:SendEmail",
        retry=retry,
        **props,
    )


# Workflows and the SDK --------------------------------------------------------------------------


def start_workflow(
    scope: Construct,
    name: str,
    *,
    state_machine: sfn.IStateMachine,
    input: Mapping[str, Any],
    execution_name: str | None = None,
    retry: Retry | None = None,
    **props: Any,
) -> tasks.StepFunctionsStartExecution:
    """Start another workflow and wait for it to finish (``.sync:2``), output parsed as JSON.

    The correlation id of this execution (``$.correlationId``) is always passed on, and the child
    is linked to its parent in the console. ``execution_name`` is a JSONPath/intrinsic expression
    for the child's name; a deterministic one makes a re-run find the same child.
    """
    if "correlationId" in input or "correlationId.$" in input:
        raise InvalidPropsError(
            "input", "must not set correlationId; it is passed on from this execution", dict(input)
        )
    return _build(
        tasks.StepFunctionsStartExecution,
        scope,
        name,
        default_retry=(RetryPolicy.throttling("StepFunctions"),),
        retry=retry,
        props={
            "state_machine": state_machine,
            "integration_pattern": sfn.IntegrationPattern.RUN_JOB,
            "input": sfn.TaskInput.from_object(
                {**input, "correlationId": sfn.JsonPath.string_at(CORRELATION_ID_PATH)}
            ),
            "associate_with_parent": True,
            "name": execution_name,
            **props,
        },
    )


def aws_sdk_call(
    scope: Construct,
    name: str,
    *,
    service: str,
    action: str,
    parameters: Mapping[str, Any],
    iam_resources: Sequence[str],
    iam_action: str | None = None,
    additional_iam_statements: Sequence[iam.PolicyStatement] | None = None,
    retry: Retry | None = None,
    idempotent: bool | None = None,
    **props: Any,
) -> tasks.CallAwsService:
    """Call any AWS API (``arn:aws:states:::aws-sdk:<service>:<action>``), scoped to ``iam_resources``.

    Default retry: the transient errors the service models (:meth:`RetryPolicy.sdk_transient`),
    plus its generic class when the call is ``idempotent`` (default: the action is a read,
    ``get*``/``describe*``/``list*``/``head*``). A call that can be retried on nothing safely must
    say what to do with ``retry=``.
    """
    if not iam_resources or "*" in iam_resources:
        raise InvalidPropsError(
            "iam_resources", "must list the resources the call touches, not '*'", list(iam_resources)
        )
    if idempotent is None:
        idempotent = action.startswith(_READ_ACTIONS)
    preset = RetryPolicy.sdk_transient(service, idempotent=idempotent)
    if retry is None and preset is None:
        raise InvalidPropsError(
            "retry",
            f"must be given: {service} models no transient error and {action} is not idempotent, so "
            "throttling arrives as the generic class with permanent failures (pass idempotent=True "
            "if repeating the call is harmless, or retry=NoRetry(reason=...) and handle it)",
            None,
        )
    return _build(
        tasks.CallAwsService,
        scope,
        name,
        default_retry=() if preset is None else (preset,),
        retry=retry,
        props={
            "service": service,
            "action": action,
            "parameters": dict(parameters),
            "iam_resources": list(iam_resources),
            "iam_action": iam_action,
            "additional_iam_statements": list(additional_iam_statements or []),
            **props,
        },
    )
