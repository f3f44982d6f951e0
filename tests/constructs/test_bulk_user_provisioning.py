"""BulkUserProvisioningWorkflow: a CSV of users in S3, one user-provisioning child execution per row."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from workflow_constructs import InvalidPropsError
from workflow_constructs.definition import state_machines

from business_workflows.bulk_user_provisioning import BulkUserProvisioningWorkflow
from business_workflows.options import WorkflowOptions
from business_workflows.user_provisioning import UserProvisioningWorkflow
from stacks.user_provisioning import ROLE_RESOURCES


@pytest.fixture(scope="module")
def definition(synthesized_app) -> dict:
    machines = state_machines(synthesized_app.template("UserProvisioning"))
    (bulk,) = [d for logical_id, d in machines.items() if logical_id.startswith("BulkUserProvisioning")]
    return bulk


def test_the_request_is_checked_before_any_file_is_read(definition):
    check = definition["States"][definition["StartAt"]]
    assert definition["StartAt"] == "Check the bulk request"
    assert {"Variable": "$.key", "StringMatches": "imports/*.csv"} in check["Choices"][0]["And"]
    assert check["Default"] == "Reject the bulk request"
    assert definition["States"]["Reject the bulk request"]["Error"] == "BulkProvisioningRequestInvalid"


def test_rows_of_the_csv_run_as_child_executions_with_a_failure_budget_and_results_in_s3(definition):
    each_user = definition["States"]["Provision each user in the file"]
    assert each_user["ItemReader"]["Resource"] == "arn:${AWS::Partition}:states:::s3:getObject"
    assert each_user["ItemReader"]["ReaderConfig"] == {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}
    assert each_user["ItemReader"]["Parameters"]["Key.$"] == "$.key"
    assert each_user["ResultWriter"]["Parameters"]["Prefix"] == "results/"
    assert (each_user["MaxConcurrency"], each_user["ToleratedFailurePercentage"]) == (10, 10)
    assert each_user["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "STANDARD",
    }
    assert each_user["Catch"] == [
        {
            "ErrorEquals": ["States.ExceedToleratedFailureThreshold"],
            "Next": "Too many users failed to provision",
        }
    ]
    assert definition["States"]["Too many users failed to provision"]["Error"] == "BulkProvisioningFailed"
    assert each_user["Next"] == "Return where the results are"


def test_each_role_gets_its_resources_and_an_unknown_role_fails_only_its_row(definition):
    states = definition["States"]["Provision each user in the file"]["ItemProcessor"]["States"]
    choose = states["Choose the resources for the role"]
    assert [c["StringEquals"] for c in choose["Choices"]] == list(ROLE_RESOURCES)
    for role, resources in ROLE_RESOURCES.items():
        assert states[f"Use the {role} resources"]["Result"] == resources
        assert states[f"Use the {role} resources"]["Next"] == "Provision the user"
    assert states[choose["Default"]] == {
        "Type": "Fail",
        "Error": "UnknownRole",
        "Cause": "The row's role is not one of: admin, member, viewer.",
    }
    provision = states["Provision the user"]
    assert provision["Resource"] == "arn:${AWS::Partition}:states:::states:startExecution.sync:2"
    assert provision["Parameters"]["StateMachineArn"].startswith("${UserProvisioningWorkflowStateMachine")
    assert provision["Parameters"]["Input"]["correlationId.$"] == "$.correlationId"
    assert provision["Parameters"]["Input"]["user"] == {
        "id.$": "$.row.userId",
        "email.$": "$.row.email",
        "role.$": "$.row.role",
    }


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"role_resources": {}}, r"^role_resources must give the resources of at least one role"),
        (
            {"role_resources": {"admin": [{"type": "mailbox"}]}},
            r"^role_resources \[admin\] must only use types of the user-provisioning registry "
            r".*Received: \[mailbox\]$",
        ),
        ({"role_resources": {"no such role": []}}, r"^role_resources keys must be roles matching"),
        ({"max_concurrency": 0}, r"^max_concurrency must be between 1 and 1000. Received: \[0\]$"),
        ({"tolerated_failure_percentage": 101}, r"^tolerated_failure_percentage must be between 0 and 100"),
    ],
)
def test_bad_props_are_rejected_when_the_construct_is_built(props, message):
    stack = cdk.Stack()
    users = UserProvisioningWorkflow(
        stack,
        "Users",
        options=WorkflowOptions(),
        access_scope_trusted_principal_arn="arn:aws:iam::123456789012:role/sign-in",
    )
    with pytest.raises(InvalidPropsError, match=message):
        BulkUserProvisioningWorkflow(
            stack,
            "Bulk",
            user_provisioning=users,
            options=WorkflowOptions(),
            **{"role_resources": ROLE_RESOURCES, **props},
        )
