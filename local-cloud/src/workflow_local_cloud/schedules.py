"""EventBridge Scheduler on the local cloud: schedules from templates, and firing one on demand.

moto 5.2.5 has Scheduler's CRUD but no CloudFormation model for ``AWS::Scheduler::Schedule`` (the
stack's schedule would be skipped with a warning), and it never fires a schedule. Here:

- patch ``cfn-scheduler-schedule`` creates a template's schedule in moto's Scheduler backend (and
  deletes it with the stack), so ``GetSchedule`` answers for it as on AWS;
- :func:`fire_schedule` (the harness's ``fire_schedule``) does what Scheduler does when a schedule's
  time comes (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html,
  .../configuring-schedule-dlq.html): it replaces the context attributes in the target's input
  (``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>``,
  ``<aws.scheduler.execution-id>``, ``<aws.scheduler.attempt-number>``), checks that the schedule's
  role lets Scheduler assume it (its trust policy, with ``aws:SourceAccount`` and ``aws:SourceArn``,
  evaluated as AWS does) and calls the target: a Lambda function (invoked asynchronously, as
  Scheduler does), a state machine (``StartExecution``) or a universal target
  (``arn:aws:scheduler:::aws-sdk:<service>:<Action>``).
  When the call fails, the input goes to the schedule's dead-letter queue with Scheduler's message
  attributes (``ERROR_CODE``, ``ERROR_MESSAGE``, ``EXECUTION_ID``, ``SCHEDULE_ARN``, ``TARGET_ARN``).

Not modelled: the role's own permissions (the call is made with the local cloud's credentials, since
moto lets no caller but the service assume a role only the service may; the construct tests check the
role's policies), the clock (nothing fires by itself; a test says when), the flexible window (the call
is made at once), retries (a failed call is dead-lettered at once, as after the last retry), start
and end dates, and the ``State`` of the schedule (a disabled one is refused, not skipped silently).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from workflow_local_cloud.patches import Patch, _require, _state
from workflow_local_cloud.topic_policy import ServiceRequest, decision

PATCH_NAME = "cfn-scheduler-schedule"
SCHEDULE_TYPE = "AWS::Scheduler::Schedule"
UNIVERSAL_PREFIX = "arn:aws:scheduler:::aws-sdk:"
DEFAULT_GROUP = "default"
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"


class ScheduleFireError(RuntimeError):
    """The schedule cannot be fired: unknown, disabled, a role Scheduler may not assume, or a target
    kind this module does not call."""


@dataclass(frozen=True)
class Firing:
    """What firing a schedule did: the target's answer, or the error it was dead-lettered with."""

    schedule_arn: str
    execution_id: str
    scheduled_time: str
    input: str
    """The target's input with the context attributes replaced."""
    response: dict[str, Any] | None
    error_code: str | None = None
    error_message: str | None = None
    dead_lettered: bool = False

    @property
    def delivered(self) -> bool:
        """True when the target accepted the call."""
        return self.error_code is None


def context_input(template: str, *, schedule_arn: str, scheduled_time: str, execution_id: str) -> str:
    """``template`` with Scheduler's context attributes replaced (first attempt).

    >>> context_input('{"at": "<aws.scheduler.scheduled-time>"}', schedule_arn="a", scheduled_time="t",
    ...               execution_id="e")
    '{"at": "t"}'
    """
    values = {
        "schedule-arn": schedule_arn,
        "scheduled-time": scheduled_time,
        "execution-id": execution_id,
        "attempt-number": "1",
    }
    return re.sub(
        r"<aws\.scheduler\.(schedule-arn|scheduled-time|execution-id|attempt-number)>",
        lambda match: values[match.group(1)],
        template,
    )


def fire_schedule(
    session: boto3.Session,
    endpoint_url: str,
    name: str,
    *,
    group: str = DEFAULT_GROUP,
    scheduled_time: datetime | None = None,
    execution_id: str | None = None,
) -> Firing:
    """Fire schedule ``name`` of ``group`` once, as Scheduler would at ``scheduled_time`` (default now).

    ``execution_id``: Scheduler's id of this invocation; default a new random one (16 characters).
    Raises :class:`ScheduleFireError` for a schedule that is unknown, disabled, or has a target kind
    not modelled here; a target that refuses the call is dead-lettered (when the schedule has a
    dead-letter queue) and reported in the :class:`Firing`.
    """
    moment = (scheduled_time or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    execution_id = execution_id or secrets.token_hex(8)
    client = session.client("scheduler", endpoint_url=endpoint_url)
    try:
        schedule = client.get_schedule(Name=name, GroupName=group)
    except ClientError as error:
        raise ScheduleFireError(f"no schedule [{group}/{name}]: {error}") from None
    if schedule.get("State", "ENABLED") != "ENABLED":
        raise ScheduleFireError(
            f"schedule [{group}/{name}] is {schedule['State']}: Scheduler would not fire it"
        )
    target = schedule["Target"]
    body = context_input(
        target.get("Input", ""), schedule_arn=schedule["Arn"], scheduled_time=stamp, execution_id=execution_id
    )
    _check_trust(session, endpoint_url, target["RoleArn"], schedule["Arn"])
    try:
        response = _call(session, endpoint_url, target["Arn"], body)
    except ClientError as error:
        code = error.response["Error"].get("Code", "ClientError")
        message = error.response["Error"].get("Message", str(error))
        dead_lettered = _dead_letter(
            session,
            endpoint_url,
            target,
            body,
            code=code,
            message=message,
            schedule_arn=schedule["Arn"],
            execution_id=execution_id,
        )
        return Firing(schedule["Arn"], execution_id, stamp, body, None, code, message, dead_lettered)
    return Firing(schedule["Arn"], execution_id, stamp, body, response)


def _check_trust(session: boto3.Session, endpoint_url: str, role_arn: str, schedule_arn: str) -> None:
    role_name = role_arn.rsplit("/", 1)[-1]
    try:
        role = session.client("iam", endpoint_url=endpoint_url).get_role(RoleName=role_name)["Role"]
    except ClientError as error:
        raise ScheduleFireError(f"the schedule's role [{role_arn}] does not exist: {error}") from None
    trust = role["AssumeRolePolicyDocument"]
    request = ServiceRequest(
        service=SCHEDULER_PRINCIPAL,
        action="sts:AssumeRole",
        resource=role_arn,
        source_account=schedule_arn.split(":")[4],
        source_arn=schedule_arn,
    )
    if decision(trust if isinstance(trust, dict) else json.loads(trust), request) != "Allow":
        raise ScheduleFireError(f"the role [{role_arn}] does not let {SCHEDULER_PRINCIPAL} assume it")


def _call(session: boto3.Session, endpoint_url: str, arn: str, body: str) -> dict[str, Any]:
    if arn.startswith("arn:aws:lambda:"):
        answer = session.client("lambda", endpoint_url=endpoint_url).invoke(
            FunctionName=arn, InvocationType="Event", Payload=body.encode()
        )
        return {"StatusCode": answer["StatusCode"]}
    if arn.startswith("arn:aws:states:") and ":stateMachine:" in arn:
        answer = session.client("stepfunctions", endpoint_url=endpoint_url).start_execution(
            stateMachineArn=arn, input=body or "{}"
        )
        return {"executionArn": answer["executionArn"]}
    if arn.startswith(UNIVERSAL_PREFIX):
        service, _, action = arn.removeprefix(UNIVERSAL_PREFIX).partition(":")
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
        client = session.client("stepfunctions" if service == "sfn" else service, endpoint_url=endpoint_url)
        if not hasattr(client, method):
            raise ScheduleFireError(f"universal target [{arn}]: {service} has no action {action}")
        answer = getattr(client, method)(**(json.loads(body) if body else {}))
        answer.pop("ResponseMetadata", None)
        return dict(answer)
    raise ScheduleFireError(f"target [{arn}] is a kind the local cloud does not call")


def _dead_letter(
    session: boto3.Session,
    endpoint_url: str,
    target: dict[str, Any],
    body: str,
    *,
    code: str,
    message: str,
    schedule_arn: str,
    execution_id: str,
) -> bool:
    queue_arn = target.get("DeadLetterConfig", {}).get("Arn")
    if not queue_arn:
        return False
    sqs = session.client("sqs", endpoint_url=endpoint_url)
    account, name = queue_arn.split(":")[4], queue_arn.split(":")[5]
    url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    attributes = {
        "ERROR_CODE": code,
        "ERROR_MESSAGE": message[:256],
        "EXECUTION_ID": execution_id,
        "SCHEDULE_ARN": schedule_arn,
        "TARGET_ARN": target["Arn"],
    }
    sqs.send_message(
        QueueUrl=url,
        MessageBody=body or "{}",
        MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
    )
    return True


# The patch: a template's schedule exists in moto's Scheduler backend --------------------------------


def _models() -> tuple[type, ...]:
    from moto.scheduler.models import scheduler_backends

    from workflow_local_cloud.patches import _named_cfn_model

    def create(properties: Any, resource_name: str, account_id: str, region_name: str) -> str:
        backend = scheduler_backends[account_id][region_name]
        schedule = backend.create_schedule(
            description=properties.get("Description"),
            end_date=properties.get("EndDate"),
            flexible_time_window=properties.get("FlexibleTimeWindow", {"Mode": "OFF"}),
            group_name=properties.get("GroupName") or DEFAULT_GROUP,
            kms_key_arn=properties.get("KmsKeyArn"),
            name=properties.get("Name") or resource_name,
            schedule_expression=properties["ScheduleExpression"],
            schedule_expression_timezone=properties.get("ScheduleExpressionTimezone"),
            start_date=properties.get("StartDate"),
            state=properties.get("State", "ENABLED"),
            target=properties["Target"],
            action_after_completion=properties.get("ActionAfterCompletion"),
        )
        return str(schedule.name)

    def delete(name: str, account_id: str, region_name: str) -> None:
        backend = scheduler_backends[account_id][region_name]
        for group in backend.schedule_groups.values():
            if name in group.schedules:
                group.delete_schedule(name)

    return (_named_cfn_model(SCHEDULE_TYPE, "Name", "moto.scheduler.local_cloud", create, delete),)


def _check() -> None:
    from moto.cloudformation import parsing
    from moto.scheduler.models import EventBridgeSchedulerBackend

    from workflow_local_cloud.patches import _require_parameters

    _require_parameters(
        PATCH_NAME,
        EventBridgeSchedulerBackend.create_schedule,
        (
            "self",
            "description",
            "end_date",
            "flexible_time_window",
            "group_name",
            "kms_key_arn",
            "name",
            "schedule_expression",
            "schedule_expression_timezone",
            "start_date",
            "state",
            "target",
            "action_after_completion",
        ),
    )
    if "scheduler_cfn_models" in _state:
        return
    supported = {model.cloudformation_type() for model in parsing.get_model_list()}
    _require(
        SCHEDULE_TYPE not in supported,
        PATCH_NAME,
        f"moto supports {SCHEDULE_TYPE} itself now: drop this patch",
    )


def _apply() -> None:
    from moto.cloudformation import parsing

    if "scheduler_cfn_models" in _state:
        return
    # moto finds models through CloudFormationModel.__subclasses__(): keep the class alive.
    _state["scheduler_cfn_models"] = _models()
    for function in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        function.cache_clear()


def _verify() -> None:
    from moto.cloudformation import parsing

    _require(SCHEDULE_TYPE in parsing.get_model_map(), PATCH_NAME, f"{SCHEDULE_TYPE} not registered")


PATCHES: tuple[Patch, ...] = (
    Patch(
        PATCH_NAME,
        "moto has no CloudFormation model for AWS::Scheduler::Schedule: a stack's schedule would not exist.",
        _check,
        _apply,
        _verify,
    ),
)

__all__ = ["Firing", "ScheduleFireError", "context_input", "fire_schedule"]
