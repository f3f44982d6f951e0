"""An alarm that fires reaches whoever subscribes to the operations topic: CloudWatch, a service
principal, may publish to it. The local cloud evaluates topic policies for service publishers as
SNS does, so a topic whose policy only denies (``enforce_ssl`` alone) refuses the alarm."""

from __future__ import annotations

import json
import uuid

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns

pytestmark = pytest.mark.behaviour


def _operations_topic(local_cloud) -> str:
    topics = local_cloud.client("sns").list_topics()["Topics"]
    (topic,) = [t["TopicArn"] for t in topics if "OperationsTopic" in t["TopicArn"]]
    return str(topic)


def _subscribed_queue(local_cloud, topic_arn: str) -> str:
    sqs = local_cloud.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"on-call-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    local_cloud.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return str(queue_url)


def _fire_alarm(local_cloud, topic_arn: str) -> str:
    """An alarm of the account notifying ``topic_arn``, set to ALARM as CloudWatch would."""
    name = f"billing-ExecutionsFailed-{uuid.uuid4().hex[:8]}"
    cloudwatch = local_cloud.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/States",
        MetricName="ExecutionsFailed",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic_arn],
        OKActions=[topic_arn],
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="1 failed execution")
    return name


def _actions_of(local_cloud, alarm: str) -> list[dict]:
    return [action for action in local_cloud.alarm_actions() if action["alarm"] == alarm]


def test_a_firing_alarm_reaches_the_operations_topics_subscribers(local_cloud):
    # GIVEN the operations topic as the app deployed it, with on-call's queue subscribed
    topic = _operations_topic(local_cloud)
    queue = _subscribed_queue(local_cloud, topic)

    # WHEN one of the account's alarms goes into ALARM
    alarm = _fire_alarm(local_cloud, topic)

    # THEN CloudWatch's notification was accepted and delivered
    (action,) = _actions_of(local_cloud, alarm)
    assert (action["action"], action["state"], action["result"]) == (topic, "ALARM", "delivered"), action
    messages = local_cloud.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    notification = json.loads(json.loads(messages[0]["Body"])["Message"])
    assert (notification["AlarmName"], notification["NewStateValue"]) == (alarm, "ALARM")


def test_a_topic_whose_policy_only_denies_refuses_the_alarm(local_cloud, tmp_path):
    # GIVEN a topic built as the operations topic was before (enforce_ssl only: a Deny-only policy)
    app = cdk.App(outdir=str(tmp_path), context={"aws:cdk:version-reporting": False})
    stack = cdk.Stack(app, "DenyOnlyTopic")
    sns.Topic(stack, "DenyOnly", enforce_ssl=True)
    local_cloud.load(app.synth().directory, prewarm=False)
    (topic,) = [
        t["TopicArn"]
        for t in local_cloud.client("sns").list_topics()["Topics"]
        if "DenyOnlyTopic" in t["TopicArn"]
    ]
    queue = _subscribed_queue(local_cloud, topic)

    # WHEN an alarm notifying it fires
    alarm = _fire_alarm(local_cloud, topic)

    # THEN SNS refuses CloudWatch (no Allow for it), as AWS does, and nobody hears of the alarm
    (action,) = _actions_of(local_cloud, alarm)
    assert action["result"] == "failed"
    assert action["error"].startswith(
        "AuthorizationError: User: cloudwatch.amazonaws.com is not authorized to perform: SNS:Publish"
    )
    assert "Messages" not in local_cloud.client("sqs").receive_message(QueueUrl=queue, WaitTimeSeconds=0)
