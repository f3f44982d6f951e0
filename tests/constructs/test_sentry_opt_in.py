"""The app-wide Sentry opt-in: context keys -> imported DSN secret -> every function that gets it."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from workflow_constructs import InvalidPropsError, PythonFunction

from app import build_app
from stacks.sentry import SentryOptIn

GREETER = Path(__file__).resolve().parents[1] / "fixtures" / "greeter"
"""Another team's handler folder (``greeting.greet``), deployed by the tests' functions."""

SECRET_NAME = "prod/sentry-dsn"
LAYER_ARN = "arn:aws:lambda:eu-west-1:111111111111:layer:sentry-sdk:3"
SECRET_ARN = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":secretsmanager:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            f":secret:{SECRET_NAME}",
        ],
    ]
}


class WorkflowLikeStack(cdk.Stack):
    """Stands in for a workflow stack: takes the secret from the operations stack, as app.py passes it."""

    def __init__(self, scope, construct_id, *, sentry_dsn_secret):
        super().__init__(scope, construct_id)
        PythonFunction(
            self,
            "Reported",
            entry=GREETER,
            handler="greeting.greet",
            service="demo",
            sentry_dsn_secret=sentry_dsn_secret,
        )
        PythonFunction(self, "Unreported", entry=GREETER, handler="greeting.greet", service="demo")


@pytest.fixture(scope="module")
def opted_in(tmp_path_factory, cdk_context):
    # GIVEN the app built with both Sentry context keys, and a stack that takes the secret
    app = build_app(
        outdir=str(tmp_path_factory.mktemp("sentry")),
        context={**cdk_context, "sentryDsnSecretName": SECRET_NAME, "sentryLayerArn": LAYER_ARN},
    )
    operations = app.node.find_child("Operations")
    WorkflowLikeStack(app, "WorkflowLike", sentry_dsn_secret=operations.sentry_dsn_secret)
    # WHEN synthesized (the guards and cdk-nag run: any finding would raise here)
    assembly = app.synth()
    return {stack.stack_name: stack.template for stack in assembly.stacks}


def _function(template: dict, logical_prefix: str) -> dict:
    (function,) = [
        resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function" and logical_id.startswith(logical_prefix)
    ]
    return function


def test_functions_given_the_secret_know_where_the_dsn_is(opted_in):
    function = _function(opted_in["WorkflowLike"], "Reported")
    assert function["Environment"]["Variables"]["SENTRY_DSN_SECRET_ARN"] == SECRET_ARN


def test_functions_given_the_secret_may_read_only_that_secret(opted_in):
    Template.from_json(opted_in["WorkflowLike"]).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                            "Effect": "Allow",
                            "Resource": {
                                "Fn::Join": [
                                    "",
                                    [*SECRET_ARN["Fn::Join"][1][:-1], f":secret:{SECRET_NAME}-??????"],
                                ]
                            },
                        }
                    ]
                )
            },
            "Roles": [{"Ref": Match.string_like_regexp("^ReportedRole")}],
        },
    )


def test_functions_given_the_secret_get_the_sentry_layer_after_powertools(opted_in):
    layers = _function(opted_in["WorkflowLike"], "Reported")["Layers"]
    assert len(layers) == 2
    assert "powertools" in json.dumps(layers[0])  # the public SSM parameter of the Powertools layer
    assert layers[1] == LAYER_ARN


def test_functions_without_the_secret_are_left_alone(opted_in):
    function = _function(opted_in["WorkflowLike"], "Unreported")
    assert "SENTRY_DSN_SECRET_ARN" not in function["Environment"]["Variables"]
    assert len(function["Layers"]) == 1


def test_the_secret_crosses_stacks_without_an_export(opted_in):
    # An export would tie the workflow stacks' lifecycle to the operations stack's.
    exports = json.dumps(opted_in["Operations"].get("Outputs", {}))
    assert "secret" not in exports.lower()
    assert "Fn::ImportValue" not in json.dumps(opted_in["WorkflowLike"])


def test_every_function_of_the_apps_workflow_stacks_reports_to_sentry(opted_in):
    # GIVEN the app's own workflow stacks (app.py passes them operations.sentry_dsn_secret)
    functions = {
        f"{stack}/{logical_id}": resource["Properties"]
        for stack, template in opted_in.items()
        if stack not in ("Operations", "WorkflowLike")
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    assert functions, "the app has no workflow stack with functions"
    # THEN every function knows the secret and has the layer with sentry_sdk
    for name, function in functions.items():
        assert function["Environment"]["Variables"]["SENTRY_DSN_SECRET_ARN"] == SECRET_ARN, name
        assert function["Layers"][-1] == LAYER_ARN, name


def test_sentry_is_off_by_default(cdk_context):
    app = build_app(context=cdk_context)
    assert app.node.find_child("Operations").sentry_dsn_secret is None


@pytest.mark.parametrize(
    ("context", "message"),
    [
        (
            {"sentryDsnSecretName": "has spaces"},
            r"^sentryDsnSecretName must be a Secrets Manager secret name .*Received: \[has spaces\]$",
        ),
        (
            {"sentryLayerArn": LAYER_ARN},
            r"^sentryLayerArn needs sentryDsnSecretName too .*Received: \[arn:aws:lambda:",
        ),
        (
            {"sentryDsnSecretName": SECRET_NAME, "sentryLayerArn": "sentry-sdk:3"},
            r"^sentryLayerArn must be a layer version ARN .*Received: \[sentry-sdk:3\]$",
        ),
    ],
)
def test_context_is_validated(context, message):
    with pytest.raises(InvalidPropsError, match=message):
        SentryOptIn.from_context(cdk.App(context=context))


def test_empty_context_values_mean_off():
    assert SentryOptIn.from_context(cdk.App(context={"sentryDsnSecretName": ""})) == SentryOptIn()
