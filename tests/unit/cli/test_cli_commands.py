"""`workflows` end to end against moto, which runs the state machines for real (no Lambda)."""

from __future__ import annotations

import json
import re

import boto3
import pytest
from workflow_tools.cli import approvals
from workflow_tools.deployment_entry import EntryAnswer

NAME = r"billing-monthly-run-\d{8}T\d{6}Z-[0-9a-f]{8}"
PASS_THEN_FAIL = {
    "Check the invoice request": {"Type": "Pass", "Next": "Refuse the request"},
    "Refuse the request": {
        "Type": "Fail",
        "Error": "BillingRequestInvalid",
        "Cause": "invoice.amount must be positive",
    },
}
WAIT_QUICKLY = ("--input", "-", "--wait", "--poll-seconds", "0.01")
SUCCEED = {"Issue the invoice": {"Type": "Pass", "Result": {"invoiced": True}, "End": True}}


@pytest.fixture
def billing(cloud):
    """A billing state machine that always refuses the request, and an onboarding one that succeeds."""
    cloud.state_machine("customer-onboarding", SUCCEED, "Issue the invoice")
    return cloud.state_machine("billing", PASS_THEN_FAIL, "Check the invoice request")


def _one_line_error(outcome) -> str:
    assert outcome.stdout == ""
    assert outcome.stderr.count("\n") == 1, outcome.stderr
    return outcome.stderr.strip()


# start --------------------------------------------------------------------------------------------


def test_start_prints_the_name_arn_and_a_generated_correlation_id(run, cloud, billing):
    # WHEN started without a correlation id
    outcome = run(
        "start", "billing", "--reason", "Monthly run", "--input", "-", input='{"invoice": {"amount": 5}}'
    )
    # THEN the execution is named <workflow>-<reason>-<stamp>-<id> and carries a generated correlation id
    assert outcome.exit_code == 0, outcome.stderr
    name = re.search(rf"^Started ({NAME})$", outcome.stdout, re.MULTILINE).group(1)
    arn = re.search(r"execution ARN\s+(\S+)", outcome.stdout).group(1)
    correlation_id = re.search(r"correlation id\s+(\S+)", outcome.stdout).group(1)
    assert arn == f"{billing.replace(':stateMachine:', ':execution:')}:{name}"
    started = json.loads(cloud.sfn.describe_execution(executionArn=arn)["input"])
    assert started == {"invoice": {"amount": 5}, "correlationId": correlation_id}
    assert correlation_id != name
    assert re.fullmatch(r"[0-9a-f-]{36}", correlation_id)


def test_start_passes_the_given_correlation_id(run, cloud, billing, tmp_path):
    path = tmp_path / "input.json"
    path.write_text('{"invoice": {"amount": 5}}')
    outcome = run("start", "billing", "--reason", "r", "--input", str(path), "--correlation-id", "order-42")
    arn = re.search(r"execution ARN\s+(\S+)", outcome.stdout).group(1)
    assert json.loads(cloud.sfn.describe_execution(executionArn=arn)["input"])["correlationId"] == "order-42"


def test_start_an_unknown_workflow_lists_the_known_ones(run, cloud, billing):
    outcome = run("start", "invoicing", "--reason", "r", "--input", "-", input="{}")
    assert outcome.exit_code == 2
    assert _one_line_error(outcome) == (
        "error: unknown workflow [invoicing]; known workflows: billing, customer-onboarding"
    )


def test_start_with_bad_json_says_where(run, cloud, billing):
    outcome = run("start", "billing", "--reason", "r", "--input", "-", input='{"invoice": {"amount": 5,}}')
    assert outcome.exit_code == 2
    assert _one_line_error(outcome) == (
        "error: --input stdin is not valid JSON: Expecting property name enclosed in double quotes "
        "at line 1, column 26"
    )
    assert cloud.sfn.list_executions(stateMachineArn=billing)["executions"] == []


def test_start_without_credentials_says_so(run, aws_environment, monkeypatch):
    # GIVEN no credentials anywhere in the chain (and no moto)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    outcome = run("start", "billing", "--reason", "r", "--input", "-", input="{}")
    assert outcome.exit_code == 4
    assert _one_line_error(outcome).startswith("error: no AWS credentials found: set AWS_PROFILE")


def test_a_missing_option_is_one_line_with_a_pointer_to_help(run):
    outcome = run("start", "billing", "--input", "-")
    assert outcome.exit_code == 2
    assert _one_line_error(outcome) == "error: Missing option '--reason'. See 'workflows start --help'."


def test_a_blank_reason_is_refused(run):
    outcome = run("start", "billing", "--reason", "  ", "--input", "-", input="{}")
    assert outcome.exit_code == 2
    assert (
        _one_line_error(outcome)
        == "error: --reason must say why the execution runs (it becomes part of its name)"
    )


def test_start_wait_on_a_failing_execution_explains_and_exits_1(run, cloud, billing):
    # WHEN started with --wait
    outcome = run("start", "billing", "--reason", "Monthly run", *WAIT_QUICKLY, input="{}")
    # THEN it reports the failure, the state and error, and how to learn more
    assert outcome.exit_code == 1
    name = re.search(rf"^Started ({NAME})$", outcome.stdout, re.MULTILINE).group(1)
    assert re.search(r"^FAILED after \d+\.\ds$", outcome.stdout, re.MULTILINE)
    assert "  in state Refuse the request: BillingRequestInvalid\n" in outcome.stdout
    assert f"  Explain: workflows why {name}\n" in outcome.stdout


def test_start_wait_on_a_succeeding_execution_prints_its_output(run, cloud, billing):
    outcome = run("start", "customer-onboarding", "--reason", "signup", *WAIT_QUICKLY, input="{}")
    assert outcome.exit_code == 0, outcome.stderr
    assert re.search(r"^SUCCEEDED after", outcome.stdout, re.MULTILINE)
    assert json.loads(outcome.stdout.splitlines()[-1]) == {"invoiced": True}


# status, list, why --------------------------------------------------------------------------------


def test_status_by_name_or_arn(run, cloud, billing):
    arn = cloud.start(billing, "billing-r-20260302T091500Z-00000001", {"correlationId": "order-7"})
    cloud.wait_until(arn, ended=True)
    by_name = run("status", "billing-r-20260302T091500Z-00000001")
    by_arn = run("status", arn)
    assert by_name == by_arn
    assert by_name.exit_code == 0
    lines = by_name.stdout.splitlines()
    assert lines[0] == "billing-r-20260302T091500Z-00000001  FAILED"
    assert "  workflow        billing" in lines
    assert "  correlation id  order-7" in lines
    assert "  error           BillingRequestInvalid" in lines
    assert "  cause           invoice.amount must be positive" in lines
    assert f"  ARN             {arn}" in lines


def test_status_finds_a_name_outside_its_workflow_prefix(run, cloud, billing):
    arn = cloud.start(billing, "adhoc-run", {"correlationId": "x"})
    cloud.wait_until(arn, ended=True)
    assert run("status", "adhoc-run").stdout.startswith("adhoc-run  FAILED")


def test_status_of_an_unknown_execution_exits_3(run, cloud, billing):
    outcome = run("status", "billing-nothing-20260302T091500Z-00000000")
    assert outcome.exit_code == 3
    assert _one_line_error(outcome) == (
        "error: execution not found: no state machine has an execution named "
        "[billing-nothing-20260302T091500Z-00000000] (searched 2: billing, customer-onboarding)"
    )
    unknown_arn = f"{billing.replace(':stateMachine:', ':execution:')}:gone"
    assert run("status", unknown_arn).exit_code == 3


def test_status_of_a_malformed_arn_is_a_usage_error(run, cloud, billing):
    outcome = run("status", "arn:aws:states:eu-west-1:123456789012:stateMachine:billing")
    assert outcome.exit_code == 2
    assert _one_line_error(outcome) == (
        "error: not an execution ARN: [arn:aws:states:eu-west-1:123456789012:stateMachine:billing]"
    )


def test_list_filters_by_workflow_and_status(run, cloud, billing):
    onboarding = cloud.sfn.list_state_machines()["stateMachines"]
    onboarding_arn = next(m["stateMachineArn"] for m in onboarding if m["name"] == "customer-onboarding")
    for arn in (
        cloud.start(billing, "billing-a-20260302T091500Z-00000001", {}),
        cloud.start(billing, "billing-b-20260302T091500Z-00000002", {}),
        cloud.start(onboarding_arn, "customer-onboarding-c-20260302T091500Z-00000003", {}),
    ):
        cloud.wait_until(arn, ended=True)
    everything = run("list", "--since", "1h")
    failed_billing = run("list", "--workflow", "billing", "--status", "failed")
    succeeded = run("list", "-s", "SUCCEEDED")
    newest = run("list", "--limit", "1")

    def names(outcome):
        assert outcome.exit_code == 0, outcome.stderr
        return [line.split()[0] for line in outcome.stdout.splitlines()[1:]]

    assert everything.stdout.splitlines()[0].split() == [
        "EXECUTION",
        "WORKFLOW",
        "STATUS",
        "STARTED",
        "DURATION",
    ]
    assert sorted(names(everything)) == [
        "billing-a-20260302T091500Z-00000001",
        "billing-b-20260302T091500Z-00000002",
        "customer-onboarding-c-20260302T091500Z-00000003",
    ]
    assert sorted(names(failed_billing)) == [
        "billing-a-20260302T091500Z-00000001",
        "billing-b-20260302T091500Z-00000002",
    ]
    assert names(succeeded) == ["customer-onboarding-c-20260302T091500Z-00000003"]
    assert len(names(newest)) == 1
    assert run("list", "--workflow", "nope").exit_code == 2
    assert run("list", "--status", "RUNNING").stdout == "No executions match.\n"


def test_why_names_the_failing_state_error_and_cause(run, cloud, billing):
    arn = cloud.start(billing, "billing-r-20260302T091500Z-00000009", {"correlationId": "order-9"})
    cloud.wait_until(arn, ended=True)
    outcome = run("why", "billing-r-20260302T091500Z-00000009", "--tail", "3")
    assert outcome.exit_code == 0
    lines = outcome.stdout.splitlines()
    assert lines[0].startswith("billing-r-20260302T091500Z-00000009  FAILED  (")
    assert "  correlation id  order-9" in lines
    assert "  failed in       Refuse the request" in lines
    assert "  error           BillingRequestInvalid" in lines
    assert "  cause           invoice.amount must be positive" in lines
    assert "Last 3 of 5 events" in lines
    assert re.match(
        r"  #5 +\d\d:\d\d:\d\d\.\d{3}  ExecutionFailed +Refuse the request  BillingRequestInvalid", lines[-3]
    )
    # AND the log search explains why it found nothing here (no Lambda in this workflow)
    assert lines[-1] == "  Logs not searched: the workflow invokes no Lambda functions"


# approve / reject ---------------------------------------------------------------------------------


@pytest.fixture
def deployment(cloud):
    """A stack-deployment run waiting for approval: its SQS message carries the task token."""
    queue = boto3.client("sqs").create_queue(QueueName="approvals")["QueueUrl"]
    machine = cloud.state_machine(
        "stack-deployment",
        {
            "Wait for approval": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": queue,
                    "MessageBody": {"taskToken.$": "$$.Task.Token", "stack.$": "$.stack"},
                },
                "End": True,
            }
        },
        "Wait for approval",
    )
    arn = cloud.start(
        machine,
        "stack-deployment-release-20260302T091500Z-0000000a",
        {"stack": "api", "correlationId": "d-1"},
    )
    cloud.wait_until(arn, event_type="TaskSubmitted")
    yield arn
    if cloud.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
        cloud.sfn.stop_execution(executionArn=arn)


@pytest.fixture
def entry(monkeypatch):
    """The deployment entry, faked: records each call and answers as told (``entry.answer``)."""

    class FakeEntry:
        def __init__(self):
            self.calls = []
            self.answer = EntryAnswer(200, {"decidedBy": "arn:aws:sts::123456789012:assumed-role/Ops/ben"})

        def __call__(self, clients, route, body, *, transport, stack_name):
            self.calls.append((route, body, transport, stack_name))
            return self.answer

    fake = FakeEntry()
    monkeypatch.setattr(approvals, "call_entry", fake)
    return fake


def test_approve_goes_through_the_signed_entry_and_sends_no_approver(run, cloud, deployment, entry):
    outcome = run(
        "approve", "stack-deployment-release-20260302T091500Z-0000000a", "--reason", "change set reviewed"
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout == (
        "Approved stack-deployment-release-20260302T091500Z-0000000a: answered Wait for approval "
        "as arn:aws:sts::123456789012:assumed-role/Ops/ben\n"
    )
    # THEN the entry got the execution and the decision, and no approvedBy: the signer is the approver
    assert entry.calls == [
        (
            "/approvals",
            {"execution": deployment, "decision": "approve", "reason": "change set reviewed"},
            "post",
            "StackDeployment",
        )
    ]
    # AND nothing answered the task directly
    assert cloud.sfn.describe_execution(executionArn=deployment)["status"] == "RUNNING"


def test_reject_sends_the_rejection_and_reason_to_the_entry(run, cloud, deployment, entry):
    outcome = run(
        "reject", deployment, "--reason", "replaces the production database", "--transport", "invoke"
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout.startswith("Rejected stack-deployment-release-20260302T091500Z-0000000a: answered")
    assert entry.calls == [
        (
            "/approvals",
            {"execution": deployment, "decision": "reject", "reason": "replaces the production database"},
            "invoke",
            "StackDeployment",
        )
    ]


def test_self_approval_refused_by_the_entry_is_an_error(run, cloud, deployment, entry):
    entry.answer = EntryAnswer(
        403, {"error": "SelfApprovalDenied", "message": "[ana] requested this deployment"}
    )
    outcome = run("approve", deployment)
    assert outcome.exit_code == 4
    assert _one_line_error(outcome) == (
        "error: the deployment entry refused: SelfApprovalDenied: [ana] requested this deployment"
    )


def test_an_approval_answered_meanwhile_is_not_found(run, cloud, deployment, entry):
    entry.answer = EntryAnswer(409, {"error": "ApprovalNotPending", "message": "answered meanwhile"})
    outcome = run("approve", deployment)
    assert outcome.exit_code == 3
    assert _one_line_error(outcome) == "error: answered meanwhile"


def test_nothing_to_approve_once_ended(run, cloud, deployment, entry):
    # GIVEN the approval was answered (here directly, with the token from the queue) and the run ended
    sqs = boto3.client("sqs")
    (message,) = sqs.receive_message(QueueUrl=sqs.get_queue_url(QueueName="approvals")["QueueUrl"])[
        "Messages"
    ]
    cloud.sfn.send_task_success(taskToken=json.loads(message["Body"])["taskToken"], output="{}")
    cloud.wait_until(deployment, ended=True)
    outcome = run("reject", deployment)
    assert outcome.exit_code == 3
    assert _one_line_error(outcome) == (
        "error: no approval is pending: [stack-deployment-release-20260302T091500Z-0000000a] is SUCCEEDED"
    )
    assert entry.calls == []


def test_approve_refuses_executions_of_other_workflows(run, cloud, billing):
    arn = cloud.start(billing, "billing-r-20260302T091500Z-0000000b", {})
    cloud.wait_until(arn, ended=True)
    outcome = run("approve", arn)
    assert outcome.exit_code == 2
    assert _one_line_error(outcome) == (
        "error: approve/reject answer stack-deployment approvals; "
        "[billing-r-20260302T091500Z-0000000b] is a billing execution"
    )


def test_help_lists_the_commands_and_exit_codes(run):
    outcome = run("--help")
    assert outcome.exit_code == 0
    for command in ("start", "status", "list", "why", "approve", "reject", "pay", "decline"):
        assert re.search(rf"^  {command} ", outcome.stdout, re.MULTILINE)
    assert "Exit codes: 0 success; 1 start --wait" in " ".join(outcome.stdout.split())
