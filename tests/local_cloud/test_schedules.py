"""EventBridge Scheduler on the local cloud: a template's schedule exists, and firing it calls its target.

AWS: https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html
(context attributes) and .../configuring-schedule-dlq.html (dead-letter queue). moto 5.2.5 keeps
schedules but never fires them, and CloudFormation skips ``AWS::Scheduler::Schedule``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from workflow_local_cloud import ScheduleFireError, running_local_cloud
from workflow_local_cloud.schedules import context_input

DEFINITION = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
AT = datetime(2026, 2, 1, 6, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cloud():
    with running_local_cloud() as harness:
        yield harness


@pytest.fixture
def names():
    return f"sched-{uuid.uuid4().hex[:8]}"


def _setup(cloud, name):
    role = cloud.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
        "Arn"
    ]
    machine = cloud.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(DEFINITION), roleArn=role
    )["stateMachineArn"]
    queue = cloud.client("sqs").create_queue(QueueName=name)["QueueUrl"]
    queue_arn = cloud.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    return role, machine, queue, queue_arn


def _schedule(cloud, name, target, **extra):
    cloud.client("scheduler").create_schedule(
        Name=name,
        ScheduleExpression="cron(0 6 1 * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=target,
        **extra,
    )


def test_context_attributes_are_replaced_and_nothing_else():
    template = (
        '{"t": "<aws.scheduler.scheduled-time>", "id": "<aws.scheduler.execution-id>", '
        '"arn": "<aws.scheduler.schedule-arn>", "n": "<aws.scheduler.attempt-number>", "x": "<aws.other>"}'
    )
    replaced = json.loads(context_input(template, schedule_arn="arn:s", scheduled_time="T", execution_id="E"))
    assert replaced == {"t": "T", "id": "E", "arn": "arn:s", "n": "1", "x": "<aws.other>"}


def test_firing_a_state_machine_target_starts_an_execution_with_the_replaced_input(cloud, names):
    # GIVEN a schedule whose target is a state machine, its input using context attributes
    role, machine, _, _ = _setup(cloud, names)
    _schedule(
        cloud,
        names,
        {
            "Arn": machine,
            "RoleArn": role,
            "Input": '{"at": "<aws.scheduler.scheduled-time>", "id": "<aws.scheduler.execution-id>"}',
        },
    )

    # WHEN it fires
    firing = cloud.fire_schedule(names, scheduled_time=AT, execution_id="d32c5kddcf5bb8c3")

    # THEN the execution got the input Scheduler would have sent
    assert firing.delivered
    execution = cloud.client("stepfunctions").describe_execution(executionArn=firing.response["executionArn"])
    assert json.loads(execution["input"]) == {"at": "2026-02-01T06:00:00Z", "id": "d32c5kddcf5bb8c3"}


def test_a_universal_target_calls_the_api_with_the_input_as_its_request(cloud, names):
    role, machine, _, _ = _setup(cloud, names)
    request = {"stateMachineArn": machine, "name": "run-<aws.scheduler.execution-id>", "input": "{}"}
    _schedule(
        cloud,
        names,
        {
            "Arn": "arn:aws:scheduler:::aws-sdk:sfn:startExecution",
            "RoleArn": role,
            "Input": json.dumps(request),
        },
    )

    firing = cloud.fire_schedule(names, execution_id="abc123")

    assert firing.delivered
    assert firing.response["executionArn"].endswith(":run-abc123")


def test_a_target_that_refuses_the_call_sends_the_input_to_the_dead_letter_queue(cloud, names):
    # GIVEN a schedule whose state machine is gone
    role, machine, queue, queue_arn = _setup(cloud, names)
    cloud.client("stepfunctions").delete_state_machine(stateMachineArn=machine)
    _schedule(
        cloud,
        names,
        {
            "Arn": machine,
            "RoleArn": role,
            "Input": '{"id": "<aws.scheduler.execution-id>"}',
            "DeadLetterConfig": {"Arn": queue_arn},
        },
    )

    # WHEN it fires
    firing = cloud.fire_schedule(names, execution_id="e1")

    # THEN the failure is reported and the input is in the dead-letter queue, with Scheduler's attributes
    assert not firing.delivered
    assert firing.dead_lettered
    assert firing.error_code == "StateMachineDoesNotExist"
    (message,) = cloud.client("sqs").receive_message(QueueUrl=queue, MessageAttributeNames=["All"])[
        "Messages"
    ]
    assert json.loads(message["Body"]) == {"id": "e1"}
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "StateMachineDoesNotExist"
    assert attributes["EXECUTION_ID"] == "e1"
    assert attributes["TARGET_ARN"] == machine
    assert attributes["SCHEDULE_ARN"] == firing.schedule_arn


def test_an_unknown_or_disabled_schedule_is_refused(cloud, names):
    role, machine, _, _ = _setup(cloud, names)
    _schedule(cloud, names, {"Arn": machine, "RoleArn": role}, State="DISABLED")

    with pytest.raises(ScheduleFireError, match=r"is DISABLED"):
        cloud.fire_schedule(names)
    with pytest.raises(ScheduleFireError, match=r"no schedule \[default/nothing-here\]"):
        cloud.fire_schedule("nothing-here")


def test_a_role_scheduler_may_not_assume_is_refused(cloud, names):
    _, machine, _, _ = _setup(cloud, names)
    lambda_trust = json.dumps(TRUST).replace("scheduler.amazonaws.com", "lambda.amazonaws.com")
    other = cloud.client("iam").create_role(RoleName=f"{names}-l", AssumeRolePolicyDocument=lambda_trust)[
        "Role"
    ]
    _schedule(cloud, names, {"Arn": machine, "RoleArn": other["Arn"]})

    with pytest.raises(ScheduleFireError, match=r"does not let scheduler.amazonaws.com assume it"):
        cloud.fire_schedule(names)


def test_a_target_kind_not_modelled_is_refused(cloud, names):
    role, _, _, _ = _setup(cloud, names)
    _schedule(cloud, names, {"Arn": "arn:aws:sns:eu-west-1:123456789012:topic", "RoleArn": role})

    with pytest.raises(ScheduleFireError, match=r"is a kind the local cloud does not call"):
        cloud.fire_schedule(names)


def test_a_stacks_schedule_exists_in_scheduler_and_goes_with_the_stack(cloud, names):
    # GIVEN a stack with an AWS::Scheduler::Schedule (patch "cfn-scheduler-schedule")
    role, machine, _, _ = _setup(cloud, names)
    template = {
        "Resources": {
            "Schedule": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "Name": names,
                    "ScheduleExpression": "cron(0 6 1 * ? *)",
                    "ScheduleExpressionTimezone": "Europe/Berlin",
                    "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 60},
                    "Target": {"Arn": machine, "RoleArn": role, "Input": "{}"},
                },
            }
        }
    }
    cfn = cloud.client("cloudformation")
    cfn.create_stack(StackName=names, TemplateBody=json.dumps(template))

    # THEN Scheduler knows it, as the template says, and can fire it
    schedule = cloud.client("scheduler").get_schedule(Name=names)
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 60}
    assert cloud.fire_schedule(names).delivered

    # WHEN the stack is deleted THEN so is the schedule
    cfn.delete_stack(StackName=names)
    with pytest.raises(ScheduleFireError):
        cloud.fire_schedule(names)
