"""What on-call gets from every Workflow: named alarms wired to the operations topic, and a dashboard."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match
from workflow_constructs import InvalidPropsError, PythonFunction, Workflow
from workflow_constructs.definition import placeholder

GREETER = Path(__file__).resolve().parents[1] / "fixtures" / "greeter"
"""Another team's handler folder (``greeting.greet``), deployed by the tests' functions."""

STATE_MACHINE = {"Ref": Match.string_like_regexp("^ShowcaseStateMachine")}
TOPIC = [{"Ref": Match.string_like_regexp("^Alarms")}]
EXECUTION_SIGNALS = {
    # alarm name suffix -> AWS/States metric
    "ExecutionsFailed": "ExecutionsFailed",
    "ExecutionsTimedOut": "ExecutionsTimedOut",
    "ExecutionsThrottled": "ExecutionThrottled",
    "ExecutionsAborted": "ExecutionsAborted",
}


def _dashboard_body(template) -> dict:
    (dashboard,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    return json.loads(placeholder(dashboard["Properties"]["DashboardBody"]))


def _widget(body: dict, title: str) -> dict:
    (widget,) = [w for w in body["widgets"] if w["properties"].get("title") == title]
    return widget


@pytest.mark.parametrize(("alarm", "metric"), EXECUTION_SIGNALS.items())
def test_one_bad_execution_in_five_minutes_notifies_the_topic(showcase, alarm, metric):
    _, template = showcase
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": f"showcase-{alarm}",
            "Namespace": "AWS/States",
            "MetricName": metric,
            "Dimensions": [{"Name": "StateMachineArn", "Value": STATE_MACHINE}],
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": TOPIC,
            "OKActions": TOPIC,
            "AlarmDescription": Match.string_like_regexp(
                r"`workflows list --workflow showcase --status FAILED --since 1h` then `workflows why"
            ),
        },
    )


def test_p99_duration_alarm_uses_the_threshold_in_milliseconds(showcase):
    _, template = showcase
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "showcase-DurationP99",
            "Namespace": "AWS/States",
            "MetricName": "ExecutionTime",
            "ExtendedStatistic": "p99",
            "Threshold": 300_000,
            "AlarmActions": TOPIC,
            "OKActions": TOPIC,
            "AlarmDescription": Match.string_like_regexp("p99 execution time exceeded 5 minutes"),
        },
    )
    template.resource_count_is("AWS::CloudWatch::Alarm", 5)


def test_dashboard_is_named_after_the_workflow_and_region(showcase):
    _, template = showcase
    template.has_resource_properties(
        "AWS::CloudWatch::Dashboard",
        {"DashboardName": {"Fn::Join": ["", ["showcase-", {"Ref": "AWS::Region"}]]}},
    )


def test_dashboard_shows_on_call_hints_and_every_alarm(showcase):
    stack, template = showcase
    body = _dashboard_body(template)
    hints = body["widgets"][0]
    assert hints["type"] == "text"
    assert "workflows why <execution>" in hints["properties"]["markdown"]
    alarms = _widget(body, "Alarms")
    assert alarms["type"] == "alarm"
    # Named by ARNs built from the alarm names (no Fn::GetAtt: the local cloud models no alarms)
    assert alarms["properties"]["alarms"] == [
        f"arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:showcase-{signal}"
        for signal in stack.workflow.alarms
    ]
    (dashboard,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    alarm_ids = template.find_resources("AWS::CloudWatch::Alarm")
    assert sorted(dashboard["DependsOn"]) == sorted(alarm_ids)


def test_dashboard_graphs_executions_failures_and_duration(showcase):
    _, template = showcase
    body = _dashboard_body(template)

    def metric_names(title):
        return [m[1] for m in _widget(body, title)["properties"]["metrics"]]

    assert metric_names("Executions") == ["ExecutionsStarted", "ExecutionsSucceeded"]
    assert metric_names("Failures") == [
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ExecutionsAborted",
        "ExecutionThrottled",
    ]
    duration = _widget(body, "Duration")["properties"]
    assert [m[-1]["stat"] for m in duration["metrics"]] == ["p50", "p99"]
    assert duration["annotations"]["horizontal"] == [
        {"value": 300_000, "label": "p99 alarm threshold (ms)", "yAxis": "left"}
    ]
    for title in ("Executions", "Failures", "Duration"):
        for metric in _widget(body, title)["properties"]["metrics"]:
            assert metric[:3] == ["AWS/States", metric[1], "StateMachineArn"]
            assert metric[3].startswith("${ShowcaseStateMachine")


def test_dashboard_graphs_business_metrics_as_powertools_emits_them(showcase):
    # GIVEN a business metric built by the function that emits it
    _, template = showcase
    body = _dashboard_body(template)
    # THEN it is graphed in the function's namespace, with Powertools' service dimension
    assert _widget(body, "Business")["properties"]["metrics"] == [
        ["showcase", "GreetingsSent", "service", "showcase", {"stat": "Sum"}]
    ]


def test_a_workflow_without_business_metrics_has_no_business_widget():
    stack = cdk.Stack()
    workflow = Workflow(stack, "W", workflow_name="plain", definition=sfn.Pass(stack, "Do nothing"))
    body = json.loads(placeholder(stack.resolve(workflow.dashboard.node.default_child.dashboard_body)))
    assert "Business" not in [w["properties"].get("title") for w in body["widgets"]]


def test_a_workflow_without_alarm_topic_warns_that_alarms_notify_nobody():
    # GIVEN a workflow built without an alarm topic
    stack = cdk.Stack()
    workflow = Workflow(stack, "W", workflow_name="lonely", definition=sfn.Pass(stack, "Do nothing"))
    # THEN a synth warning says so, and the alarms exist with no actions
    warnings = [entry.data for entry in workflow.node.metadata if entry.type == "aws:cdk:warning"]
    assert warnings == [
        "Workflow [lonely] has no alarm_topic: its alarms notify nobody. "
        "[ack: workflow_constructs:no-alarm-topic]"
    ]
    assert sorted(workflow.alarms) == [
        "DurationP99",
        "ExecutionsAborted",
        "ExecutionsFailed",
        "ExecutionsThrottled",
        "ExecutionsTimedOut",
    ]


def test_rejects_a_p99_threshold_under_a_second():
    stack = cdk.Stack()
    with pytest.raises(
        InvalidPropsError,
        match=r"^p99_duration_threshold must be at least 1 second. Received: \[500 millis\]$",
    ):
        Workflow(
            stack,
            "W",
            workflow_name="quick",
            definition=sfn.Pass(stack, "Do nothing"),
            p99_duration_threshold=cdk.Duration.millis(500),
        )


def test_business_metric_follows_the_function_namespace_and_service():
    stack = cdk.Stack()
    function = PythonFunction(
        stack, "F", entry=GREETER, handler="greeting.greet", service="billing", metrics_namespace="Payments"
    )
    metric = function.business_metric("InvoicesPaid", statistic="Average", label="Paid")
    assert (metric.namespace, metric.metric_name, metric.dimensions, metric.statistic, metric.label) == (
        "Payments",
        "InvoicesPaid",
        {"service": "billing"},
        "Average",
        "Paid",
    )
    assert metric.period.to_seconds() == 300


def test_business_metric_needs_a_name():
    stack = cdk.Stack()
    function = PythonFunction(stack, "F", entry=GREETER, handler="greeting.greet", service="billing")
    with pytest.raises(
        InvalidPropsError, match=r"^name must name the metric the handler emits. Received: \[\]$"
    ):
        function.business_metric("")
