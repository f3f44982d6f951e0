"""Construct tests: what Workflow, PythonFunction and the task factories put in a template."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match
from workflow_constructs import InvalidPropsError, PythonFunction, Workflow
from workflow_constructs.definition import state_machines
from workflow_constructs.function import LAMBDA_RUNTIME


def _definition(template):
    (definition,) = state_machines(template.to_json()).values()
    return definition


def test_workflow_logs_all_traces_and_names_its_log_group(showcase):
    _, template = showcase
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineName": "showcase",
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": Match.object_like({"Level": "ALL", "IncludeExecutionData": False}),
            "Tags": Match.array_with([{"Key": "workflow", "Value": "showcase"}]),
        },
    )
    template.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {"LogGroupName": "/aws/vendedlogs/states/showcase", "RetentionInDays": 90},
            "DeletionPolicy": "Retain",
        },
    )


def test_workflow_alarms_on_failure_timeout_throttle_abort_and_p99(showcase):
    stack, template = showcase
    assert sorted(stack.workflow.alarms) == [
        "DurationP99",
        "ExecutionsAborted",
        "ExecutionsFailed",
        "ExecutionsThrottled",
        "ExecutionsTimedOut",
    ]
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionThrottled", "ExecutionsAborted"):
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "MetricName": metric,
                "Threshold": 1,
                "AlarmActions": [{"Ref": Match.string_like_regexp("Alarms")}],
            },
        )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "ExecutionTime", "ExtendedStatistic": "p99", "Threshold": 300_000},
    )
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)


def test_every_task_gets_capped_jittered_backoff(showcase):
    _, template = showcase
    states = _definition(template)["States"]
    assert states["Greet the customer"]["Retry"] == [
        {
            "ErrorEquals": [
                "Lambda.ServiceException",
                "Lambda.AWSLambdaException",
                "Lambda.SdkClientException",
                "Lambda.TooManyRequestsException",
                "Lambda.ClientExecutionTimeoutException",
                "TransientError",
            ],
            "IntervalSeconds": 2,
            "MaxAttempts": 6,
            "BackoffRate": 2,
            "MaxDelaySeconds": 60,
            "JitterStrategy": "FULL",
        },
        {
            "ErrorEquals": ["States.Timeout"],
            "IntervalSeconds": 2,
            "MaxAttempts": 3,
            "BackoffRate": 2,
            "MaxDelaySeconds": 60,
            "JitterStrategy": "FULL",
        },
    ]
    assert states["Greet the customer"]["TimeoutSeconds"] == 60
    assert states["Record the greeting"]["Retry"][0]["ErrorEquals"][0] == (
        "DynamoDB.ProvisionedThroughputExceededException"
    )


def test_python_function_defaults(showcase):
    _, template = showcase
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": LAMBDA_RUNTIME.name,
            "Architectures": ["arm64"],
            "MemorySize": 256,
            "Timeout": 30,
            "TracingConfig": {"Mode": "Active"},
            "LoggingConfig": Match.object_like({"LogFormat": "JSON"}),
            "Environment": {"Variables": Match.object_like({"POWERTOOLS_SERVICE_NAME": "showcase"})},
            "Layers": [
                {
                    "Fn::Join": [
                        "",
                        Match.array_with(
                            [
                                Match.string_like_regexp(
                                    r":017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:\d+$"
                                )
                            ]
                        ),
                    ]
                }
            ],
        },
    )


def test_lambda_asset_leaves_out_caches_and_dotfiles(showcase, tmp_path_factory):
    stack, _ = showcase
    asset_dir = next(
        p
        for p in (stack.node.root.outdir and __import__("pathlib").Path(stack.node.root.outdir)).glob(
            "asset.*"
        )
        if p.is_dir()
    )
    names = {p.name for p in asset_dir.rglob("*")}
    assert "shared" in names
    assert not {n for n in names if n == "__pycache__" or n.endswith(".pyc") or n.startswith(".")}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"workflow_name": "Bad_Name"}, r"^workflow_name must be 2-64 characters .*Received: \[Bad_Name\]$"),
        (
            {"workflow_name": "ok", "timeout": cdk.Duration.millis(10)},
            r"^timeout must be at least 1 second. Received: \[10 millis\]$",
        ),
    ],
)
def test_workflow_rejects_bad_props(kwargs, message):
    stack = cdk.Stack()
    with pytest.raises(InvalidPropsError, match=message):
        Workflow(stack, "W", definition=sfn.Pass(stack, "Do nothing"), **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"handler": "no_dot"}, r"^handler must be a dotted path .*Received: \[no_dot\]$"),
        (
            {"handler": "a.b", "memory_size": 64},
            r"^memory_size must be between 128 and 10240 MB. Received: \[64\]$",
        ),
        ({"handler": "a.b", "service": ""}, r"^service must name the workflow .*Received: \[\]$"),
    ],
)
def test_python_function_rejects_bad_props(kwargs, message):
    stack = cdk.Stack()
    with pytest.raises(InvalidPropsError, match=message):
        PythonFunction(stack, "F", **{"service": "svc", **kwargs})


def test_definition_is_rendered_with_readable_placeholders(showcase):
    _, template = showcase
    text = json.dumps(_definition(template))
    assert "${GreeterA6D7AE57.Arn}" in text or "${Greeter" in text
