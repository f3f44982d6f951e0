"""OnboardingWorkflow: what it deploys, how its definition is wired, and the props it refuses.

The app's CustomerOnboarding stack (no user-provisioning workflow yet) comes from the session
synth; one more app, synthesized once for this module with every check on, covers the nested
admin-user step (a child imported by name, as app.py will wire it, and a child built in the same
stack), the Sentry opt-in and two onboarding workflows side by side.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template
from workflow_constructs import InvalidPropsError, Workflow, add_checks
from workflow_constructs.definition import state_machines

from business_workflows.onboarding import OnboardingWorkflow, WelcomeEmail
from business_workflows.options import WorkflowOptions

STACK = "CustomerOnboarding"


def _only_definition(template: dict) -> dict:
    (definition,) = state_machines(template).values()
    return definition


@pytest.fixture(scope="module")
def app_template(synthesized_app) -> Template:
    return Template.from_json(synthesized_app.template(STACK))


@pytest.fixture(scope="module")
def states(synthesized_app) -> dict:
    return _only_definition(synthesized_app.template(STACK))["States"]


@pytest.fixture(scope="module")
def nested(tmp_path_factory) -> tuple[OnboardingWorkflow, dict]:
    """Two workflows with user-provisioning children, synthesized with every check on.

    Returns the one whose child is imported by name (with a Sentry secret) and the stack's template.
    """
    app = cdk.App(
        outdir=str(tmp_path_factory.mktemp("onboarding")), context={"aws:cdk:version-reporting": False}
    )
    stack = cdk.Stack(app, "Nested")
    topic = sns.Topic(stack, "Operations", enforce_ssl=True)
    workflow = OnboardingWorkflow(
        stack,
        "Onboarding",
        sender_address="hello@example.com",
        options=WorkflowOptions(
            alarm_topic=topic,
            sentry_dsn_secret=secretsmanager.Secret.from_secret_name_v2(stack, "Sentry", "sentry-dsn"),
            allow_placeholder_senders=True,
        ),
        user_provisioning=sfn.StateMachine.from_state_machine_name(stack, "Users", "user-provisioning"),
        plans=("basic",),
        welcome_email=WelcomeEmail(subject="Hi {{name}}", text="Hello", html="<p>Hello</p>"),
    )
    child_in_stack = Workflow(
        stack,
        "UsersInStack",
        workflow_name="users-in-stack",
        definition=sfn.Pass(stack, "Provision the user"),
    )
    OnboardingWorkflow(
        stack,
        "SecondOnboarding",
        workflow_name="second-onboarding",
        sender_address="hello@second.example",
        options=WorkflowOptions(alarm_topic=topic, allow_placeholder_senders=True),
        user_provisioning=child_in_stack.state_machine,
    )
    add_checks(app)
    app.synth()  # raises when a guard or a cdk-nag rule finds anything unacknowledged
    return workflow, Template.from_stack(stack).to_json()


def _definition_named(template: dict, name: str) -> dict:
    (logical_id,) = [
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource.get("Properties", {}).get("StateMachineName") == name
    ]
    return state_machines(template)[logical_id]


# The app's stack -----------------------------------------------------------------------------------


def test_the_state_machine_is_named_for_the_convention_and_logs_traces(app_template):
    app_template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineName": "customer-onboarding",
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": Match.object_like({"Level": "ALL"}),
        },
    )


def test_the_happy_path_runs_the_steps_in_order(states):
    # GIVEN the definition, WHEN it is followed along `Next` (a Choice's default) from the start
    order, name = [], "Validate the onboarding request"
    while name:
        order.append(name)
        name = states[name].get("Next", states[name].get("Default"))

    # THEN it validates, records, provisions (the tenant, then the first admin through the app's
    # user-provisioning workflow), welcomes and activates, and the last step ends it
    assert order == [
        "Validate the onboarding request",
        "Record the customer as onboarding",
        "Provision the tenant configuration and storage",
        "Provision the first admin user",
        "Reserve the welcome email",
        "Send the welcome email",
        "Was the customer active already",
        "Mark the customer active",
    ]
    assert states["Mark the customer active"]["End"] is True


def test_invalid_input_ends_the_execution_at_the_first_step(states):
    validate = states["Validate the onboarding request"]
    assert "Catch" not in validate
    assert "OnboardingRequestInvalid" not in str(validate["Retry"])


def test_the_customer_is_recorded_conditionally_and_a_duplicate_is_looked_up(states):
    record = states["Record the customer as onboarding"]
    assert record["Resource"].endswith(":states:::dynamodb:updateItem")
    assert record["Parameters"]["ConditionExpression"] == (
        "attribute_not_exists(customerId) OR (correlationId = :request AND #status <> :active)"
    )
    assert record["Catch"] == [
        {
            "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
            "ResultPath": "$.rejected",
            "Next": "Look up the existing customer",
        }
    ]
    choice = states["Was it completed by this request"]
    assert choice["Choices"] == [
        {
            "Variable": "$.existing.Item.correlationId.S",
            "StringEqualsPath": "$.correlationId",
            "Next": "Is the welcome email still to be sent",
        }
    ]
    reject = states[choice["Default"]]
    assert (reject["Type"], reject["Error"]) == ("Fail", "CustomerAlreadyExists")
    assert reject["CausePath"].startswith("States.Format('Customer {} already exists")


def test_the_welcome_email_is_reserved_before_it_is_sent_and_a_failure_never_rolls_back(states):
    reserve = states["Reserve the welcome email"]
    assert reserve["Parameters"]["ConditionExpression"] == "attribute_not_exists(welcomeEmailReservedAt)"
    assert reserve["Catch"] == [
        {
            "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
            "ResultPath": None,
            "Next": "Note the welcome email was already sent",
        },
        {
            "ErrorEquals": ["States.ALL"],
            "ResultPath": "$.welcomeEmailFailure",
            "Next": "Tell operations the welcome email was not sent",
        },
    ]
    send = states["Send the welcome email"]
    assert send["Resource"].endswith(":states:::aws-sdk:sesv2:sendEmail")
    assert send["Parameters"]["Content"] == {
        "Template": {
            "TemplateName": "customer-onboarding-welcome",
            "TemplateData.$": "States.JsonToString($.customer)",
        }
    }
    assert send["Catch"] == [
        {
            "ErrorEquals": ["States.ALL"],
            "ResultPath": "$.welcomeEmailFailure",
            "Next": "Release the welcome email reservation",
        }
    ]
    # Not sent: release the reservation, tell operations, and go on to activate with the email PENDING.
    assert (
        states["Release the welcome email reservation"]["Next"]
        == "Tell operations the welcome email was not sent"
    )
    assert (
        states["Tell operations the welcome email was not sent"]["Next"]
        == "Note the welcome email is pending"
    )
    assert states["Note the welcome email is pending"]["Result"] == {"status": "PENDING"}
    assert states["Note the welcome email is pending"]["Next"] == "Was the customer active already"
    reachable = json.dumps({name: states[name] for name in states if "welcome" in name.lower()})
    assert "Roll back the tenant resources" not in reachable


def test_a_re_run_of_a_completed_request_sends_only_a_pending_welcome_email(states):
    choice = states["Is the welcome email still to be sent"]
    assert choice["Choices"] == [
        {
            "Variable": "$.existing.Item.welcomeEmailStatus.S",
            "StringEquals": "PENDING",
            "Next": "Restore what the earlier run provisioned",
        }
    ]
    assert choice["Default"] == "Answer with the earlier result"
    assert states["Restore what the earlier run provisioned"]["Next"] == "Reserve the welcome email"
    # An active customer is not activated again: the resend is recorded on it.
    after = states["Was the customer active already"]
    assert after["Choices"] == [
        {"Variable": "$.existing", "IsPresent": True, "Next": "Record the resent welcome email"}
    ]
    record = states["Record the resent welcome email"]
    assert record["Parameters"]["ConditionExpression"] == "correlationId = :request AND #status = :active"
    assert "Catch" not in record


def test_every_failure_after_recording_rolls_back_records_notifies_and_fails_with_the_original_error(states):
    # Every step that runs after the customer was recorded hands its failure to the rollback.
    for name in (
        "Provision the tenant configuration and storage",
        "Mark the customer active",
    ):
        catch_all = states[name]["Catch"][-1]
        assert catch_all == {
            "ErrorEquals": ["States.ALL"],
            "ResultPath": "$.failure",
            "Next": "Remove the first admin user",
        }
    # The app's rollback first removes the first admin user (user-deprovisioning), then the tenant.
    assert states["Remove the first admin user"]["Next"] == "Roll back the tenant resources"
    # The failure path continues even when one of its own steps fails.
    path = [
        "Roll back the tenant resources",
        "Record the onboarding failure",
        "Notify operations of the failure",
    ]
    for step, following in zip(path, [*path[1:], "Can the error be raised as it is"], strict=True):
        assert states[step]["Next"] == following
        assert states[step]["Catch"][0]["Next"] == following
    # The original error is raised as it is, unless it is a Step Functions error (a Fail state may
    # not raise `States.*`): then it leads the cause of OnboardingStepFailed.
    choice = states["Can the error be raised as it is"]
    assert choice["Choices"] == [
        {
            "Variable": "$.failure.Error",
            "StringMatches": "States.*",
            "Next": "Fail the onboarding after a Step Functions error",
        }
    ]
    assert states[choice["Default"]] == {
        "Type": "Fail",
        "ErrorPath": "$.failure.Error",
        "CausePath": "$.failure.Cause",
    }
    assert states["Fail the onboarding after a Step Functions error"] == {
        "Type": "Fail",
        "Error": "OnboardingStepFailed",
        "CausePath": "States.Format('{}: {}', $.failure.Error, $.failure.Cause)",
    }
    notify = states["Notify operations of the failure"]
    assert notify["Parameters"]["Message"]["error.$"] == "$.failure.Error"


def test_stateful_resources_are_retained_encrypted_and_recoverable(app_template):
    tables = app_template.find_resources("AWS::DynamoDB::GlobalTable")
    assert len(tables) == 2
    for table in tables.values():
        assert table["DeletionPolicy"] == "RetainExceptOnCreate"
        assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
        assert table["Properties"]["Replicas"][0]["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }
    app_template.has_resource(
        "AWS::S3::Bucket",
        {
            "DeletionPolicy": "RetainExceptOnCreate",
            "Properties": Match.object_like(
                {
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "LoggingConfiguration": Match.object_like({"LogFilePrefix": "tenant-bucket/"}),
                    "PublicAccessBlockConfiguration": Match.object_like({"BlockPublicPolicy": True}),
                }
            ),
        },
    )


def test_the_sender_identity_and_welcome_template_are_created(app_template):
    app_template.has_resource_properties("AWS::SES::EmailIdentity", {"EmailIdentity": "welcome@example.com"})
    app_template.has_resource_properties(
        "AWS::SES::Template",
        {
            "Template": Match.object_like(
                {"TemplateName": "customer-onboarding-welcome", "SubjectPart": "Welcome aboard, {{name}}"}
            )
        },
    )


def test_functions_get_their_stores_and_plans_from_the_environment(app_template):
    functions = app_template.find_resources("AWS::Lambda::Function")
    assert sorted(f["Properties"]["Handler"] for f in functions.values()) == [
        "onboarding.handler.complete_onboarding",
        "onboarding.handler.provision_tenant",
        "onboarding.handler.record_failure",
        "onboarding.handler.roll_back_tenant",
        "onboarding.handler.validate_request",
    ]
    for function in functions.values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["ALLOWED_PLANS"] == "starter,team,enterprise"
        assert variables["POWERTOOLS_SERVICE_NAME"] == "customer-onboarding"
        assert {"CUSTOMERS_TABLE", "TENANTS_TABLE", "TENANT_BUCKET"} <= set(variables)
        assert "SENTRY_DSN_SECRET_ARN" not in variables  # opt-in, and the app does not opt in


def test_the_dashboard_shows_the_business_metrics(app_template):
    (dashboard,) = app_template.find_resources("AWS::CloudWatch::Dashboard").values()
    body = str(dashboard["Properties"]["DashboardBody"])
    assert "CustomersOnboarded" in body
    assert "OnboardingFailed" in body


def test_the_workflow_may_publish_to_the_encrypted_operations_topic(app_template):
    app_template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                                "Resource": {
                                    "Fn::ImportValue": Match.string_like_regexp("OperationsTopicKey")
                                },
                            }
                        )
                    ]
                )
            }
        },
    )


# With a user-provisioning workflow -------------------------------------------------------------


def test_the_admin_user_is_provisioned_by_a_deterministically_named_child(nested):
    _, template = nested
    states = _definition_named(template, "customer-onboarding")["States"]
    start = states["Provision the first admin user"]
    assert (
        states["Provision the tenant configuration and storage"]["Next"] == "Provision the first admin user"
    )
    assert start["Next"] == "Reserve the welcome email"
    assert start["Resource"].endswith(":states:::states:startExecution.sync:2")
    assert start["Parameters"]["Name.$"] == "States.Format('{}-admin-{}', $.customer.id, $.record.attempt)"
    assert start["Parameters"]["Input"] == {
        "tenantId.$": "$.provisioned.tenant.tenantId",
        "user": {
            "id.$": "States.Format('{}-admin', $.customer.id)",
            "email.$": "$.customer.email",
            "role": "admin",
        },
        "resources": [
            {"type": "storage-prefix", "config": {"name": "home"}},
            {"type": "profile-record", "config": {}},
            {"type": "access-scope", "config": {"access": "read-write"}},
            {"type": "api-key", "config": {}},
        ],
        "correlationId.$": "$.correlationId",
        "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id",
    }
    assert [(c["ErrorEquals"], c["Next"]) for c in start["Catch"]] == [
        (["StepFunctions.ExecutionAlreadyExistsException"], "Look up the earlier admin user provisioning"),
        (["States.TaskFailed"], "Read why the admin user provisioning failed"),
        (["States.ALL"], "Roll back the tenant resources"),
    ]


def test_a_failed_child_fails_onboarding_with_the_childs_own_error_when_it_named_one(nested):
    _, template = nested
    states = _definition_named(template, "customer-onboarding")["States"]
    assert states["Read why the admin user provisioning failed"]["Parameters"] == {
        "execution.$": "States.StringToJson($.failure.Cause)"
    }
    choice = states["Did the admin user provisioning name its error"]
    assert choice["Choices"] == [
        {
            "Variable": "$.adminUserFailure.execution.Error",
            "IsPresent": True,
            "Next": "Take the error of the admin user provisioning",
        }
    ]
    assert choice["Default"] == "Roll back the tenant resources"
    take = states["Take the error of the admin user provisioning"]
    assert take["Parameters"] == {
        "Error.$": "$.adminUserFailure.execution.Error",
        "Cause.$": "$.failure.Cause",
    }
    assert (take["ResultPath"], take["Next"]) == ("$.failure", "Roll back the tenant resources")


def test_a_child_from_an_earlier_run_is_waited_for_and_used_not_started_again(nested):
    _, template = nested
    states = _definition_named(template, "customer-onboarding")["States"]
    describe = states["Look up the earlier admin user provisioning"]
    assert describe["Resource"].endswith(":states:::aws-sdk:sfn:describeExecution")
    assert describe["Parameters"]["ExecutionArn.$"].endswith(
        ":execution:user-provisioning:{}-admin-{}', $.customer.id, $.record.attempt)"
    )
    choice = states[describe["Next"]]
    assert [(c["StringEquals"], c["Next"]) for c in choice["Choices"]] == [
        ("SUCCEEDED", "Use the earlier admin user"),
        ("RUNNING", "Wait for the earlier admin user provisioning"),
    ]
    assert (
        states["Wait for the earlier admin user provisioning"]["Next"]
        == "Look up the earlier admin user provisioning"
    )
    assert states[choice["Default"]]["Next"] == "Roll back the tenant resources"
    assert states["Use the earlier admin user"]["Next"] == "Reserve the welcome email"


def test_every_function_reports_to_sentry_when_a_dsn_secret_is_given(nested):
    workflow, template = nested
    functions = [
        function
        for function in Template.from_json(template).find_resources("AWS::Lambda::Function").values()
        if "SENTRY_DSN_SECRET_ARN" in function["Properties"]["Environment"]["Variables"]
    ]
    assert len(functions) == len(workflow.functions) == 5
    for function in functions:
        assert "SENTRY_DSN_SECRET_ARN" in function["Properties"]["Environment"]["Variables"]
        assert function["Properties"]["Environment"]["Variables"]["ALLOWED_PLANS"] == "basic"


def test_the_construct_exposes_what_it_created(nested):
    workflow, _ = nested
    assert workflow.state_machine is workflow.workflow.state_machine
    assert workflow.welcome_template_name == "customer-onboarding-welcome"
    assert [m.metric_name for m in workflow.business_metrics] == ["CustomersOnboarded", "OnboardingFailed"]
    for attribute in (
        "customers_table",
        "tenants_table",
        "tenant_bucket",
        "access_log_bucket",
        "sender_identity",
    ):
        assert getattr(workflow, attribute) is not None


# Props it refuses --------------------------------------------------------------------------------


def _build(**overrides):
    stack = cdk.Stack()
    props = {
        "sender_address": "hello@example.com",
        "options": WorkflowOptions(alarm_topic=sns.Topic(stack, "Ops"), allow_placeholder_senders=True),
        **overrides,
    }
    return OnboardingWorkflow(stack, "Onboarding", **props)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"sender_address": "hello"},
            r"^sender_address must be an email address like welcome@example.com. Received: \[hello\]$",
        ),
        ({"plans": ()}, r"^plans must name at least one plan. Received: \[\[\]\]$"),
        (
            {"plans": ("Gold Plan",)},
            r"^plans must be 1-40 lowercase letters, digits, '-' or '_' each. Received: \[\['Gold Plan'\]\]$",
        ),
        ({"plans": ("team", "team")}, r"^plans must not repeat a plan. Received: \[\['team', 'team'\]\]$"),
        (
            {"admin_user_resources": [{"type": "api-key"}]},
            r"^admin_user_resources must each be \{'type': str, 'config': \{...\}\}. Received: ",
        ),
    ],
)
def test_invalid_props_are_refused_naming_the_prop(overrides, message):
    with pytest.raises(InvalidPropsError, match=message):
        _build(**overrides)


@pytest.mark.parametrize("field", ["subject", "text", "html"])
def test_an_empty_welcome_email_part_is_refused(field):
    with pytest.raises(
        InvalidPropsError, match=rf"^welcome_email.{field} must not be empty. Received: \[\]$"
    ):
        WelcomeEmail(**{field: "  "})


def test_a_sender_address_known_only_at_deploy_time_is_not_checked():
    stack = cdk.Stack()
    address = cdk.CfnParameter(stack, "Sender").value_as_string
    workflow = OnboardingWorkflow(
        stack,
        "Onboarding",
        sender_address=address,
        options=WorkflowOptions(alarm_topic=sns.Topic(stack, "Ops")),
    )
    assert workflow.state_machine is not None


def test_two_workflows_in_one_stack_get_their_own_template_and_child(nested):
    _, template = nested
    states = _definition_named(template, "second-onboarding")["States"]
    assert states["Send the welcome email"]["Parameters"]["Content"]["Template"]["TemplateName"] == (
        "second-onboarding-welcome"
    )
    describe = states["Look up the earlier admin user provisioning"]["Parameters"]["ExecutionArn.$"]
    assert ":execution:${Select:6:${Split:::${UsersInStackStateMachine" in describe
