"""A failed create rolls back keeping what AWS keeps (patch "cfn-rollback-retention").

AWS: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
``Retain`` resources survive the rollback of a failed create (so a fixed name collides next time);
``RetainExceptOnCreate`` ones are deleted by it; a stack delete keeps both. Before the patch moto
raised out of CreateStack, left the stack CREATE_IN_PROGRESS with what it had made, and deleted
RetainExceptOnCreate resources on stack delete.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from workflow_local_cloud import running_local_cloud


@pytest.fixture(scope="module")
def cloud():
    with running_local_cloud() as harness:
        yield harness


def _template(policy: str, log_group: str, *, failing: bool) -> str:
    """A fixed-name log group with ``policy``; with ``failing``, then a queue SQS refuses to create."""
    resources: dict[str, Any] = {
        "AuditLogs": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": policy,
            "Properties": {"LogGroupName": log_group},
        }
    }
    if failing:
        resources["Orders"] = {
            "Type": "AWS::SQS::Queue",
            "DependsOn": "AuditLogs",
            "Properties": {"QueueName": "not a valid queue name!"},
        }
    return json.dumps({"Resources": resources})


def _log_group_exists(cloud: Any, name: str) -> bool:
    groups = cloud.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(group["logGroupName"] == name for group in groups)


def _status(cloud: Any, stack_id: str) -> str:
    return str(cloud.client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"])


def _failures(cloud: Any, stack_id: str) -> dict[str, str]:
    events = cloud.client("cloudformation").describe_stack_events(StackName=stack_id)["StackEvents"]
    return {
        e["LogicalResourceId"]: e["ResourceStatusReason"]
        for e in events
        if e["ResourceStatus"] == "CREATE_FAILED"
    }


def _create(cloud: Any, template: str) -> str:
    name = f"retention-{uuid.uuid4().hex[:10]}"
    return str(cloud.client("cloudformation").create_stack(StackName=name, TemplateBody=template)["StackId"])


def test_a_retained_log_group_survives_the_rolled_back_create_and_blocks_the_next(cloud):
    # GIVEN a stack whose fixed-name log group is Retain and whose queue cannot be created
    log_group = f"/audit/retain-{uuid.uuid4().hex[:8]}"

    # WHEN it is created
    first = _create(cloud, _template("Retain", log_group, failing=True))

    # THEN the create fails on the queue and rolls back, and the log group is kept
    assert _status(cloud, first) == "ROLLBACK_COMPLETE"
    assert "Can only include alphanumeric characters" in _failures(cloud, first)["Orders"]
    assert _log_group_exists(cloud, log_group)

    # WHEN a stack with the same log group name is created next
    second = _create(cloud, _template("Retain", log_group, failing=False))

    # THEN it fails "already exists" on the log group, as on AWS, and rolls back too
    assert _status(cloud, second) == "ROLLBACK_COMPLETE"
    assert _failures(cloud, second)["AuditLogs"] == (
        "Resource handler returned message: "
        f"\"Resource of type 'AWS::Logs::LogGroup' with identifier '{log_group}' already exists.\" "
        "(HandlerErrorCode: AlreadyExists)"
    )
    assert _log_group_exists(cloud, log_group)


def test_a_retain_except_on_create_log_group_is_deleted_by_the_rollback(cloud):
    # GIVEN the same stack with the log group RetainExceptOnCreate
    log_group = f"/audit/except-on-create-{uuid.uuid4().hex[:8]}"

    # WHEN it is created and fails on the queue
    first = _create(cloud, _template("RetainExceptOnCreate", log_group, failing=True))

    # THEN the rollback deletes the log group
    assert _status(cloud, first) == "ROLLBACK_COMPLETE"
    assert not _log_group_exists(cloud, log_group)

    # AND a second create with the same name succeeds
    second = _create(cloud, _template("RetainExceptOnCreate", log_group, failing=False))
    assert _status(cloud, second) == "CREATE_COMPLETE"
    assert _log_group_exists(cloud, log_group)


def test_a_rolled_back_change_set_of_type_create_deletes_what_it_made_but_retained_resources(cloud):
    # GIVEN a change set of type CREATE: a Retain and a RetainExceptOnCreate log group, a failing queue
    suffix = uuid.uuid4().hex[:8]
    template = json.loads(_template("Retain", f"/audit/cs-retain-{suffix}", failing=True))
    template["Resources"]["DebugLogs"] = {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "RetainExceptOnCreate",
        "Properties": {"LogGroupName": f"/audit/cs-except-{suffix}"},
    }
    template["Resources"]["Orders"]["DependsOn"] = ["AuditLogs", "DebugLogs"]
    cloudformation = cloud.client("cloudformation")
    change_set = cloudformation.create_change_set(
        StackName=f"retention-cs-{suffix}",
        ChangeSetName="create",
        ChangeSetType="CREATE",
        TemplateBody=json.dumps(template),
    )

    # WHEN it is executed (as the CDK CLI deploys a new stack)
    cloudformation.execute_change_set(ChangeSetName=change_set["Id"])

    # THEN the stack rolled back, keeping only the Retain log group; the change set failed to execute
    assert _status(cloud, change_set["StackId"]) == "ROLLBACK_COMPLETE"
    assert _log_group_exists(cloud, f"/audit/cs-retain-{suffix}")
    assert not _log_group_exists(cloud, f"/audit/cs-except-{suffix}")
    described = cloudformation.describe_change_set(ChangeSetName=change_set["Id"])
    assert described["ExecutionStatus"] == "EXECUTE_FAILED"


@pytest.mark.parametrize("policy", ["Retain", "RetainExceptOnCreate"])
def test_a_stack_delete_keeps_retained_log_groups(cloud, policy):
    # GIVEN a created stack holding a log group with a retaining policy
    log_group = f"/audit/delete-{policy.lower()}-{uuid.uuid4().hex[:8]}"
    stack = _create(cloud, _template(policy, log_group, failing=False))
    assert _status(cloud, stack) == "CREATE_COMPLETE"

    # WHEN the stack is deleted
    cloud.client("cloudformation").delete_stack(StackName=stack)

    # THEN the log group is kept
    assert _status(cloud, stack) == "DELETE_COMPLETE"
    assert _log_group_exists(cloud, log_group)


def test_an_update_that_removes_a_retained_log_group_keeps_it(cloud):
    # GIVEN a stack with a RetainExceptOnCreate log group
    log_group = f"/audit/update-{uuid.uuid4().hex[:8]}"
    stack = _create(cloud, _template("RetainExceptOnCreate", log_group, failing=False))

    # WHEN an update removes it from the template
    other = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    cloud.client("cloudformation").update_stack(StackName=stack, TemplateBody=json.dumps(other))

    # THEN the log group is kept
    assert _status(cloud, stack) == "UPDATE_COMPLETE"
    assert _log_group_exists(cloud, log_group)


def test_a_stack_delete_still_deletes_resources_without_a_retaining_policy(cloud):
    # GIVEN a created stack holding a log group with the default policy (Delete)
    log_group = f"/audit/plain-{uuid.uuid4().hex[:8]}"
    stack = _create(cloud, _template("Delete", log_group, failing=False))

    # WHEN the stack is deleted
    cloud.client("cloudformation").delete_stack(StackName=stack)

    # THEN the log group is gone
    assert not _log_group_exists(cloud, log_group)


def test_a_rolled_back_create_exports_nothing(cloud):
    # GIVEN a failing stack that exports its log group's name
    suffix = uuid.uuid4().hex[:8]
    template = json.loads(_template("Retain", f"/audit/export-{suffix}", failing=True))
    template["Outputs"] = {
        "AuditLogsName": {"Value": {"Ref": "AuditLogs"}, "Export": {"Name": f"audit-logs-{suffix}"}}
    }

    # WHEN it is created and rolls back
    stack = _create(cloud, json.dumps(template))
    assert _status(cloud, stack) == "ROLLBACK_COMPLETE"

    # THEN its export is withdrawn (another stack may export that name)
    exports = cloud.client("cloudformation").list_exports()["Exports"]
    assert f"audit-logs-{suffix}" not in {export["Name"] for export in exports}
