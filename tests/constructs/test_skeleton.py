"""The business workflows share one skeleton (``business_workflows.defaults``, ``.options``,
``.storage``, ``.metrics``): these tests keep the six constructs and five stacks from drifting apart.

They read the synthesized app (every table, every bucket, every business metric) and the constructs'
signatures and sources, so that a workflow which builds its own table, bucket or metric, or takes
its own alarm-topic argument again, fails here rather than in review.
"""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from workflow_constructs.errors import InvalidPropsError

from business_workflows import defaults
from business_workflows.billing import BillingWorkflow
from business_workflows.bulk_user_provisioning import BulkUserProvisioningWorkflow
from business_workflows.metrics import count_metric, count_metrics
from business_workflows.onboarding import OnboardingWorkflow
from business_workflows.options import WorkflowOptions
from business_workflows.stack_deployment import StackDeployment
from business_workflows.user_deprovisioning import UserDeprovisioningWorkflow
from business_workflows.user_provisioning import UserProvisioningWorkflow
from stacks.billing import BillingStack
from stacks.onboarding import OnboardingStack
from stacks.stack_deployment import StackDeploymentStack
from stacks.user_provisioning import UserProvisioningStack

WORKFLOW_CONSTRUCTS = (
    OnboardingWorkflow,
    BillingWorkflow,
    UserProvisioningWorkflow,
    UserDeprovisioningWorkflow,
    BulkUserProvisioningWorkflow,
    StackDeployment,
)
WORKFLOW_STACKS = (OnboardingStack, BillingStack, UserProvisioningStack, StackDeploymentStack)
WORKFLOW_STACK_NAMES = ("Billing", "CustomerOnboarding", "StackDeployment", "UserProvisioning")
SETTINGS_NOW_IN_OPTIONS = ("alarm_topic", "operations_topic", "sentry_dsn_secret", "allow_reserved_sender")
BUSINESS_WORKFLOWS = Path(__file__).resolve().parents[2] / "business_workflows"
RECIPES = {
    # What is built only in the recipe module named: (module, call written in the source).
    "storage.py": ("dynamodb.TableV2", "s3.Bucket"),
    "metrics.py": ("cloudwatch.Metric",),
}


def _resources(synthesized_app: Any, resource_type: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (stack, logical_id, resource)
        for stack in synthesized_app.templates
        for logical_id, resource in synthesized_app.template(stack)["Resources"].items()
        if resource["Type"] == resource_type
    ]


def _retained(resource: dict[str, Any]) -> bool:
    """Kept on stack deletion and replacement (``RETAINED``), the recipes' removal policy."""
    return (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == (
        "RetainExceptOnCreate",
        "Retain",
    )


# One options type ------------------------------------------------------------------------------


@pytest.mark.parametrize("construct", [*WORKFLOW_CONSTRUCTS, *WORKFLOW_STACKS], ids=lambda c: c.__name__)
def test_every_workflow_construct_and_stack_takes_the_options_type_and_no_setting_of_its_own(construct):
    parameters = inspect.signature(construct.__init__).parameters
    # GIVEN the constructor's keyword-only parameters
    # THEN the app-wide settings arrive in one WorkflowOptions, required, and nowhere else
    assert parameters["options"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["options"].annotation in ("WorkflowOptions", WorkflowOptions)
    assert parameters["options"].default is inspect.Parameter.empty
    assert not set(SETTINGS_NOW_IN_OPTIONS) & set(parameters)


def test_the_options_refuse_a_placeholder_flag_that_is_no_boolean():
    with pytest.raises(
        InvalidPropsError,
        match=r"^options.allow_placeholder_senders must be True or False. Received: \[true\]$",
    ):
        WorkflowOptions(allow_placeholder_senders="true")  # type: ignore[arg-type]


@pytest.mark.parametrize("construct", [OnboardingWorkflow, BillingWorkflow], ids=lambda c: c.__name__)
def test_a_workflow_that_publishes_failure_notices_requires_the_alarm_topic(construct):
    # GIVEN options without an alarm topic
    stack = cdk.Stack()
    props: dict[str, Any] = {"sender_address": "hello@example.com"}
    if construct is BillingWorkflow:
        from business_workflows.billing import PaymentProviderKind

        props["payment_provider"] = PaymentProviderKind.SANDBOX
    # WHEN the workflow is built THEN it names the option, before creating anything
    with pytest.raises(
        InvalidPropsError,
        match=rf"^options.alarm_topic is required by {construct.__name__}: .* Received: \[None\]$",
    ):
        construct(stack, "Workflow", options=WorkflowOptions(allow_placeholder_senders=True), **props)
    assert stack.node.find_child("Workflow").node.children == []


def test_the_app_hands_every_workflow_the_same_options(synthesized_app):
    # GIVEN the app as deployed: THEN every workflow's functions get the one Sentry setting and every
    # workflow's alarms the one operations topic (no workflow wired to something else)
    alarms = _resources(synthesized_app, "AWS::CloudWatch::Alarm")
    assert {stack for stack, _, _ in alarms} >= set(WORKFLOW_STACK_NAMES)
    actions = {
        json.dumps(action, sort_keys=True)
        for stack, _, alarm in alarms
        if stack in WORKFLOW_STACK_NAMES
        for action in alarm["Properties"]["AlarmActions"]
    }
    (action,) = actions
    assert "OperationsTopic" in action


def test_the_alarm_topic_key_grant_is_one_helper():
    # GIVEN options whose topic is KMS-encrypted, and options with none
    stack = cdk.Stack()
    topic = sns.Topic(stack, "Topic", master_key=cdk.aws_kms.Key(stack, "Key"))
    role = cdk.aws_iam.Role(stack, "Role", assumed_by=cdk.aws_iam.ServicePrincipal("states.amazonaws.com"))
    WorkflowOptions(alarm_topic=topic).grant_alarm_topic_key(role)
    WorkflowOptions().grant_alarm_topic_key(role)  # nothing to grant: no topic
    # THEN the role may use that key to publish, and only that
    (policy,) = cdk.assertions.Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert statement["Resource"] == {"Fn::GetAtt": ["Key961B73FD", "Arn"]}


# One table recipe, one bucket recipe ---------------------------------------------------------------


def test_every_table_of_the_app_is_protected_from_deletion_and_recoverable(synthesized_app):
    # GIVEN every DynamoDB table the app deploys
    assert not _resources(synthesized_app, "AWS::DynamoDB::Table"), "every table is a TableV2 (GlobalTable)"
    tables = _resources(synthesized_app, "AWS::DynamoDB::GlobalTable")
    assert {stack for stack, _, _ in tables} == {"Billing", "CustomerOnboarding", "UserProvisioning"}
    for stack, logical_id, table in tables:
        # THEN each is the data_table recipe: deletion protection, PITR, AWS-managed encryption, retained
        (replica,) = table["Properties"]["Replicas"]
        where = f"{stack}/{logical_id}"
        assert replica["DeletionProtectionEnabled"] is True, where
        assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, where
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST", where
        # The AWS-managed key (TableEncryptionV2.aws_managed_key()), not an own key nor the owned one.
        assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}, where
        assert "KMSMasterKeyId" not in json.dumps(table["Properties"]), where
        assert _retained(table), where


def test_every_bucket_of_the_app_comes_from_the_recipe(synthesized_app):
    buckets = _resources(synthesized_app, "AWS::S3::Bucket")
    assert len(buckets) >= 6
    by_id = {(stack, logical_id): bucket for stack, logical_id, bucket in buckets}
    for (stack, logical_id), bucket in by_id.items():
        where = f"{stack}/{logical_id}"
        properties = bucket["Properties"]
        # THEN every bucket has the recipe's settings ...
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}, where
        assert properties["BucketEncryption"] == {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        }, where
        assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}, (
            where
        )
        assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}, where
        assert _retained(bucket), where
        # ... and is either access-logged into one of the app's access-log buckets, or is one of those
        logging = properties.get("LoggingConfiguration")
        if logging is None:
            (rule,) = properties["LifecycleConfiguration"]["Rules"]
            assert rule["ExpirationInDays"] == defaults.ACCESS_LOG_RETENTION.to_days(), where
        else:
            target = logging["DestinationBucketName"]["Ref"]
            assert "LoggingConfiguration" not in by_id[(stack, target)]["Properties"], where
            assert logging["LogFilePrefix"], where


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_tables_buckets_and_metrics_are_built_only_by_their_recipe(recipe):
    # GIVEN every module of business_workflows but the recipe's
    calls = RECIPES[recipe]
    offenders = []
    for path in sorted(BUSINESS_WORKFLOWS.rglob("*.py")):
        if path.name == recipe and path.parent == BUSINESS_WORKFLOWS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in calls:
                offenders.append(
                    f"{path.relative_to(BUSINESS_WORKFLOWS)}:{node.lineno} {ast.unparse(node.func)}"
                )
    # THEN none builds one itself
    assert offenders == []


def test_no_workflow_writes_a_cdk_nag_wildcard_finding_id_by_hand():
    # The finding id is made in one place, workflow_constructs.nag (acknowledge_wildcard_resource).
    offenders = [
        f"{path.relative_to(BUSINESS_WORKFLOWS)}"
        for path in sorted(BUSINESS_WORKFLOWS.rglob("*.py"))
        if "AwsSolutions-IAM5[Resource::" in path.read_text()
    ]
    assert offenders == []


# One way to chart a business metric --------------------------------------------------------------


def test_a_business_metric_is_a_count_per_period_with_the_service_dimension():
    metric = count_metric("billing", "InvoicesCreated", label="Invoices created")
    assert (metric.namespace, metric.metric_name, metric.statistic, metric.label) == (
        "billing",
        "InvoicesCreated",
        "Sum",
        "Invoices created",
    )
    assert metric.period.to_seconds() == defaults.METRIC_PERIOD.to_seconds() == 300
    assert metric.dimensions == {"service": "billing"}
    # A count a log metric filter emits has no dimension.
    assert count_metric("stack-deployment", "StacksDeployed", per_service=False).dimensions is None
    assert [m.metric_name for m in count_metrics("users", ["A", "B"])] == ["A", "B"]


def _dashboard_metrics(dashboard: dict[str, Any]) -> list[list[Any]]:
    """The metric rows of a dashboard's widgets (deploy-time references rendered as ``REF``)."""
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    body = json.loads("".join(part if isinstance(part, str) else "REF" for part in parts))
    return [row for widget in body["widgets"] for row in widget.get("properties", {}).get("metrics", [])]


def test_every_dashboard_charts_its_business_metrics_the_same_way(synthesized_app):
    # GIVEN the business metrics on the workflows' dashboards: those in a workflow's own namespace
    # (AWS/States and the library's Workflows/<name> outcomes are the library's)
    business = [
        (stack, row)
        for stack, _, dashboard in _resources(synthesized_app, "AWS::CloudWatch::Dashboard")
        for row in _dashboard_metrics(dashboard)
        if isinstance(row[0], str) and not row[0].startswith(("AWS/", "Workflows/"))
    ]
    assert {stack for stack, _ in business} == set(WORKFLOW_STACK_NAMES)
    for stack, row in business:
        namespace, name, *dimensions, style = row
        # THEN each is a count summed at the dashboard's period (5 minutes, the default) and, but for
        # stack deployment's log-filter counts, carries the service dimension of its workflow
        assert style["stat"] == defaults.METRIC_STATISTIC, (stack, name)
        assert style.get("period", 300) == defaults.METRIC_PERIOD.to_seconds(), (stack, name)
        expected = [] if stack == "StackDeployment" else [defaults.METRIC_DIMENSION, namespace]
        assert dimensions == expected, (stack, name)
