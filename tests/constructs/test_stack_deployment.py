"""Construct tests of StackDeployment: the app's StackDeployment stack (synthesized once per session),
one app with the caller's own bucket, topic and role, and each validation message."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template
from workflow_constructs import InvalidPropsError, add_checks
from workflow_constructs.definition import state_machines

from business_workflows.options import WorkflowOptions
from business_workflows.stack_deployment import (
    APPROVAL_STATE,
    DEFAULT_SERVICE_ROLE_ACTIONS,
    StackDeployment,
)

STACK_ARN = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":cloudformation:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            ":stack/svc-*/*",
        ],
    ]
}


@pytest.fixture(scope="module")
def template(synthesized_app) -> Template:
    return Template.from_json(synthesized_app.template("StackDeployment"))


@pytest.fixture(scope="module")
def states(synthesized_app) -> dict:
    (definition,) = state_machines(synthesized_app.template("StackDeployment")).values()
    return definition["States"]


def _policy_statements(template: Template, role_prefix: str) -> list[dict]:
    policies = template.find_resources("AWS::IAM::Policy")
    return [
        statement
        for policy in policies.values()
        if policy["Properties"]["Roles"][0]["Ref"].startswith(role_prefix)
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


# The app's stack --------------------------------------------------------------------------------


def test_state_machine_is_named_and_the_only_function_is_the_entry(template):
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine", {"StateMachineName": "stack-deployment"}
    )
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    assert function["Properties"]["Handler"] == "deployment_approvals.handler.deployment_entry"


def _entry_role(template: Template) -> str:
    return next(
        name
        for name in template.find_resources("AWS::IAM::Role")
        if name.startswith("StackDeploymentEntryFunction")
    )


def test_the_entry_methods_are_iam_authorised_and_invoke_the_entry_function(template):
    methods = template.find_resources("AWS::ApiGateway::Method")
    assert len(methods) == 2
    for method in methods.values():
        assert (method["Properties"]["HttpMethod"], method["Properties"]["AuthorizationType"]) == (
            "POST",
            "AWS_IAM",
        )
        uri = json.dumps(method["Properties"]["Integration"]["Uri"])
        assert "StackDeploymentEntryFunction" in uri
    paths = sorted(
        r["Properties"]["PathPart"] for r in template.find_resources("AWS::ApiGateway::Resource").values()
    )
    assert paths == ["approvals", "deployments"]


def test_answer_guard_leaves_starting_and_answering_to_the_entry_and_denies_invoking_it_directly(template):
    (guard,) = template.find_resources("AWS::IAM::ManagedPolicy").values()
    statements = {s["Sid"]: s for s in guard["Properties"]["PolicyDocument"]["Statement"]}
    assert sorted(statements) == [
        "OnlyApiGatewayInvokesTheEntry",
        "OnlyTheAnswerPathAnswersTaskTokens",
        "OnlyTheEntryStartsDeployments",
    ]
    role = _entry_role(template)
    for sid, actions in (
        (
            "OnlyTheAnswerPathAnswersTaskTokens",
            ["states:SendTaskFailure", "states:SendTaskHeartbeat", "states:SendTaskSuccess"],
        ),
        ("OnlyTheEntryStartsDeployments", ["states:StartExecution"]),
    ):
        statement = statements[sid]
        assert statement["Effect"] == "Deny"
        assert (
            sorted(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
            == actions
        )
        assert statement["Resource"]["Ref"].startswith("StackDeploymentWorkflowStateMachine")
        assert statement["Condition"] == {
            "ArnNotEquals": {"aws:PrincipalArn": [{"Fn::GetAtt": [role, "Arn"]}]}
        }
    invoke = statements["OnlyApiGatewayInvokesTheEntry"]
    assert (invoke["Effect"], invoke["Action"], "Condition" in invoke) == (
        "Deny",
        "lambda:InvokeFunction",
        False,
    )
    assert "StackDeploymentEntryFunction" in json.dumps(invoke["Resource"])


def test_the_entry_function_may_start_read_and_answer_only_the_deployment_machine(template):
    statements = _policy_statements(
        template, "StackDeploymentEntryFunctionServiceRole"
    ) or _policy_statements(template, "StackDeploymentEntryFunctionRole")
    actions = sorted(
        a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )
    assert [a for a in actions if a.startswith("states:")] == [
        "states:DescribeExecution",
        "states:GetExecutionHistory",
        "states:SendTaskFailure",
        "states:SendTaskHeartbeat",
        "states:SendTaskSuccess",
        "states:StartExecution",
    ]


def test_the_stack_outputs_the_entry_and_the_guard(template):
    outputs = template.to_json()["Outputs"]
    assert {"EntryUrl", "EntryFunctionName", "AnswerGuardPolicyArn"} <= set(outputs)


def test_the_approval_choice_executes_only_when_approved_by_someone_other_than_the_requester(states):
    choices = states["Was the deployment approved"]["Choices"]
    assert choices[0]["Condition"] == (
        "{% $approved and $type($approvedBy) = 'string' and $type($request.requestedBy) = 'string' "
        "and $approvedBy != $request.requestedBy %}"
    )
    assert choices[0]["Next"] == "Execute the change set"
    assert choices[1]["Next"] == "Delete the change set"


def test_every_state_is_jsonata_and_every_task_a_direct_integration(states):
    assert {state["QueryLanguage"] for state in states.values()} == {"JSONata"}
    resources = sorted({state["Resource"] for state in states.values() if state["Type"] == "Task"})
    assert resources == [
        "arn:${AWS::Partition}:states:::aws-sdk:cloudformation:createChangeSet",
        "arn:${AWS::Partition}:states:::aws-sdk:cloudformation:deleteChangeSet",
        "arn:${AWS::Partition}:states:::aws-sdk:cloudformation:describeChangeSet",
        "arn:${AWS::Partition}:states:::aws-sdk:cloudformation:describeStackEvents",
        "arn:${AWS::Partition}:states:::aws-sdk:cloudformation:describeStacks",
        "arn:${AWS::Partition}:states:::aws-sdk:cloudformation:executeChangeSet",
        "arn:${AWS::Partition}:states:::sns:publish",
        "arn:${AWS::Partition}:states:::sns:publish.waitForTaskToken",
    ]


def test_cloudformation_actions_are_scoped_to_prefixed_stacks(template):
    # GIVEN the state machine role's statements (minimized: one per resource)
    statements = _policy_statements(template, "StackDeploymentWorkflowStateMachineRole")
    cloudformation = [s for s in statements if "cloudformation" in str(s["Action"])]
    # THEN the CloudFormation actions it needs are allowed on svc-* stacks only, and none other
    assert cloudformation == [
        {
            "Action": [
                "cloudformation:createChangeSet",
                "cloudformation:deleteChangeSet",
                "cloudformation:describeChangeSet",
                "cloudformation:describeStackEvents",
                "cloudformation:describeStacks",
                "cloudformation:executeChangeSet",
            ],
            "Effect": "Allow",
            "Resource": STACK_ARN,
        }
    ]


def _only(template: Template, resource_type: str, containing: str = "") -> str:
    (logical_id,) = [name for name in template.find_resources(resource_type) if containing in name]
    return logical_id


def _template_bucket(template: Template) -> str:
    """The template bucket (the other bucket holds its access logs)."""
    (logical_id,) = [
        name
        for name, bucket in template.find_resources("AWS::S3::Bucket").items()
        if "LoggingConfiguration" in bucket["Properties"]
    ]
    return logical_id


def _service_role(template: Template) -> str:
    (logical_id,) = template.find_resources(
        "AWS::IAM::Role",
        {
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": [
                        Match.object_like({"Principal": {"Service": "cloudformation.amazonaws.com"}})
                    ]
                }
            }
        },
    )
    return logical_id


def test_the_service_role_may_only_be_passed_to_cloudformation(template):
    statements = _policy_statements(template, "StackDeploymentWorkflowStateMachineRole")
    pass_role = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert pass_role == [
        {
            "Action": "iam:PassRole",
            "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [_service_role(template), "Arn"]},
        }
    ]


def test_templates_come_from_the_template_bucket_and_notifications_use_the_topic_key(template):
    statements = _policy_statements(template, "StackDeploymentWorkflowStateMachineRole")
    by_action = {str(s["Action"]): s["Resource"] for s in statements}
    assert by_action["['s3:GetObject', 's3:GetObjectVersion']"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [_template_bucket(template), "Arn"]}, "/*"]]
    }
    assert by_action["['kms:Decrypt', 'kms:GenerateDataKey']"] == {
        "Fn::GetAtt": [_only(template, "AWS::KMS::Key", "Notification"), "Arn"]
    }
    assert by_action["sns:Publish"] == {"Ref": _only(template, "AWS::SNS::Topic")}


def test_default_service_role_manages_prefixed_queues_and_topics_only(template):
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudformation.amazonaws.com"},
                    }
                ]
            }
        },
    )
    statements = _policy_statements(template, "StackDeploymentServiceRole")
    assert [(s["Sid"], s["Action"], s["Resource"]["Fn::Join"][1][-1]) for s in statements] == [
        ("ServiceQueues", list(DEFAULT_SERVICE_ROLE_ACTIONS["sqs"]), ":svc-*"),
        ("ServiceTopics", list(DEFAULT_SERVICE_ROLE_ACTIONS["sns"]), ":svc-*"),
    ]


def test_template_bucket_and_notification_topic_are_protected(template):
    template.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": {
                "BucketEncryption": Match.any_value(),
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
            },
            "DeletionPolicy": "RetainExceptOnCreate",
        },
    )
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {"KmsMasterKeyId": {"Fn::GetAtt": [_only(template, "AWS::KMS::Key", "Notification"), "Arn"]}},
    )
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_business_metrics_count_deployments_from_the_execution_log(template):
    filters = {
        name: f
        for name, f in template.find_resources("AWS::Logs::MetricFilter").items()
        # the others count business outcomes (namespace Workflows/stack-deployment)
        if f["Properties"]["MetricTransformations"][0]["MetricNamespace"] == "stack-deployment"
    }
    patterns = {
        f["Properties"]["MetricTransformations"][0]["MetricName"]: f["Properties"]["FilterPattern"]
        for f in filters.values()
    }
    assert patterns == {
        "StacksDeployed": '{ ($.type = "SucceedStateEntered") && '
        '($.details.name = "Report the deployed stack") }',
        "DeploymentsWithoutChanges": '{ ($.type = "SucceedStateEntered") && '
        '($.details.name = "Report that nothing changed") }',
        "DeploymentsFailed": '{ ($.type = "FailStateEntered") && '
        '($.details.name = "Report the failed deployment") }',
        "ApprovalsRequested": '{ ($.type = "TaskStateEntered") && ($.details.name = "Ask for approval") }',
    }


def test_workflow_timeout_covers_both_polling_budgets_and_the_approval(template):
    (definition,) = state_machines(template.to_json()).values()
    # 60 x 5 s of change set checks + 24 h for approval + 240 x 15 s of stack checks + 30 min margin
    assert definition["TimeoutSeconds"] == 300 + 86_400 + 3_600 + 1_800


def test_the_approval_step_carries_the_task_token_the_cli_looks_for(states):
    # GIVEN the callback step
    ask = states[APPROVAL_STATE]
    # THEN it waits for a token, put in its parameters as Message.taskToken, for at most a day
    assert ask["Resource"].endswith(":states:::sns:publish.waitForTaskToken")
    assert ask["Arguments"]["Message"]["taskToken"] == "{% $states.context.Task.Token %}"
    assert ask["TimeoutSeconds"] == 86_400
    # AND a timeout, a rejection or any other failure deletes the change set first
    assert [(c["ErrorEquals"], c["Next"], c["Assign"]["failure"]["error"]) for c in ask["Catch"]] == [
        (["States.Timeout"], "Delete the change set", "ApprovalTimedOut"),
        (["States.ALL"], "Delete the change set", "{% $states.errorOutput.Error %}"),
    ]
    assert ask["Assign"] == {
        "approved": "{% $states.result.approved = true %}",
        "approvedBy": "{% $exists($states.result.approvedBy) ? $states.result.approvedBy : null %}",
    }


def test_the_change_set_is_created_idempotently_with_the_service_role(states):
    arguments = states["Create the change set"]["Arguments"]
    assert arguments == {
        "StackName": "{% $request.stackName %}",
        "ChangeSetName": "{% $changeSetName %}",
        "ClientToken": "{% $changeSetName %}",
        "ChangeSetType": "{% $changeSetType %}",
        "TemplateURL": "{% $request.templateUrl %}",
        "Parameters": "{% $request.parameters %}",
        "Tags": "{% $request.tagsGiven ? $request.tags : ($exists($stack.Tags) ? $stack.Tags : []) %}",
        "RoleARN": "${StackDeploymentServiceRoleC1A970EF.Arn}",
        "Description": "{% $request.reason %}",
        "Capabilities": ["CAPABILITY_IAM"],
    }
    assert states["Execute the change set"]["Arguments"]["ClientRequestToken"] == "{% $changeSetName %}"


def test_polling_loops_are_bounded(states):
    ready = states["Is the change set ready"]["Choices"]
    assert [choice["Condition"] for choice in ready][-2:] == ["{% $changeSetPolls < 60 %}", "{% true %}"]
    assert ready[-1]["Assign"]["failure"]["error"] == "ChangeSetTimedOut"
    settled = states["Has the stack settled"]["Choices"]
    assert "$stackPolls < 240" in settled[1]["Condition"]
    assert settled[2]["Assign"]["failure"]["error"] == "StackDeploymentTimedOut"
    assert states["Wait for the change set"]["Seconds"] == 5
    assert states["Wait for the stack to settle"]["Seconds"] == 15


def test_named_errors_end_the_failure_paths(states):
    assert states["Reject the invalid request"]["Error"] == "StackDeploymentRequestInvalid"
    assert states["Report the failed deployment"]["Error"] == "StackDeploymentFailed"
    assert states["Stop the deployment"] == {
        "Type": "Fail",
        "QueryLanguage": "JSONata",
        "Error": "{% $failure.error %}",
        "Cause": "{% $failure.cause %}",
    }
    # A change set CloudFormation refuses to execute is deleted, and its error reported.
    assert states["Execute the change set"]["Catch"] == [
        {
            "ErrorEquals": ["States.ALL"],
            "Next": "Was the call to execute the change set throttled",
            "Assign": {"callError": "{% $states.errorOutput %}", "throttles": "{% $throttles + 1 %}"},
        }
    ]
    assert states["Was the call to execute the change set throttled"]["Choices"][-1] == {
        "Condition": "{% true %}",
        "Next": "Delete the change set",
        "Assign": {
            "failure": {
                "error": "{% $callError.Error %}",
                "cause": "{% $exists($callError.Cause) ? $callError.Cause : '' %}",
            }
        },
    }
    # Cleaning up never hides the failure being reported.
    assert states["Was the call to delete the change set throttled"]["Choices"][-1] == {
        "Condition": "{% true %}",
        "Next": "Stop the deployment",
    }


CLOUDFORMATION_CALLS = (
    "Look up the stack",
    "Create the change set",
    "Check the change set",
    "Read more of the change set",
    "Delete the change set",
    "Delete the empty change set",
    "Execute the change set",
    "Check the stack",
    "Read the failed stack events",
    "Read more stack events",
)


@pytest.mark.parametrize("name", CLOUDFORMATION_CALLS)
def test_every_cloudformation_call_is_made_again_when_throttled_and_only_then(states, name):
    # CloudFormation's Throttling is the generic CloudFormationException, like a permanent
    # ValidationError: no Retry can tell them apart, so the Catch routes on the Cause.
    lowered = name[:1].lower() + name[1:]
    task = states[name]
    assert "Retry" not in task
    assert task["Comment"].startswith("No retry: CloudFormation throttling")
    assert task["Catch"][0]["Next"] == f"Was the call to {lowered} throttled"
    assert task["Assign"]["throttles"] == 0  # a success resets the count
    again = states[f"Was the call to {lowered} throttled"]["Choices"][0]
    assert again == {
        "Condition": "{% $callError.Error = 'CloudFormation.CloudFormationException' and "
        "$contains($callError.Cause, /Rate exceeded|Throttl|SlowDown|TooManyRequests/) "
        "and $throttles <= 8 %}",
        "Next": f"Wait then {lowered} again",
    }
    wait = states[f"Wait then {lowered} again"]
    assert wait["Next"] == name
    assert wait["Seconds"] == "{% $round($random() * $min([$power(2, $throttles), 60])) + 1 %}"


def test_the_failed_event_tail_is_paged_with_a_bound(states):
    assert states["Read the failed stack events"]["Next"] == "Are there more events of this deployment"
    assert states["Read more stack events"]["Arguments"]["NextToken"] == "{% $eventsToken %}"
    more = states["Are there more events of this deployment"]
    assert more["Choices"] == [
        {"Condition": "{% $not($eventsRunOut) and $eventPages < 10 %}", "Next": "Read more stack events"}
    ]
    assert more["Default"] == "Report the failed deployment"


# The caller's own resources ---------------------------------------------------------------------


class OwnResources(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        bucket = s3.Bucket(
            self,
            "Templates",
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            server_access_logs_prefix="access/",
        )
        topic = sns.Topic(
            self, "Announcements", master_key=kms.Key(self, "Key", enable_key_rotation=True), enforce_ssl=True
        )
        role = iam.Role.from_role_arn(self, "Deployer", "arn:aws:iam::111111111111:role/platform-deployer")
        self.deployment = StackDeployment(
            self,
            "Deployments",
            options=WorkflowOptions(),
            stack_name_prefix="team-a-",
            workflow_name="team-a-deployments",
            template_bucket=bucket,
            notification_topic=topic,
            service_role=role,
            capabilities=(),
            approval_timeout=cdk.Duration.hours(2),
            stack_max_polls=10,
        )


@pytest.fixture(scope="module")
def own(tmp_path_factory) -> tuple[OwnResources, Template]:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("own")), context={"aws:cdk:version-reporting": False})
    stack = OwnResources(app, "Own")
    add_checks(app)
    app.synth()  # raises on any unacknowledged cdk-nag finding or guard violation
    return stack, Template.from_stack(stack)


def test_given_resources_are_used_and_nothing_is_created_in_their_place(own):
    stack, template = own
    assert stack.deployment.service_role.role_arn == "arn:aws:iam::111111111111:role/platform-deployer"
    template.resource_count_is("AWS::S3::Bucket", 1)
    template.resource_count_is("AWS::SNS::Topic", 1)
    template.resource_count_is("AWS::IAM::Role", 2)  # the state machine's and the entry function's
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine", {"StateMachineName": "team-a-deployments"}
    )
    template.has_resource_properties(
        "AWS::Logs::MetricFilter",
        {"MetricTransformations": [Match.object_like({"MetricNamespace": "team-a-deployments"})]},
    )


def test_given_role_prefix_and_no_capabilities_reach_the_definition(own):
    _, template = own
    (definition,) = state_machines(template.to_json()).values()
    arguments = definition["States"]["Create the change set"]["Arguments"]
    assert arguments["RoleARN"] == "arn:aws:iam::111111111111:role/platform-deployer"
    assert "Capabilities" not in arguments
    assert definition["States"][APPROVAL_STATE]["TimeoutSeconds"] == 7_200
    problems = definition["States"]["Check the deployment request"]["Assign"]["problems"]
    assert "$substring($in.stackName, 0, $length('team-a-')) != 'team-a-'" in problems
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "iam:PassRole",
                                "Resource": "arn:aws:iam::111111111111:role/platform-deployer",
                            }
                        )
                    ]
                )
            }
        },
    )


def test_service_role_statements_replace_the_default_permissions():
    # GIVEN a deployment whose services are DynamoDB tables
    stack = cdk.Stack(cdk.App(), "Tables")
    tables = iam.PolicyStatement(
        sid="ServiceTables",
        actions=["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTable"],
        resources=["arn:aws:dynamodb:eu-west-1:111111111111:table/svc-*"],
    )
    StackDeployment(
        stack,
        "Deployments",
        options=WorkflowOptions(),
        stack_name_prefix="svc-",
        service_role_statements=[tables],
    )
    # THEN the service role holds exactly that statement
    template = Template.from_stack(stack)
    assert _policy_statements(template, "DeploymentsServiceRole") == [
        {
            "Sid": "ServiceTables",
            "Action": ["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTable"],
            "Effect": "Allow",
            "Resource": "arn:aws:dynamodb:eu-west-1:111111111111:table/svc-*",
        }
    ]


# Validation -------------------------------------------------------------------------------------


@pytest.fixture
def scope() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Validation")


def test_prefix_must_be_a_stack_name_start(scope):
    with pytest.raises(
        InvalidPropsError,
        match=r"stack_name_prefix must be 1-64 letters, digits and '-', starting with a letter. "
        r"Received: \[\*\]",
    ):
        StackDeployment(scope, "D", options=WorkflowOptions(), stack_name_prefix="*")


def test_statements_for_a_given_role_are_refused(scope):
    role = iam.Role.from_role_arn(scope, "R", "arn:aws:iam::111111111111:role/r")
    statement = iam.PolicyStatement(actions=["sqs:CreateQueue"], resources=["arn:aws:sqs:*:*:svc-*"])
    with pytest.raises(
        InvalidPropsError,
        match=r"service_role_statements apply to the service role this construct creates; give them to your "
        r"own service_role instead. Received: \[1\]",
    ):
        StackDeployment(
            scope,
            "D",
            options=WorkflowOptions(),
            stack_name_prefix="svc-",
            service_role=role,
            service_role_statements=[statement],
        )


def test_an_empty_statement_list_is_refused(scope):
    with pytest.raises(
        InvalidPropsError,
        match=r"service_role_statements must hold at least one statement, or be left out. Received: \[\[\]\]",
    ):
        StackDeployment(
            scope, "D", options=WorkflowOptions(), stack_name_prefix="svc-", service_role_statements=[]
        )


def test_unknown_capabilities_are_refused(scope):
    with pytest.raises(
        InvalidPropsError, match=r"capabilities must each be one of .* Received: \[\['CAPABILITY_ALL'\]\]"
    ):
        StackDeployment(
            scope,
            "D",
            options=WorkflowOptions(),
            stack_name_prefix="svc-",
            capabilities=["CAPABILITY_IAM", "CAPABILITY_ALL"],
        )


def test_durations_must_be_whole_seconds(scope):
    with pytest.raises(
        InvalidPropsError,
        match=r"change_set_poll_interval must be a whole number of seconds, at least 1. "
        r"Received: \[500 millis\]",
    ):
        StackDeployment(
            scope,
            "D",
            options=WorkflowOptions(),
            stack_name_prefix="svc-",
            change_set_poll_interval=cdk.Duration.millis(500),
        )


@pytest.mark.parametrize(
    ("argument", "value", "bounds"),
    [
        ("change_set_max_polls", 0, "1 and 1000"),
        ("stack_max_polls", 10_001, "1 and 10000"),
        ("failure_event_count", 101, "1 and 100"),
    ],
)
def test_counts_are_bounded(scope, argument, value, bounds):
    with pytest.raises(
        InvalidPropsError, match=rf"{argument} must be between {bounds}. Received: \[{value}\]"
    ):
        StackDeployment(scope, "D", options=WorkflowOptions(), stack_name_prefix="svc-", **{argument: value})


def test_the_template_bucket_is_access_logged_into_a_bucket_of_its_own(template):
    # checkov CKV_AWS_18: who read or replaced a template before it was deployed is on record
    (bucket,) = [template.to_json()["Resources"][_template_bucket(template)]]
    logging = bucket["Properties"]["LoggingConfiguration"]
    assert logging["LogFilePrefix"] == "templates/"
    assert logging["DestinationBucketName"]["Ref"].startswith("StackDeploymentTemplateBucketAccessLogs")
