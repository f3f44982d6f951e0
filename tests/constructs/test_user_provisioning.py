"""UserProvisioningWorkflow: what it deploys (from the session's app synth), how it validates its props,
and how a team adds its own resource type (one small extra synth)."""

from __future__ import annotations

import json
from typing import ClassVar

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template
from workflow_constructs import InvalidPropsError, add_checks, tasks
from workflow_constructs.definition import iter_states, state_machines

from business_workflows.options import WorkflowOptions
from business_workflows.provisioners import (
    AccessScope,
    ApiKey,
    ConfigField,
    ProfileRecord,
    ProvisioningContext,
    ResourceSteps,
    ResourceType,
    StoragePrefix,
    default_resource_types,
)
from business_workflows.provisioners.base import PROVISIONED, RESOURCE_CONFIG, TENANT_ID, USER_ID
from business_workflows.user_provisioning import UserProvisioningWorkflow

BUILT_IN_TYPES = ("storage-prefix", "profile-record", "access-scope", "api-key")
BROKER = "arn:aws:iam::123456789012:role/sign-in"


@pytest.fixture(scope="module")
def template(synthesized_app) -> Template:
    return Template.from_json(synthesized_app.template("UserProvisioning"))


@pytest.fixture(scope="module")
def definition(synthesized_app) -> dict:
    machines = state_machines(synthesized_app.template("UserProvisioning"))
    (document,) = [d for name, d in machines.items() if name.startswith("UserProvisioningWorkflow")]
    return document


def _state(definition, *path):
    states = definition["States"]
    for name in path[:-1]:
        states = states[name]["ItemProcessor"]["States"]
    return states[path[-1]]


def _chain(definition, start):
    """State names from ``start`` following Next (the happy path of a top-level chain)."""
    names, name = [], start
    while name:
        names.append(name)
        name = definition["States"][name].get("Next")
    return names


# What it deploys -------------------------------------------------------------------------------


def test_the_state_machine_is_named_and_runs_validate_record_provision_check(template, definition):
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {"StateMachineName": "user-provisioning", "TracingConfiguration": {"Enabled": True}},
    )
    assert _chain(definition, definition["StartAt"]) == [
        "Validate the provisioning request",
        "Record the provisioning request",
        "Provision each resource",
        "Summarize the provisioning",
        "Check every resource was provisioned",
    ]
    # Validation errors are not retried: the execution fails with the handler's error name.
    validate = definition["States"]["Validate the provisioning request"]
    assert "Catch" not in validate
    assert not any("ProvisioningRequestInvalid" in r["ErrorEquals"] for r in validate["Retry"])


def test_success_activates_publishes_and_returns_and_failure_rolls_back_then_fails(definition):
    check = definition["States"]["Check every resource was provisioned"]
    assert check["Choices"] == [
        {"Variable": "$.report.status", "StringEquals": "ACTIVE", "Next": "Mark the user active"}
    ]
    assert _chain(definition, "Mark the user active") == [
        "Mark the user active",
        "Claim the user provisioned announcement",
        "Publish the user provisioned event",
        "Return the provisioned resources",
    ]
    assert _chain(definition, check["Default"]) == [
        "Remove what this run created",
        "Summarize the rollback",
        "Mark the user provisioning failed",
        "Notify operations of the failed provisioning",
        "Provisioning failed",
    ]
    assert definition["States"]["Provisioning failed"] == {
        "Type": "Fail",
        "Error": "ProvisioningFailed",
        "CausePath": "$.report.summary",
    }
    event = definition["States"]["Publish the user provisioned event"]["Parameters"]["Entries"][0]
    assert (event["Source"], event["DetailType"]) == (
        "business-workflows.user-provisioning",
        "User provisioned",
    )


def test_resources_are_provisioned_five_at_a_time_and_removed_one_at_a_time_last_first(definition):
    provision = definition["States"]["Provision each resource"]
    rollback = definition["States"]["Remove what this run created"]
    assert (provision["ItemsPath"], provision["MaxConcurrency"]) == ("$.resources", 5)
    assert (rollback["ItemsPath"], rollback["MaxConcurrency"]) == ("$.rollbackOrder", 1)
    for state in (provision, rollback):
        assert state["ItemSelector"]["resource.$"] == "$$.Map.Item.Value"
        assert state["ItemSelector"]["runId.$"] == "$$.Execution.Id"


@pytest.mark.parametrize(
    ("map_state", "router", "record_failure"),
    [
        (
            "Provision each resource",
            "Route the resource to its provisioner",
            "Record the provisioning failure",
        ),
        ("Remove what this run created", "Route the resource to its remover", "Record the removal failure"),
    ],
)
def test_every_type_is_routed_and_every_task_failure_is_recorded_not_thrown(
    definition, map_state, router, record_failure
):
    route = _state(definition, map_state, router)
    assert sorted(choice["StringEquals"] for choice in route["Choices"]) == sorted(BUILT_IN_TYPES)
    processor = definition["States"][map_state]["ItemProcessor"]
    tasks_in_iteration = [ref for ref in iter_states(processor) if ref.type == "Task"]
    assert len(tasks_in_iteration) >= len(BUILT_IN_TYPES) + 1
    for ref in tasks_in_iteration:
        catch_all = [c for c in ref.state.get("Catch", []) if c["ErrorEquals"] == ["States.ALL"]]
        assert catch_all == [
            {"ErrorEquals": ["States.ALL"], "Next": record_failure, "ResultPath": "$.failure"}
        ], ref.name
    # Nothing in an iteration can end it with a failure: every end is a Pass that records.
    ends = [ref for ref in iter_states(processor) if ref.state.get("End")]
    assert {ref.type for ref in ends} == {"Pass"}


def test_the_ledger_claim_adopts_what_another_run_created(definition):
    claim = _state(definition, "Provision each resource", "Claim the resource in the ledger")
    assert claim["Parameters"]["ConditionExpression"] == "attribute_not_exists(pk) OR provisionedBy = :runId"
    assert claim["Catch"][0] == {
        "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
        "Next": "Adopt the resource an earlier run created",
        "ResultPath": None,
    }
    created_here = _state(definition, "Remove what this run created", "Check this run created the resource")
    assert created_here["Choices"] == [
        {
            "And": [
                {"Variable": "$.ledger.Item.provisionedBy.S", "IsPresent": True},
                {"Variable": "$.ledger.Item.provisionedBy.S", "StringEqualsPath": "$.runId"},
            ],
            "Next": "Route the resource to its remover",
        }
    ]
    assert created_here["Default"] == "Record the resource left in place"


def test_user_provisioned_is_announced_once_per_user_and_request(definition):
    states = definition["States"]
    claim = states["Claim the user provisioned announcement"]
    assert claim["Parameters"]["Item"]["sk"] == {"S.$": "States.Format('ANNOUNCED#{}', $.correlationId)"}
    assert claim["Parameters"]["ConditionExpression"] == "attribute_not_exists(pk) OR announcedBy = :runId"
    # Announced by an earlier run of the request: straight to the answer, nothing published.
    assert claim["Catch"] == [
        {
            "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
            "ResultPath": None,
            "Next": "Return the provisioned resources",
        }
    ]
    # Not published for good: the claim is released, so a re-run announces the user.
    assert states["Publish the user provisioned event"]["Catch"][0]["Next"] == (
        "Release the user provisioned announcement"
    )
    release = states["Release the user provisioned announcement"]
    assert release["Parameters"]["ConditionExpression"] == "announcedBy = :runId"
    assert release["Next"] == "The user provisioned event was not published"
    assert (
        states["The user provisioned event was not published"]["Error"] == "UserProvisionedEventNotPublished"
    )


def test_one_run_at_a_time_per_user(definition):
    record = definition["States"]["Record the provisioning request"]
    assert "lockExpiresAt < :now" in record["Parameters"]["ConditionExpression"]
    # The lock is shared with user deprovisioning.
    assert "NOT (#status IN (:provisioning, :deprovisioning))" in record["Parameters"]["ConditionExpression"]
    assert record["Catch"] == [
        {
            "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
            "Next": "Another run is provisioning this user",
        }
    ]
    assert definition["States"]["Another run is provisioning this user"]["Error"] == "ProvisioningInProgress"


def test_the_validator_gets_the_registry_and_the_lock_lasts_the_timeout(template):
    expected = json.dumps(
        {t.type_name: t.spec() for t in default_resource_types(access_scope_trusted_principal_arn=BROKER)},
        separators=(",", ":"),
        sort_keys=True,
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "user_provisioning.handler.validate_request",
            "Environment": {
                "Variables": Match.object_like({"RESOURCE_TYPES": expected, "LOCK_SECONDS": "3600"})
            },
        },
    )


def test_stateful_resources_are_retained_encrypted_and_recoverable(template):
    tables = template.find_resources("AWS::DynamoDB::GlobalTable")
    assert len(tables) == 5  # users (and ledger), idempotency, profiles, access grants, API keys
    for table in tables.values():
        assert table["DeletionPolicy"] == "RetainExceptOnCreate"
        assert table["Properties"]["SSESpecification"]["SSEEnabled"] is True
        (replica,) = table["Properties"]["Replicas"]
        assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert replica["DeletionProtectionEnabled"] is True


def test_the_app_puts_users_folders_in_the_tenant_bucket_onboarding_creates(definition):
    create = _state(definition, "Provision each resource", "Create the storage prefix")
    assert create["Parameters"]["Bucket"] == (
        "${Import:CustomerOnboarding:ExportsOutputRefOnboardingTenantBucket136863E3ED875B83}"
    )


def test_no_policy_grants_everything_or_a_whole_service(synthesized_app):
    resources = synthesized_app.template("UserProvisioning")["Resources"]
    for logical_id, resource in resources.items():
        if resource["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not [a for a in actions if a == "*" or a.endswith(":*")], logical_id
            if statement["Resource"] == "*":
                # Only what AWS offers no resource-level permission for.
                assert {a.split(":")[0] for a in actions} <= {"xray", "logs"}, (logical_id, actions)


def _shared_role(template):
    (role,) = [
        r
        for r in template.find_resources("AWS::IAM::Role").values()
        if r["Properties"].get("Path") == "/user-provisioning/"
    ]
    return role


def test_a_principal_allowed_assume_role_on_everything_is_not_trusted_by_the_access_scope_role(template):
    # GIVEN the one role of every user's access scope
    trust = _shared_role(template)["Properties"]["AssumeRolePolicyDocument"]

    # THEN it trusts the sign-in service's role alone (no account root: a developer or CI role allowed
    # sts:AssumeRole on * is not named), and only with the tenant, user and access session tags
    (statement,) = trust["Statement"]
    (broker, attribute) = statement["Principal"]["AWS"]["Fn::GetAtt"]
    assert (broker.startswith("UserSessionBroker"), attribute) == (True, "Arn")
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"] == {
        "StringLike": {"aws:RequestTag/tenant": "?*", "aws:RequestTag/user": "?*"},
        "StringEquals": {"aws:RequestTag/access": ["read-write", "read-only"]},
        "ForAllValues:StringEquals": {"aws:TagKeys": ["tenant", "user", "access"]},
    }
    assert ":root" not in json.dumps(trust)
    # AND the broker's own policy allows exactly that role, and reading the grants
    broker_policy = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if p["Properties"]["Roles"][0]["Ref"].startswith("UserSessionBroker")
    ]
    (document,) = [p["Properties"]["PolicyDocument"]["Statement"] for p in broker_policy]
    assume = [s for s in document if s["Action"] == ["sts:AssumeRole", "sts:TagSession"]]
    assert [s["Resource"]["Fn::GetAtt"][0] for s in assume] == [
        next(
            k
            for k in template.find_resources("AWS::IAM::Role")
            if k.startswith("UserProvisioningAccessScopeSharedRole")
        )
    ]


def test_the_shared_role_reaches_only_the_prefix_its_session_tags_name(template):
    policies = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if any(r["Ref"].startswith("UserProvisioningAccessScopeSharedRole") for r in p["Properties"]["Roles"])
    ]
    (policy,) = policies
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    own = "/tenants/${aws:PrincipalTag/tenant}/users/${aws:PrincipalTag/user}/*"
    assert statements["ReadOwnObjects"]["Action"] == "s3:GetObject"
    assert statements["ReadOwnObjects"]["Resource"]["Fn::Join"][1][-1] == own
    assert statements["WriteOwnObjectsWhenReadWrite"]["Condition"] == {
        "StringEquals": {"aws:PrincipalTag/access": "read-write"}
    }
    assert statements["ListOwnPrefix"]["Condition"] == {
        "StringLike": {"s3:prefix": ["tenants/${aws:PrincipalTag/tenant}/users/${aws:PrincipalTag/user}/*"]}
    }
    # No function of the workflow can create, change or delete IAM roles any more.
    for other in template.find_resources("AWS::IAM::Policy").values():
        for statement in other["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not [a for a in actions if a.startswith("iam:")], statement


def test_the_dashboard_charts_the_business_metrics(synthesized_app):
    dashboards = [
        r
        for r in synthesized_app.template("UserProvisioning")["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    body = json.dumps(dashboards[0]["Properties"]["DashboardBody"])
    for metric in (
        "UsersProvisioned",
        "UserProvisioningFailed",
        "ResourcesRolledBack",
        "ResourcesLeftBehind",
    ):
        assert metric in body


# Props validation ------------------------------------------------------------------------------


class _NoPattern(ResourceType):
    type_name: ClassVar[str] = "no-pattern"
    summary: ClassVar[str] = "An instance field anyone could name"
    config_fields: ClassVar = {"name": ConfigField(default="x")}
    instance_field: ClassVar = "name"

    def build(self, scope, context):  # pragma: no cover - rejected before build
        raise AssertionError


class _BadName(_NoPattern):
    type_name: ClassVar[str] = "Bad_Name"


class _Huge(_NoPattern):
    type_name: ClassVar[str] = "huge"
    config_fields: ClassVar = {
        f"field{i}": ConfigField(pattern="^" + "[a-z]" * 40 + "$", default="a" * 40) for i in range(40)
    }
    instance_field: ClassVar = None


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"max_concurrency": 0}, r"^max_concurrency must be between 1 and 40. Received: \[0\]$"),
        ({"max_concurrency": 41}, r"^max_concurrency must be between 1 and 40. Received: \[41\]$"),
        (
            {"resource_types": []},
            r"^resource_types must register at least one resource type. Received: \[\[\]\]$",
        ),
        (
            {"resource_types": [StoragePrefix(), StoragePrefix()]},
            r"^resource_types must name each type once. Received: \[storage-prefix\]$",
        ),
        (
            {"resource_types": [StoragePrefix]},
            r"^resource_types must hold ResourceType instances \(not classes\)",
        ),
        (
            {"resource_types": [_BadName()]},
            r"^type_name must be 1-40 lowercase letters.*Received: \[Bad_Name\]$",
        ),
        (
            {"resource_types": [_NoPattern()]},
            r"^instance_field of \[no-pattern\] must name a string config field",
        ),
        (
            {"resource_types": [_Huge()]},
            r"^resource_types must describe their config in at most 3072 characters",
        ),
        (
            {"event_source": "aws.users"},
            r"^event_source must be .* not start with 'aws\.'. Received: \[aws\.users\]$",
        ),
        (
            {"timeout": cdk.Duration.seconds(30)},
            r"^timeout must be at least 1 minute. Received: \[30 seconds\]$",
        ),
    ],
)
def test_bad_props_are_rejected_when_the_construct_is_built(props, message):
    with pytest.raises(InvalidPropsError, match=message):
        UserProvisioningWorkflow(
            cdk.Stack(),
            "UserProvisioning",
            options=WorkflowOptions(),
            **{"access_scope_trusted_principal_arn": BROKER, **props},
        )


def test_the_default_registry_needs_the_access_scope_broker_named():
    with pytest.raises(InvalidPropsError, match=r"^access_scope_trusted_principal_arn must name the one"):
        UserProvisioningWorkflow(cdk.Stack(), "UserProvisioning", options=WorkflowOptions())


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: ConfigField(kind="float"),
            r"^kind must be one of string, integer, boolean. Received: \[float\]$",
        ),
        (lambda: ConfigField(required=True, default="x"), r"^default cannot be set on a required field"),
        (lambda: ConfigField(pattern="(unclosed"), r"^pattern must be a regular expression"),
        (
            lambda: AccessScope(),
            r"^trusted_principal_arn must name the one principal allowed to open users' access-scope "
            r"sessions .*there is no default. Received: \[None\]$",
        ),
        (
            lambda: AccessScope(trusted_principal_arn="arn:aws:iam::123456789012:root"),
            r"^trusted_principal_arn must name a role or user, never an account root",
        ),
        (
            lambda: AccessScope(trusted_principal_arn=f"arn:aws:iam::{cdk.Aws.ACCOUNT_ID}:root"),
            r"^trusted_principal_arn must name a role or user, never an account root",
        ),
        (lambda: AccessScope(trusted_principal_arn="123456789012"), r"never an account root"),
        (lambda: AccessScope(trusted_principal_arn="sign-in"), r"must be the ARN of an IAM role or user"),
    ],
)
def test_bad_resource_type_options_are_rejected(build, message):
    with pytest.raises(InvalidPropsError, match=message):
        build()


def test_the_built_in_registry_has_the_four_types():
    assert [type(t) for t in default_resource_types(access_scope_trusted_principal_arn=BROKER)] == [
        StoragePrefix,
        ProfileRecord,
        AccessScope,
        ApiKey,
    ]


# A team's own resource type (the example in docs/user-provisioning.md) ---------------------------


class UserSettings(ResourceType):
    """The user's default settings, as an SSM parameter (docs/user-provisioning.md)."""

    type_name: ClassVar[str] = "user-settings"
    summary: ClassVar[str] = "The user's default settings, as an SSM parameter"
    config_fields: ClassVar = {"theme": ConfigField(choices=("light", "dark"), default="light")}

    def build(self, scope, context: ProvisioningContext) -> ResourceSteps:
        parameter_name = sfn.JsonPath.format(
            f"/{context.workflow_name}/{{}}/{{}}/settings",
            sfn.JsonPath.string_at(TENANT_ID),
            sfn.JsonPath.string_at(USER_ID),
        )
        parameters = cdk.Stack.of(scope).format_arn(
            service="ssm", resource="parameter", resource_name=f"{context.workflow_name}/*"
        )
        create = tasks.aws_sdk_call(
            scope,
            "Write the user settings",
            service="ssm",
            action="putParameter",
            parameters={
                "Name": parameter_name,
                "Type": "String",
                "Value": sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(RESOURCE_CONFIG)),
                "Overwrite": True,
            },
            iam_resources=[parameters],
            iam_action="ssm:PutParameter",
            result_selector={"version.$": "$.Version"},
            result_path=PROVISIONED,
        )
        remove = tasks.aws_sdk_call(
            scope,
            "Delete the user settings",
            service="ssm",
            action="deleteParameter",
            parameters={"Name": parameter_name},
            iam_resources=[parameters],
            iam_action="ssm:DeleteParameter",
            result_path=sfn.JsonPath.DISCARD,
        )
        gone = sfn.Pass(scope, "Note the user settings were already gone")
        remove.add_catch(gone, errors=["Ssm.ParameterNotFoundException"], result_path=sfn.JsonPath.DISCARD)
        return ResourceSteps(
            provision=create,
            deprovision=sfn.Chain.custom(remove, [remove, gone], gone),
            state_machine_wildcards={parameters: "One settings parameter per user, named at run time."},
        )


@pytest.fixture(scope="module")
def custom_app(tmp_path_factory):
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("custom")), context={"aws:cdk:version-reporting": False})
    stack = cdk.Stack(app, "Custom")
    workflow = UserProvisioningWorkflow(
        stack,
        "Users",
        options=WorkflowOptions(),
        workflow_name="users-with-settings",
        resource_types=[*default_resource_types(access_scope_trusted_principal_arn=BROKER), UserSettings()],
        max_concurrency=2,
        event_bus=events.EventBus(stack, "Bus"),
    )
    add_checks(app)
    app.synth()  # raises when a guard or a cdk-nag rule finds anything unacknowledged
    return workflow, Template.from_stack(stack)


def test_a_custom_type_plugs_in_with_one_registry_entry_and_passes_every_check(custom_app):
    workflow, template = custom_app
    (definition,) = state_machines(template.to_json()).values()
    route = _state(definition, "Provision each resource", "Route the resource to its provisioner")
    assert "user-settings" in [c["StringEquals"] for c in route["Choices"]]
    assert definition["States"]["Provision each resource"]["MaxConcurrency"] == 2
    assert "user-settings" in json.loads(
        template.find_resources(
            "AWS::Lambda::Function", {"Properties": {"Handler": "user_provisioning.handler.validate_request"}}
        ).popitem()[1]["Properties"]["Environment"]["Variables"]["RESOURCE_TYPES"]
    )
    removal = _state(definition, "Remove what this run created", "Delete the user settings")
    assert [c["ErrorEquals"] for c in removal["Catch"]] == [
        ["Ssm.ParameterNotFoundException"],
        ["States.ALL"],
    ]
    # Without an alarm topic there is no notification step; failure still ends in ProvisioningFailed.
    assert "Notify operations of the failed provisioning" not in definition["States"]
    assert workflow.profiles_table is not None
    # Without a tenant bucket given, the workflow brings its own: private, encrypted, versioned, logged.
    template.has_resource(
        "AWS::S3::Bucket",
        {
            "DeletionPolicy": "RetainExceptOnCreate",
            "Properties": Match.object_like(
                {
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "PublicAccessBlockConfiguration": Match.object_like({"BlockPublicPolicy": True}),
                    "LoggingConfiguration": Match.object_like({"LogFilePrefix": "TenantBucket/"}),
                }
            ),
        },
    )
    assert set(workflow.resource_steps) == {*BUILT_IN_TYPES, "user-settings"}
