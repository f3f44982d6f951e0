"""Construct tests: what Workflow, PythonFunction and the task factories put in a template."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template
from workflow_constructs import InvalidPropsError, PythonFunction, Workflow
from workflow_constructs.definition import state_machines
from workflow_constructs.function import LAMBDA_RUNTIME

GREETER = Path(__file__).resolve().parents[1] / "fixtures" / "greeter"
"""Another team's handler folder (``greeting.greet``), deployed by the tests' functions."""


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
            "Properties": Match.object_like(
                {"LogGroupName": "/aws/vendedlogs/states/showcase", "RetentionInDays": 90}
            ),
            "DeletionPolicy": "RetainExceptOnCreate",
        },
    )


def test_every_log_group_is_encrypted_with_the_stacks_one_log_key(showcase):
    # GIVEN the showcase stack: a workflow and a function, each with its own log group
    _, template = showcase
    (key,) = [k for k in template.find_resources("AWS::KMS::Key") if k.startswith("LogEncryptionKey")]

    # THEN both log groups use the one key, which is rotated and retained with them
    groups = template.find_resources("AWS::Logs::LogGroup")
    assert len(groups) == 2
    assert {json.dumps(g["Properties"]["KmsKeyId"]) for g in groups.values()} == {
        json.dumps({"Fn::GetAtt": [key, "Arn"]})
    }
    template.has_resource(
        "AWS::KMS::Key",
        {
            "Properties": Match.object_like({"EnableKeyRotation": True}),
            "DeletionPolicy": "RetainExceptOnCreate",
        },
    )
    # AND CloudWatch Logs of the stack's region may use it, for this account's log groups only
    statement = next(
        s
        for s in template.find_resources("AWS::KMS::Key")[key]["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "CloudWatchLogsUsesTheKeyForThisAccountsLogGroups"
    )
    assert statement["Principal"] == {
        "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    }
    assert "kms:EncryptionContext:aws:logs:arn" in statement["Condition"]["ArnLike"]
    assert {"kms:Decrypt*", "kms:GenerateDataKey*"} <= set(statement["Action"])


def test_a_log_key_of_its_own_replaces_the_stacks():
    # GIVEN a workflow and a function given a key of their own
    from aws_cdk import aws_kms as kms
    from aws_cdk.assertions import Template

    stack = cdk.Stack(cdk.App())
    own = kms.Key(stack, "OwnKey", enable_key_rotation=True)
    function = PythonFunction(
        stack, "Fn", entry=GREETER, handler="greeting.greet", service="s", log_encryption_key=own
    )
    Workflow(stack, "W", workflow_name="own-key", definition=sfn.Pass(stack, "Pass"), log_encryption_key=own)
    del function

    # THEN no stack log key is created and both log groups use the given one
    template = Template.from_stack(stack)
    assert list(template.find_resources("AWS::KMS::Key")) == [stack.get_logical_id(own.node.default_child)]


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
                    "Ref": Match.string_like_regexp(
                        "^SsmParameterValueawsservicepowertoolspythonarm64python314"
                    )
                }
            ],
        },
    )


def test_the_powertools_layer_is_the_newest_one_aws_publishes_in_ssm(showcase):
    # GIVEN a function with the default layer
    _, template = showcase
    parameters = template.to_json()["Parameters"]
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    (layer,) = function["Properties"]["Layers"]
    # THEN its ARN is the public parameter Powertools documents, read by CloudFormation at deploy time
    assert parameters[layer["Ref"]] == {
        "Type": "AWS::SSM::Parameter::Value<String>",
        "Default": "/aws/service/powertools/python/arm64/python3.14/latest",
    }


def test_a_pinned_powertools_layer_version_names_that_version():
    stack = cdk.Stack()
    PythonFunction(
        stack, "F", entry=GREETER, handler="greeting.greet", service="showcase", powertools_layer_version=27
    )
    template = Template.from_stack(stack).to_json()
    (function,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    (layer,) = function["Properties"]["Layers"]
    assert layer["Fn::Join"][1][-1] == ":017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:27"
    assert [p for p in template.get("Parameters", {}) if p.startswith("SsmParameterValue")] == []


def test_rejects_a_powertools_layer_version_below_one():
    with pytest.raises(
        InvalidPropsError, match=r"^powertools_layer_version must be a published layer version \(1 or more\)"
    ):
        PythonFunction(
            cdk.Stack(), "F", entry=GREETER, handler="greeting.greet", service="x", powertools_layer_version=0
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
    assert {"greeting.py", "workflow_runtime"} <= names
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
            {"handler": "greeting.greet", "memory_size": 64},
            r"^memory_size must be between 128 and 10240 MB. Received: \[64\]$",
        ),
        ({"handler": "greeting.greet", "service": ""}, r"^service must name the workflow .*Received: \[\]$"),
    ],
)
def test_python_function_rejects_bad_props(kwargs, message):
    stack = cdk.Stack()
    with pytest.raises(InvalidPropsError, match=message):
        PythonFunction(stack, "F", **{"entry": GREETER, "service": "svc", **kwargs})


def test_definition_is_rendered_with_readable_placeholders(showcase):
    _, template = showcase
    text = json.dumps(_definition(template))
    assert "${GreeterA6D7AE57.Arn}" in text or "${Greeter" in text
