"""The change set deployment fragment's JSONata, evaluated as Step Functions would: $states, variables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonata
import pytest
from workflow_constructs.fragments import change_set_expressions as expr

REPO_ROOT = Path(__file__).resolve().parents[2]
BUCKET = "templates-bucket"
PREFIX = "svc-"
VALID = {
    "correlationId": "c-1",
    "stackName": "svc-orders",
    "templateUrl": f"https://{BUCKET}.s3.eu-west-1.amazonaws.com/orders/42.yaml",
    "parameters": {"Retention": "345600", "Replicas": 2, "Public": False},
    "tags": {"team": "orders"},
    "requireApproval": True,
    "reason": "Release 42",
}
NAME_RULE = "stackName must be 1-128 letters, digits and hyphens, starting with a letter."
TAGS_RULE = "tags must be an object of at most 50 Key: string value, no key starting with aws:."


def evaluate(body: str, *, states: dict[str, Any] | None = None, **variables: Any) -> Any:
    return jsonata.Jsonata(body).evaluate(None, {"states": states or {}, **variables})


def problems(request: dict[str, Any]) -> list[str]:
    body = expr.request_problems(stack_name_prefix=PREFIX, template_bucket_name=BUCKET)
    return evaluate(body, states={"input": request}) or []


# Validation -------------------------------------------------------------------------------------


def test_a_complete_request_has_no_problems():
    assert problems(VALID) == []


def test_only_the_required_fields_are_needed():
    # GIVEN a request without parameters, tags and requireApproval
    minimal = {key: VALID[key] for key in ("correlationId", "stackName", "templateUrl", "reason")}
    # THEN it is valid
    assert problems(minimal) == []


@pytest.mark.parametrize(
    "url",
    [
        f"https://{BUCKET}.s3.amazonaws.com/t.yaml",
        f"https://{BUCKET}.s3.eu-west-1.amazonaws.com/deep/path/t.json",
        f"https://{BUCKET}.s3-eu-west-1.amazonaws.com/t.yaml",
        f"https://s3.amazonaws.com/{BUCKET}/t.yaml",
        f"https://s3.eu-west-1.amazonaws.com/{BUCKET}/t.yaml",
        f"https://{BUCKET}.s3.cn-north-1.amazonaws.com.cn/t.yaml",
    ],
)
def test_every_s3_url_form_of_the_template_bucket_is_accepted(url):
    assert problems({**VALID, "templateUrl": url}) == []


@pytest.mark.parametrize(
    ("request_", "kind"), [([VALID], "array"), ("svc-orders", "string"), (42, "number"), (None, "null")]
)
def test_an_input_that_is_not_an_object_is_refused_even_a_list_holding_a_valid_request(request_, kind):
    # GIVEN an input that is not a JSON object (a JSONata path would map over a list's items)
    body = expr.request_problems(stack_name_prefix=PREFIX, template_bucket_name=BUCKET)

    # WHEN it is checked
    found = evaluate(body, states={"input": request_})

    # THEN that is the one problem reported
    assert found == [f"the input must be a JSON object. Received: [{kind}]"]


def test_an_empty_request_reports_every_missing_field_at_once():
    # WHEN nothing is given
    found = problems({})
    # THEN each required field is named, with what was received
    assert found == [
        "correlationId must be a non-empty string of at most 256 characters. Received: [(missing)]",
        "stackName must be 1-128 letters, digits and hyphens, starting with a letter. Received: [(missing)]",
        "templateUrl must be the https:// URL of an Amazon S3 object "
        "(https://<bucket>.s3.<region>.amazonaws.com/<key>). Received: [(missing)]",
        "reason must be a non-empty string of at most 1024 characters. Received: [(missing)]",
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "correlationId",
            "  ",
            "correlationId must be a non-empty string of at most 256 characters. Received: [  ]",
        ),
        (
            "correlationId",
            7,
            "correlationId must be a non-empty string of at most 256 characters. Received: [7]",
        ),
        (
            "stackName",
            "svc_orders",
            f"{NAME_RULE} Received: [svc_orders]",
        ),
        (
            "stackName",
            "svc-" + "a" * 125,
            f"{NAME_RULE} Received: [svc-{'a' * 125}]",
        ),
        (
            "stackName",
            "billing-core",
            "stackName must start with svc-, the prefix of the stacks this workflow may deploy. "
            "Received: [billing-core]",
        ),
        (
            "templateUrl",
            f"http://{BUCKET}.s3.amazonaws.com/t.yaml",
            "templateUrl must be the https:// URL of an Amazon S3 object "
            f"(https://<bucket>.s3.<region>.amazonaws.com/<key>). Received: [http://{BUCKET}.s3.amazonaws.com/t.yaml]",
        ),
        (
            "templateUrl",
            f"s3://{BUCKET}/t.yaml",
            "templateUrl must be the https:// URL of an Amazon S3 object "
            f"(https://<bucket>.s3.<region>.amazonaws.com/<key>). Received: [s3://{BUCKET}/t.yaml]",
        ),
        (
            "templateUrl",
            f"https://{BUCKET}.s3.amazonaws.com/",
            "templateUrl must be the https:// URL of an Amazon S3 object "
            f"(https://<bucket>.s3.<region>.amazonaws.com/<key>). Received: [https://{BUCKET}.s3.amazonaws.com/]",
        ),
        (
            "templateUrl",
            "https://someone-else.s3.amazonaws.com/t.yaml",
            f"templateUrl must point into the template bucket {BUCKET}. "
            "Received: [https://someone-else.s3.amazonaws.com/t.yaml]",
        ),
        (
            "parameters",
            [{"ParameterKey": "A", "ParameterValue": "1"}],
            "parameters must be an object of ParameterKey: value (string, number or boolean). "
            'Received: [[{"ParameterKey":"A","ParameterValue":"1"}]]',
        ),
        (
            "parameters",
            {"Subnets": ["a", "b"]},
            "parameters must be an object of ParameterKey: value (string, number or boolean). "
            'Received: [{"Subnets":["a","b"]}]',
        ),
        (
            "tags",
            {"aws:cloudformation:stack-name": "x"},
            f'{TAGS_RULE} Received: [{{"aws:cloudformation:stack-name":"x"}}]',
        ),
        (
            "tags",
            {"cost-centre": 42},
            f'{TAGS_RULE} Received: [{{"cost-centre":42}}]',
        ),
        ("requireApproval", "yes", "requireApproval must be true or false. Received: [yes]"),
        ("reason", "", "reason must be a non-empty string of at most 1024 characters. Received: []"),
        (
            "reason",
            "r" * 1025,
            f"reason must be a non-empty string of at most 1024 characters. Received: [{'r' * 1025}]",
        ),
    ],
)
def test_each_invalid_field_is_reported_with_what_was_received(field, value, message):
    assert problems({**VALID, field: value}) == [message]


def test_more_than_fifty_tags_are_refused():
    tags = {f"t{i}": "v" for i in range(51)}
    assert [p.split(".")[0] for p in problems({**VALID, "tags": tags})] == [
        "tags must be an object of at most 50 Key: string value, no key starting with aws:"
    ]


# The request as CloudFormation takes it ---------------------------------------------------------


def test_parameters_and_tags_become_cloudformation_lists():
    request = evaluate(expr.deployment_request(), states={"input": VALID})
    assert request == {
        "correlationId": "c-1",
        "stackName": "svc-orders",
        "templateUrl": VALID["templateUrl"],
        # numbers and booleans are sent as the strings CloudFormation parameters are
        "parameters": [
            {"ParameterKey": "Retention", "ParameterValue": "345600"},
            {"ParameterKey": "Replicas", "ParameterValue": "2"},
            {"ParameterKey": "Public", "ParameterValue": "false"},
        ],
        "tagsGiven": True,
        "tags": [{"Key": "team", "Value": "orders"}],
        "requireApproval": True,
        "reason": "Release 42",
        "requestedBy": None,  # only the deployment entry sets it
    }


def test_the_requester_the_entry_recorded_is_kept_and_anything_else_is_none():
    arn = "arn:aws:sts::123456789012:assumed-role/Deployer/ana"
    assert (
        evaluate(expr.deployment_request(), states={"input": {**VALID, "requestedBy": arn}})["requestedBy"]
        == arn
    )
    assert (
        evaluate(expr.deployment_request(), states={"input": {**VALID, "requestedBy": 5}})["requestedBy"]
        is None
    )


@pytest.mark.parametrize(
    ("approved", "approved_by", "requested_by", "executes"),
    [
        (True, "arn:ben", "arn:ana", True),
        (True, "arn:ana", "arn:ana", False),  # the requester approving: refused again here
        (True, None, "arn:ana", False),  # no approver named
        (True, "arn:ben", None, False),  # no requester recorded (not started through the entry)
        (False, "arn:ben", "arn:ana", False),
    ],
)
def test_only_an_approval_by_someone_other_than_the_requester_executes(
    approved, approved_by, requested_by, executes
):
    assert (
        evaluate(
            expr.approved_by_another(),
            approved=approved,
            approvedBy=approved_by,
            request={"requestedBy": requested_by},
        )
        is executes
    )


def test_left_out_parameters_tags_and_approval_have_safe_defaults():
    minimal = {key: VALID[key] for key in ("correlationId", "stackName", "templateUrl", "reason")}
    request = evaluate(expr.deployment_request(), states={"input": minimal})
    assert (request["parameters"], request["tags"], request["tagsGiven"], request["requireApproval"]) == (
        [],
        [],
        False,
        False,
    )


def test_a_single_parameter_stays_a_list():
    # GIVEN one parameter (JSONata collapses one-item sequences unless told not to)
    request = evaluate(expr.deployment_request(), states={"input": {**VALID, "parameters": {"A": "1"}}})
    assert request["parameters"] == [{"ParameterKey": "A", "ParameterValue": "1"}]


@pytest.mark.parametrize(
    ("tags_given", "stack", "expected"),
    [
        (True, {"Tags": [{"Key": "old", "Value": "1"}]}, [{"Key": "team", "Value": "orders"}]),
        (False, {"Tags": [{"Key": "old", "Value": "1"}]}, [{"Key": "old", "Value": "1"}]),
        (False, {}, []),
    ],
    ids=["requested tags replace", "no tags requested keeps the stack's", "new stack without tags"],
)
def test_tags_sent_with_the_change_set(tags_given, stack, expected):
    request = {"tagsGiven": tags_given, "tags": [{"Key": "team", "Value": "orders"}]}
    assert evaluate(expr.tags_argument(), request=request, stack=stack) == expected


def test_change_set_name_is_the_execution_name_made_valid():
    # GIVEN an execution name with characters a change set name may not hold
    name = evaluate(
        expr.change_set_name(), states={"context": {"Execution": {"Name": "release_42.1:hotfix"}}}
    )
    # THEN they become '-', behind a prefix that starts with a letter
    assert name == "deploy-release-42-1-hotfix"


def test_change_set_name_never_exceeds_128_characters():
    name = evaluate(expr.change_set_name(), states={"context": {"Execution": {"Name": "9" * 200}}})
    assert len(name) == 128
    assert name.startswith("deploy-9")


# Choosing CREATE or UPDATE ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cause", "status"),
    [
        (
            "Stack with id svc-orders does not exist (Service: CloudFormation, Status Code: 400)",
            "DOES_NOT_EXIST",
        ),
        ("User is not authorized to perform: cloudformation:DescribeStacks", "LOOKUP_FAILED"),
    ],
)
def test_a_missing_stack_is_told_apart_from_a_failed_lookup(cause, status):
    caught = {"Error": "CloudFormation.CloudFormationException", "Cause": cause}
    assert evaluate(expr.stack_status_after_lookup_error(), callError=caught) == status


THROTTLED_CAUSE = "Rate exceeded (Service: CloudFormation, Status Code: 400, Error Code: Throttling)"


def test_a_throttled_lookup_is_never_taken_for_a_missing_stack():
    caught = {"Error": "CloudFormation.CloudFormationException", "Cause": THROTTLED_CAUSE}
    assert evaluate(expr.stack_status_after_lookup_error(), callError=caught) == "LOOKUP_FAILED"
    assert evaluate(expr.was_throttled(max_retries=8), callError=caught, throttles=1) is True


@pytest.mark.parametrize(
    ("error", "cause", "throttles", "again"),
    [
        ("CloudFormation.CloudFormationException", THROTTLED_CAUSE, 8, True),
        ("CloudFormation.CloudFormationException", THROTTLED_CAUSE, 9, False),  # bounded
        (
            "CloudFormation.CloudFormationException",
            "Stack with id x does not exist (Error Code: ValidationError)",
            1,
            False,
        ),
        ("CloudFormation.InvalidChangeSetStatusException", "Rate exceeded", 1, False),
        ("States.Timeout", None, 1, False),
    ],
)
def test_only_throttling_is_called_again(error, cause, throttles, again):
    caught = {"Error": error, **({"Cause": cause} if cause else {})}
    assert bool(evaluate(expr.was_throttled(max_retries=8), callError=caught, throttles=throttles)) is again


def test_the_wait_after_throttling_is_jittered_and_capped():
    waits = {evaluate(expr.throttled_wait_seconds(max_seconds=60), throttles=10) for _ in range(200)}
    assert min(waits) >= 1
    assert max(waits) <= 61
    assert len(waits) > 10


@pytest.mark.parametrize(
    ("status", "creatable", "updatable"),
    [
        ("DOES_NOT_EXIST", True, False),
        ("REVIEW_IN_PROGRESS", True, False),
        ("CREATE_COMPLETE", False, True),
        ("UPDATE_ROLLBACK_COMPLETE", False, True),
        ("ROLLBACK_COMPLETE", False, False),
        ("UPDATE_IN_PROGRESS", False, False),
    ],
)
def test_which_statuses_take_which_change_set(status, creatable, updatable):
    assert evaluate(expr.is_creatable(), stackStatus=status) is creatable
    assert evaluate(expr.is_updatable(), stackStatus=status) is updatable


# The change list --------------------------------------------------------------------------------

DESCRIBED = {
    "Status": "CREATE_COMPLETE",
    "Changes": [
        {
            "Type": "Resource",
            "ResourceChange": {
                "Action": "Modify",
                "LogicalResourceId": "Queue",
                "PhysicalResourceId": "https://sqs/svc-orders-Queue-1",
                "ResourceType": "AWS::SQS::Queue",
                "Replacement": "True",
            },
        },
        {
            "Type": "Resource",
            "ResourceChange": {
                "Action": "Modify",
                "LogicalResourceId": "Topic",
                "PhysicalResourceId": "arn:aws:sns:eu-west-1:1:svc-orders-Topic-1",
                "ResourceType": "AWS::SNS::Topic",
                "Replacement": "Conditional",
            },
        },
        {
            "Type": "Resource",
            "ResourceChange": {
                "Action": "Add",
                "LogicalResourceId": "Dlq",
                "ResourceType": "AWS::SQS::Queue",
            },
        },
        {"Type": "HookInvocation", "HookInvocation": {"HookType": "Private::Guard::Hook"}},
    ],
}
CHANGES = [
    {
        "action": "Modify",
        "logicalId": "Queue",
        "physicalId": "https://sqs/svc-orders-Queue-1",
        "resourceType": "AWS::SQS::Queue",
        "replacement": "Yes",
    },
    {
        "action": "Modify",
        "logicalId": "Topic",
        "physicalId": "arn:aws:sns:eu-west-1:1:svc-orders-Topic-1",
        "resourceType": "AWS::SNS::Topic",
        "replacement": "Conditional",
    },
    {"action": "Add", "logicalId": "Dlq", "resourceType": "AWS::SQS::Queue", "replacement": "No"},
]


def test_change_list_names_action_resource_and_replacement():
    assert evaluate(expr.change_list(append_to_previous=False), states={"result": DESCRIBED}) == CHANGES


def test_a_later_page_of_changes_is_appended():
    page = {"Changes": [DESCRIBED["Changes"][2]]}
    changes = evaluate(
        expr.change_list(append_to_previous=True), states={"result": page}, changes=CHANGES[:2]
    )
    assert changes == CHANGES


def test_a_change_set_without_changes_gives_an_empty_list():
    assert evaluate(expr.change_list(append_to_previous=False), states={"result": {"Changes": []}}) == []


def test_change_summary_has_one_line_per_change():
    assert evaluate(expr.change_summary(), changes=CHANGES) == [
        "Modify Queue (AWS::SQS::Queue), REPLACED",
        "Modify Topic (AWS::SNS::Topic), may be replaced",
        "Add Dlq (AWS::SQS::Queue)",
    ]


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        ("FAILED", "The submitted information didn't contain changes. Submit different information.", True),
        ("FAILED", "No updates are to be performed.", True),
        ("FAILED", "Template format error: Unresolved resource dependencies [Nope]", False),
        ("CREATE_COMPLETE", "", False),
    ],
)
def test_no_changes_is_recognised_from_the_status_reason(status, reason, expected):
    assert evaluate(expr.is_no_changes_failure(), changeSetStatus=status, changeSetReason=reason) is expected


# The stack after execution ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "succeeded", "in_progress"),
    [
        ("UPDATE_COMPLETE", True, False),
        ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", False, True),
        ("UPDATE_ROLLBACK_IN_PROGRESS", False, True),
        ("UPDATE_ROLLBACK_COMPLETE", False, False),
        ("ROLLBACK_COMPLETE", False, False),
    ],
)
def test_settled_and_in_progress_statuses(status, succeeded, in_progress):
    stack = {"StackStatus": status}
    assert evaluate(expr.is_settled_successfully(), stack=stack) is succeeded
    assert evaluate(expr.is_in_progress(), stack=stack) is in_progress


def test_deployment_result_carries_status_changes_and_outputs_by_key():
    # GIVEN a deployed stack with two outputs
    stack = {
        "StackId": "arn:aws:cloudformation:eu-west-1:1:stack/svc-orders/1",
        "StackStatus": "UPDATE_COMPLETE",
        "Outputs": [
            {"OutputKey": "QueueUrl", "OutputValue": "https://q"},
            {"OutputKey": "Arn", "OutputValue": "a"},
        ],
    }
    # WHEN the result is built
    result = evaluate(
        expr.deployment_result(changes="$changes"),
        request={"correlationId": "c-1", "stackName": "svc-orders", "requestedBy": "arn:ana"},
        stack=stack,
        changeSetName="deploy-x",
        changeSetType="UPDATE",
        changes=CHANGES[:1],
        approvedBy="arn:ben",
    )
    # THEN outputs are an object by key, next to what changed and who approved
    assert result == {
        "correlationId": "c-1",
        "stackName": "svc-orders",
        "stackId": stack["StackId"],
        "changeSetName": "deploy-x",
        "changeSetType": "UPDATE",
        "stackStatus": "UPDATE_COMPLETE",
        "changes": CHANGES[:1],
        "outputs": {"QueueUrl": "https://q", "Arn": "a"},
        "requestedBy": "arn:ana",
        "approvedBy": "arn:ben",
    }


def test_a_stack_without_outputs_has_an_empty_outputs_object():
    assert evaluate(expr.stack_outputs(), stack={"StackStatus": "UPDATE_COMPLETE"}) == {}


# The failure tail -------------------------------------------------------------------------------


def _event(
    minute: int, logical_id: str, status: str, reason: str | None = None, token: str | None = "deploy-x"
):
    event = {
        "Timestamp": f"2026-01-02T03:{minute:02d}:00.000Z",
        "LogicalResourceId": logical_id,
        "ResourceType": "AWS::CloudFormation::Stack" if logical_id == "svc-orders" else "AWS::SQS::Queue",
        "ResourceStatus": status,
    }
    if reason:
        event["ResourceStatusReason"] = reason
    if token:
        event["ClientRequestToken"] = token
    return event


# Newest first, as DescribeStackEvents returns them.
EVENTS = [
    _event(9, "svc-orders", "UPDATE_ROLLBACK_COMPLETE"),
    _event(8, "Queue", "UPDATE_COMPLETE"),
    _event(
        7, "svc-orders", "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [Dlq]."
    ),
    _event(
        6,
        "Dlq",
        "UPDATE_FAILED",
        "Resource handler returned message: Invalid value for MessageRetentionPeriod",
    ),
    _event(5, "Queue", "UPDATE_FAILED", "Resource update cancelled"),
    _event(4, "svc-orders", "UPDATE_IN_PROGRESS", "User Initiated"),
    _event(1, "Dlq", "CREATE_FAILED", "an older deployment's failure", token="deploy-old"),
]


def read_tail(*pages, count=10, token="deploy-x"):
    """Page through ``pages`` as the workflow does; the failed events the cause would list."""
    failed: list = []
    for number, page in enumerate(pages):
        failed = (
            evaluate(
                expr.failed_events_so_far(first_page=number == 0),
                states={"result": {"StackEvents": page}},
                changeSetName=token,
                failedEvents=failed,
            )
            or []
        )
    return evaluate(expr.failure_events(count=count), failedEvents=failed) or [], failed


def failure_events(events, *, count=10, token="deploy-x"):
    return read_tail(events, count=count, token=token)[0]


def test_only_this_deployments_failed_events_are_kept_oldest_first():
    assert failure_events(EVENTS) == [
        {
            "timestamp": "2026-01-02T03:05:00.000Z",
            "logicalId": "Queue",
            "resourceType": "AWS::SQS::Queue",
            "status": "UPDATE_FAILED",
            "reason": "Resource update cancelled",
        },
        {
            "timestamp": "2026-01-02T03:06:00.000Z",
            "logicalId": "Dlq",
            "resourceType": "AWS::SQS::Queue",
            "status": "UPDATE_FAILED",
            "reason": "Resource handler returned message: Invalid value for MessageRetentionPeriod",
        },
    ]


def test_the_tail_keeps_the_first_failures_up_to_the_count():
    assert [event["logicalId"] for event in failure_events(EVENTS, count=1)] == ["Queue"]


def test_the_first_failure_on_a_later_page_leads_the_tail():
    # GIVEN this deployment's events over two pages: the newest (a failed cleanup) first
    newer = [_event(12, "Queue", "DELETE_FAILED", "cleanup"), _event(11, "Queue", "UPDATE_COMPLETE")]
    tail, _ = read_tail(newer, EVENTS, count=2)
    # THEN the first failures of the deployment lead, from the second page
    assert [(event["timestamp"], event["reason"]) for event in tail] == [
        ("2026-01-02T03:05:00.000Z", "Resource update cancelled"),
        (
            "2026-01-02T03:06:00.000Z",
            "Resource handler returned message: Invalid value for MessageRetentionPeriod",
        ),
    ]


@pytest.mark.parametrize(
    ("page", "next_token", "run_out"),
    [
        (EVENTS[:2], "t", False),  # all ours, more to read
        (EVENTS, "t", True),  # reached an older deployment's events
        (EVENTS[:2], None, True),  # the last page
    ],
)
def test_paging_stops_when_this_deployments_events_run_out(page, next_token, run_out):
    result = {"StackEvents": page, **({"NextToken": next_token} if next_token else {})}
    assert (
        evaluate(expr.events_of_deployment_run_out(), states={"result": result}, changeSetName="deploy-x")
        is run_out
    )


def test_events_without_the_token_fall_back_to_the_stacks_failures():
    # GIVEN events that carry no ClientRequestToken (as an emulator may give them)
    untagged = [{k: v for k, v in event.items() if k != "ClientRequestToken"} for event in EVENTS]
    # THEN the stack's failed events on the page are used, first ones first
    assert [event["reason"] for event in failure_events(untagged, count=2)] == [
        "an older deployment's failure",
        "Resource update cancelled",
    ]


def test_no_failed_events_gives_an_empty_tail():
    assert failure_events(EVENTS[:2]) == []


def _cause(failed, **stack):
    return evaluate(
        expr.deployment_failure_cause(count=10),
        request={"stackName": "svc-orders"},
        stack=stack,
        failedEvents=failed,
    )


def test_failure_cause_states_the_status_then_one_line_per_failed_event():
    cause = _cause(read_tail(EVENTS)[1], StackStatus="UPDATE_ROLLBACK_COMPLETE")
    assert cause == (
        "Stack svc-orders ended UPDATE_ROLLBACK_COMPLETE. Failed events, oldest first:\n"
        "2026-01-02T03:05:00.000Z Queue (AWS::SQS::Queue) UPDATE_FAILED: Resource update cancelled\n"
        "2026-01-02T03:06:00.000Z Dlq (AWS::SQS::Queue) UPDATE_FAILED: "
        "Resource handler returned message: Invalid value for MessageRetentionPeriod"
    )


def test_failure_cause_without_events_still_gives_the_status_and_its_reason():
    cause = _cause([], StackStatus="ROLLBACK_COMPLETE", StackStatusReason="Stack creation time exceeded")
    assert cause == (
        "Stack svc-orders ended ROLLBACK_COMPLETE (Stack creation time exceeded). No failed resource events "
        "were found; read the stack events in the CloudFormation console."
    )


def test_failure_cause_fits_the_step_functions_limit():
    long_reason = [{**read_tail(EVENTS)[1][0], "ResourceStatusReason": "x" * 40_000}]
    assert len(_cause(long_reason, StackStatus="ROLLBACK_COMPLETE")) == expr.CAUSE_MAX_LENGTH


def test_optional_values_read_into_fields_fall_back_to_a_default():
    assert evaluate(expr.present_or("$states.result.NextToken", "null"), states={"result": {}}) is None
    assert (
        evaluate(expr.present_or("$states.result.NextToken", "null"), states={"result": {"NextToken": "t"}})
        == "t"
    )


def test_a_value_with_both_quote_kinds_is_refused():
    with pytest.raises(
        ValueError, match=r"cannot be quoted in a JSONata expression. Received: \[it's \"x\"\]"
    ):
        expr.request_problems(stack_name_prefix="svc-", template_bucket_name='it\'s "x"')


# The samples ------------------------------------------------------------------------------------


def _sample(name: str) -> dict[str, Any]:
    text = (REPO_ROOT / "samples" / "stack-deployment" / name).read_text()
    return json.loads(text.replace("<template-bucket>", BUCKET))


@pytest.mark.parametrize(
    "sample",
    [
        "create-service-queue.json",
        "deploy-with-approval.json",
        "redeploy-unchanged.json",
        "rollback-to-release-1.json",
        "too-many-receives.json",
    ],
)
def test_the_demo_samples_are_valid_requests(sample):
    assert problems(_sample(sample)) == []


def test_the_invalid_sample_fails_on_every_problem_it_illustrates():
    found = problems(_sample("invalid-request.json"))
    assert [problem.split(" ")[0] for problem in found] == [
        "stackName",
        "templateUrl",
        "parameters",
        "requireApproval",
    ]
