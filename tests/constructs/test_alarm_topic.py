"""Alarms reach someone: a topic CloudWatch may publish to, an opt-in email subscription, and alarms
that page for unexpected failures only, business outcomes counted beside them."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template
from workflow_constructs import InvalidPropsError, Workflow
from workflow_constructs.alarm_topic import ALARMS_MAY_PUBLISH_SID, AlarmTopic
from workflow_constructs.definition import placeholder

from business_workflows import (
    billing,
    bulk_user_provisioning,
    onboarding,
    stack_deployment,
    user_deprovisioning,
)
from business_workflows import user_provisioning as user_provisioning_module
from stacks.operations import OperationsStack, operations_emails_from_context

ALARM_ARNS_OF_THIS_ACCOUNT = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":cloudwatch:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            ":alarm:*",
        ],
    ]
}


def _topic_statements(template: dict) -> list[dict]:
    (policy,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::TopicPolicy"]
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def test_cloudwatch_alarms_of_this_account_may_publish_to_the_operations_topic(synthesized_app):
    # GIVEN the operations topic as the app deploys it
    statements = _topic_statements(synthesized_app.template("Operations"))
    # THEN beside the TLS-only Deny, an Allow lets CloudWatch publish for this account's alarms only
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow == {
        "Sid": ALARMS_MAY_PUBLISH_SID,
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": {"Ref": allow["Resource"]["Ref"]},
        "Condition": {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
            "ArnLike": {"aws:SourceArn": ALARM_ARNS_OF_THIS_ACCOUNT},
        },
    }
    assert allow["Resource"]["Ref"].startswith("OperationsTopic")
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_nobody_is_subscribed_unless_asked(synthesized_app):
    template = synthesized_app.template("Operations")
    assert [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Subscription"] == []


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ("oncall@example.org", ("oncall@example.org",)),
        ("oncall@example.org, lead@example.org", ("oncall@example.org", "lead@example.org")),
        (["oncall@example.org", "lead@example.org"], ("oncall@example.org", "lead@example.org")),
        ("", ()),
    ],
)
def test_the_operations_email_context_names_one_or_more_addresses(context, expected):
    app = cdk.App(context={"operationsEmail": context})
    assert operations_emails_from_context(app) == expected


def test_each_operations_email_is_subscribed_to_the_topic():
    # GIVEN two addresses to notify
    app = cdk.App()
    stack = OperationsStack(app, "Operations", operations_emails=["oncall@example.org", "lead@example.org"])
    # THEN each is an email subscription of the topic (AWS mails a confirmation link to each)
    template = Template.from_stack(stack)
    for address in ("oncall@example.org", "lead@example.org"):
        template.has_resource_properties(
            "AWS::SNS::Subscription",
            {
                "Protocol": "email",
                "Endpoint": address,
                "TopicArn": {"Ref": Match.string_like_regexp("^Oper")},
            },
        )


@pytest.mark.parametrize(
    ("emails", "message"),
    [
        (
            ["oncall"],
            r"^email_subscriptions must hold email addresses like 'oncall@example.org'. "
            r"Received: \[oncall\]$",
        ),
        (
            ["a@x.org", "a@x.org"],
            r"^email_subscriptions must not name an address twice. Received: \[a@x.org,a@x.org\]$",
        ),
    ],
)
def test_rejects_what_is_no_list_of_distinct_addresses(emails, message):
    with pytest.raises(InvalidPropsError, match=message):
        AlarmTopic(cdk.Stack(), "T", display_name="t", email_subscriptions=emails)


def test_rejects_an_operations_email_context_that_is_no_address_list():
    app = cdk.App(context={"operationsEmail": {"to": "a@x.org"}})
    with pytest.raises(InvalidPropsError, match=r"^operationsEmail must be an address"):
        operations_emails_from_context(app)


# Business outcomes ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def with_outcomes() -> tuple[Workflow, dict]:
    stack = cdk.Stack()
    workflow = Workflow(
        stack,
        "W",
        workflow_name="payments",
        definition=sfn.Pass(stack, "Do nothing"),
        business_outcomes=["PaymentDeclined", "PaymentRequestInvalid"],
    )
    return workflow, Template.from_stack(stack).to_json()


def test_business_outcomes_are_counted_from_the_execution_failed_log_events(with_outcomes):
    # GIVEN a workflow with two business outcomes
    _, template = with_outcomes
    filters = [
        r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Logs::MetricFilter"
    ]
    # THEN each is a metric of its own, counted from the state machine's log group
    assert sorted(
        (
            f["FilterPattern"],
            f["MetricTransformations"][0]["MetricName"],
            f["MetricTransformations"][0]["MetricNamespace"],
        )
        for f in filters
    ) == [
        (
            '{ ($.type = "ExecutionFailed") && ($.details.error = "PaymentDeclined") }',
            "PaymentDeclined",
            "Workflows/payments",
        ),
        (
            '{ ($.type = "ExecutionFailed") && ($.details.error = "PaymentRequestInvalid") }',
            "PaymentRequestInvalid",
            "Workflows/payments",
        ),
    ]
    assert all(f["LogGroupName"]["Ref"].startswith("WLogs") for f in filters)


def test_the_failed_executions_alarm_pages_only_for_unexpected_failures(with_outcomes):
    _, template = with_outcomes
    (alarm,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"]["AlarmName"] == "payments-ExecutionsFailed"
    ]
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    # failed executions less each outcome, a period without data counting 0
    assert metrics["expr_1"]["Expression"] == "FILL(failed, 0) - FILL(outcome0, 0) - FILL(outcome1, 0)"
    assert metrics["expr_1"]["ReturnData"] is True
    assert metrics["failed"]["MetricStat"]["Metric"]["MetricName"] == "ExecutionsFailed"
    assert metrics["failed"]["MetricStat"]["Metric"]["Namespace"] == "AWS/States"
    assert [metrics[f"outcome{i}"]["MetricStat"]["Metric"] for i in (0, 1)] == [
        {"MetricName": "PaymentDeclined", "Namespace": "Workflows/payments"},
        {"MetricName": "PaymentRequestInvalid", "Namespace": "Workflows/payments"},
    ]
    assert all(metrics[i]["ReturnData"] is False for i in ("failed", "outcome0", "outcome1"))
    assert "not counted: PaymentDeclined, PaymentRequestInvalid" in alarm["AlarmDescription"]


def test_the_dashboard_shows_the_business_outcomes(with_outcomes):
    _, template = with_outcomes
    (dashboard,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body = json.loads(placeholder(dashboard["Properties"]["DashboardBody"]))
    (widget,) = [
        w for w in body["widgets"] if w["properties"].get("title") == "Business outcomes (not alarmed)"
    ]
    graphed = [m for m in widget["properties"]["metrics"] if m[0] == "Workflows/payments"]
    assert [m[1] for m in graphed] == ["PaymentDeclined", "PaymentRequestInvalid"]


def test_without_business_outcomes_every_failed_execution_pages():
    stack = cdk.Stack()
    Workflow(stack, "W", workflow_name="plain", definition=sfn.Pass(stack, "Do nothing"))
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::Logs::MetricFilter", 0)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"AlarmName": "plain-ExecutionsFailed", "Namespace": "AWS/States", "MetricName": "ExecutionsFailed"},
    )


@pytest.mark.parametrize("outcome", ["States.TaskFailed", "Payment declined", "", "Billing.Declined"])
def test_rejects_a_business_outcome_that_is_no_fail_state_error_name(outcome):
    stack = cdk.Stack()
    with pytest.raises(InvalidPropsError, match=r"^business_outcomes must hold the Error names"):
        Workflow(
            stack,
            "W",
            workflow_name="w1",
            definition=sfn.Pass(stack, "Do nothing"),
            business_outcomes=[outcome],
        )


def test_rejects_a_business_outcome_named_twice():
    stack = cdk.Stack()
    with pytest.raises(InvalidPropsError, match=r"^business_outcomes must not name an outcome twice"):
        Workflow(
            stack,
            "W",
            workflow_name="w1",
            definition=sfn.Pass(stack, "Do nothing"),
            business_outcomes=["A", "A"],
        )


@pytest.mark.parametrize(
    ("stack_name", "workflow_name", "outcomes"),
    [
        ("Billing", "billing", billing.BUSINESS_OUTCOMES),
        ("CustomerOnboarding", "customer-onboarding", onboarding.BUSINESS_OUTCOMES),
        ("UserProvisioning", "user-provisioning", user_provisioning_module.BUSINESS_OUTCOMES),
        ("UserProvisioning", "bulk-user-provisioning", bulk_user_provisioning.BUSINESS_OUTCOMES),
        ("StackDeployment", "stack-deployment", stack_deployment.BUSINESS_OUTCOMES),
        ("UserProvisioning", "user-deprovisioning", user_deprovisioning.BUSINESS_OUTCOMES),
    ],
)
def test_every_workflow_counts_its_business_outcomes_instead_of_paging(
    synthesized_app, stack_name, workflow_name, outcomes
):
    # GIVEN a workflow of the app and the outcomes it declares
    template = synthesized_app.template(stack_name)
    counted = {
        r["Properties"]["MetricTransformations"][0]["MetricName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Logs::MetricFilter"
        and r["Properties"]["MetricTransformations"][0]["MetricNamespace"] == f"Workflows/{workflow_name}"
    }
    # THEN each is counted, and its failed-executions alarm subtracts them
    assert counted == set(outcomes)
    (alarm,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"].get("AlarmName") == f"{workflow_name}-ExecutionsFailed"
    ]
    subtracted = {
        m["MetricStat"]["Metric"]["MetricName"]
        for m in alarm["Metrics"]
        if "MetricStat" in m and m["MetricStat"]["Metric"]["Namespace"] == f"Workflows/{workflow_name}"
    }
    assert subtracted == set(outcomes)


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (billing, {"PaymentDeclined", "BillingRequestInvalid", "AuthorisationTimedOut"}),
        (onboarding, {"OnboardingRequestInvalid", "CustomerAlreadyExists"}),
        (user_provisioning_module, {"ProvisioningRequestInvalid", "ProvisioningInProgress"}),
        (bulk_user_provisioning, {"BulkProvisioningRequestInvalid"}),
        (
            stack_deployment,
            {"StackDeploymentRequestInvalid", "StackNotDeployable"},
        ),
    ],
)
def test_business_outcomes_are_the_expected_endings_and_no_fault(module, expected):
    # Faults (a step that failed for good, a failed deployment) must keep paging.
    assert set(module.BUSINESS_OUTCOMES) == expected
