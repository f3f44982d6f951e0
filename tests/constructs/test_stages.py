"""Two stages of the app in one account and region: no fixed physical name is shared.

The app is synthesized once per stage ("dev", "prod") for this module. Every property whose key ends
in ``Name`` (at any depth, ``Fn::Join`` rendered with its references as ``${...}``) is collected by
its place in the template; a name that is the same in both stages at the same place would collide,
unless its key is one of the few that are not account-wide names (``NOT_PHYSICAL``). A new fixed
name added without the stage rule fails ``test_no_physical_name_is_shared_by_two_stages``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from workflow_constructs.naming import STAGE_MAX_LENGTH, STAGE_TAG, InvalidStageError

STAGES = ("dev", "prod")
NOT_PHYSICAL = {
    "AttributeName": "a DynamoDB key or TTL attribute, inside its own table",
    "IndexName": "a DynamoDB index, inside its own table",
    "MetricName": "a metric, inside its namespace (which carries the stage: Workflows/<stage>-<workflow>)",
    "PolicyName": "an inline IAM policy, inside its own role",
    "StageName": "an API Gateway stage (v1), inside its own RestApi",
    "DisplayName": "an SNS topic's display name: a label, not an identifier",
    "Dimensions/Name": "a metric dimension's key (StateMachineArn)",
}
"""Keys ending in ``Name`` that name nothing account-wide, with why."""

# The longest name each kind of physical name may have (AWS quotas), by the key it is set with.
LIMITS = {
    "StateMachineName": 80,
    "LogGroupName": 512,
    "AlarmName": 255,
    "DashboardName": 255,
    "Template/TemplateName": 64,
    "Export/Name": 255,
    "Name": 1024,  # AWS::ApiGateway::RestApi
    "stack": 128,
}


@dataclass(frozen=True)
class StagedApp:
    stage: str
    stack_names: Mapping[str, str]
    """Construct id -> deployed stack name."""
    templates: Mapping[str, dict[str, Any]]
    """Construct id -> template."""
    stack_tags: Mapping[str, Mapping[str, str]]
    """Construct id -> the tags CloudFormation puts on the stack itself."""


@pytest.fixture(scope="module")
def staged_apps(tmp_path_factory, cdk_context) -> dict[str, StagedApp]:
    from app import build_app

    apps = {}
    for stage in STAGES:
        outdir = tmp_path_factory.mktemp(f"cdk.out-{stage}")
        assembly = build_app(outdir=str(outdir), context={**cdk_context, "stage": stage}).synth()
        apps[stage] = StagedApp(
            stage=stage,
            stack_names={stack.id: stack.stack_name for stack in assembly.stacks},
            templates={stack.id: stack.template for stack in assembly.stacks},
            stack_tags={stack.id: dict(stack.tags) for stack in assembly.stacks},
        )
    return apps


def _render(value: Any) -> str | None:
    """A literal string as is; ``Fn::Join`` of literals and references as a string; else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and list(value) == ["Fn::Join"]:
        separator, parts = value["Fn::Join"]
        return separator.join(part if isinstance(part, str) else _reference(part) for part in parts)
    return None


def _reference(part: Any) -> str:
    """``{"Ref": "AWS::Region"}`` as ``${Ref:AWS::Region}``."""
    label = json.dumps(part, sort_keys=True).translate(str.maketrans("", "", '{}"[] '))
    return f"${{{label}}}"


def _names(node: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """(place, key, name) of every property whose key ends in ``Name`` with a string-like value."""
    if isinstance(node, dict):
        for key, value in node.items():
            place = f"{path}/{key}"
            rendered = _render(value) if key.endswith("Name") else None
            if rendered is not None:
                yield place, key, rendered
            yield from _names(value, place)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _names(value, f"{path}[{index}]")


def _kind(place: str, key: str) -> str:
    parent = re.sub(r"\[\d+\]$", "", place.rsplit("/", 2)[-2])
    qualified = f"{parent}/{key}"
    return qualified if qualified in NOT_PHYSICAL or qualified in LIMITS else key


def physical_names(app: StagedApp) -> dict[str, str]:
    """Place -> name of every account-wide name the app sets, stack names included."""
    names = {f"{stack_id}/stack": name for stack_id, name in app.stack_names.items()}
    for stack_id, template in app.templates.items():
        for place, key, name in _names(template, stack_id):
            if _kind(place, key) not in NOT_PHYSICAL:
                names[place] = name
    return names


def test_no_physical_name_is_shared_by_two_stages(staged_apps):
    # GIVEN the app synthesized for two stages
    dev, prod = (physical_names(staged_apps[stage]) for stage in STAGES)
    # THEN they set names at the same places (the stage changes names, not what is built)
    assert sorted(dev) == sorted(prod)
    # AND no name is set by both: neither at the same place nor anywhere else
    assert {place: name for place, name in dev.items() if prod[place] == name} == {}
    assert set(dev.values()) & set(prod.values()) == set()


def test_every_physical_name_starts_with_its_stage(staged_apps):
    for stage, app in staged_apps.items():
        # A log group keeps its service's path (/aws/vendedlogs/states/): its last segment is staged.
        unprefixed = {
            place: name
            for place, name in physical_names(app).items()
            if not name.rsplit("/", 1)[-1].startswith(f"{stage}-")
        }
        assert unprefixed == {}, f"stage {stage}"


def test_the_names_known_to_be_fixed_are_all_collected(staged_apps):
    # GIVEN the dev stage's names, by kind
    kinds: dict[str, list[str]] = {}
    for place, name in physical_names(staged_apps["dev"]).items():
        kind = _kind(place, place.rsplit("/", 1)[1])
        kinds.setdefault(kind, []).append(name)
    # THEN every kind the stage must prefix is among them: the scan would see one left out
    assert {
        "StateMachineName",
        "LogGroupName",
        "AlarmName",
        "DashboardName",
        "Template/TemplateName",
        "Name",
        "Export/Name",
        "stack",
    } <= set(kinds)
    assert "dev-billing" in kinds["StateMachineName"]
    assert "/aws/vendedlogs/states/dev-billing" in kinds["LogGroupName"]
    assert "dev-billing-ExecutionsFailed" in kinds["AlarmName"]
    assert "dev-customer-onboarding-welcome" in kinds["Template/TemplateName"]
    assert "dev-billing-payment-webhook" in kinds["Name"]
    assert "dev-CustomerOnboarding" in kinds["stack"]


def test_every_name_fits_its_limit_with_the_longest_stage(staged_apps):
    # GIVEN the dev stage's names, lengthened to what the longest allowed stage would make them
    extra = STAGE_MAX_LENGTH - len("dev")
    too_long = {}
    for place, name in physical_names(staged_apps["dev"]).items():
        kind = _kind(place, place.rsplit("/", 1)[1])
        # References (the region, the account) are not counted: AWS fills them in, CloudFormation
        # checks them at deploy; every reference here is the region (at most 14 characters).
        literal = re.sub(r"\$\{[^}]*\}", "x" * 14, name)
        if len(literal) + extra > LIMITS[kind]:
            too_long[place] = (len(literal) + extra, LIMITS[kind])
    # THEN every one still fits its service's limit
    assert too_long == {}


def test_user_provisioning_is_imported_from_the_same_stage(staged_apps):
    for stage, app in staged_apps.items():
        # GIVEN the machines the user-provisioning stack creates in this stage
        created = {
            resource["Properties"]["StateMachineName"]
            for resource in app.templates["UserProvisioning"]["Resources"].values()
            if resource["Type"] == "AWS::StepFunctions::StateMachine"
        }
        # WHEN onboarding names state machines by ARN (its by-name imports)
        onboarding = json.dumps(app.templates["CustomerOnboarding"])
        imported = set(re.findall(r"stateMachine:([A-Za-z0-9_-]+)", onboarding))
        # THEN it names exactly this stage's provisioning and deprovisioning machines
        assert imported == {f"{stage}-user-provisioning", f"{stage}-user-deprovisioning"}
        assert imported <= created


def test_every_stack_carries_the_stage_tag(staged_apps):
    for stage, app in staged_apps.items():
        assert {stack_id: tags.get(STAGE_TAG) for stack_id, tags in app.stack_tags.items()} == dict.fromkeys(
            app.templates, stage
        )
        for stack_id, template in app.templates.items():
            machines = [
                r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"
            ]
            for machine in machines:
                assert {"Key": STAGE_TAG, "Value": stage} in machine["Properties"]["Tags"], stack_id
            topics = [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Topic"]
            for topic in topics:
                assert {"Key": STAGE_TAG, "Value": stage} in topic["Properties"]["Tags"], stack_id


def test_no_stage_means_no_stage_tag(synthesized_app):
    rendered = json.dumps(synthesized_app.templates)
    assert f'"Key": "{STAGE_TAG}"' not in rendered
    assert sorted(synthesized_app.templates) == sorted(
        ["Billing", "CustomerOnboarding", "Operations", "StackDeployment", "UserProvisioning"]
    )


@pytest.mark.parametrize("stage", ["Dev", "1dev", "dev-", "dev_1", "x" * (STAGE_MAX_LENGTH + 1), "dév"])
def test_an_invalid_stage_fails_synth_before_anything_is_built(cdk_context, tmp_path, stage):
    from app import build_app

    with pytest.raises(InvalidStageError, match=r"^stage must be 1-16 characters .*Received: \["):
        build_app(outdir=str(tmp_path), context={**cdk_context, "stage": stage})
    # No side effect: nothing was written to the assembly directory
    assert list(tmp_path.iterdir()) == []


def _staged_stack(stage: str | None) -> Any:
    import aws_cdk as cdk

    app = cdk.App(context={"stage": stage} if stage else {})
    return cdk.Stack(app, "Library")


def _one_state_workflow(stack: Any, workflow_name: str) -> Any:
    from aws_cdk import aws_stepfunctions as sfn
    from workflow_constructs import Workflow

    return Workflow(
        stack, "Flow", workflow_name=workflow_name, definition=sfn.Pass(stack, "Hand the request on")
    )


def test_a_library_workflow_without_the_stage_prefix_is_refused():
    from workflow_constructs import InvalidPropsError

    # GIVEN an app with a stage, WHEN a Workflow is named without it, THEN synth fails naming the fix
    with pytest.raises(InvalidPropsError, match=r"must carry the app's stage \[dev\] .*staged_name"):
        _one_state_workflow(_staged_stack("dev"), "showcase")


def test_staged_name_follows_the_app_stage_and_is_unchanged_without_one():
    from workflow_constructs.stage import stage_of, staged_name

    staged, plain = _staged_stack("dev"), _staged_stack(None)
    assert (stage_of(staged), staged_name(staged, "showcase")) == ("dev", "dev-showcase")
    assert (stage_of(plain), staged_name(plain, "showcase")) == (None, "showcase")
    # AND a Workflow named by the rule builds, its log group and alarms staged with it
    workflow = _one_state_workflow(staged, staged_name(staged, "showcase"))
    assert workflow.alarm_name("ExecutionsFailed") == "dev-showcase-ExecutionsFailed"


def test_cfn_lint_accepts_the_staged_templates(staged_apps):
    # The staged names must match each resource type's name pattern, as the unstaged ones do
    # (tests/security lints those).
    from cfnlint.api import lint_all

    findings = [
        f"{stack_id}: {match.rule.id} {match.message} ({'/'.join(map(str, match.path))})"
        for stack_id, template in staged_apps["dev"].templates.items()
        for match in lint_all(json.dumps(template))
        if match.rule.severity.lower() in ("error", "warning")
    ]
    assert findings == []
