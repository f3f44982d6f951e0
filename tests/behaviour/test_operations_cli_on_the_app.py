"""The `workflows` CLI on the app's own workflows, deployed to the session's local cloud.

What an operator does in a billing demo and a release, end to end: start with the CLI, answer the
payment as the sandbox provider (`pay`/`decline`) or the approval (`approve`), and explain the
outcome (`why`) down to the production handlers' log lines of the request.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from workflow_local_cloud.server import DEFAULT_REGION

from tests.cli.support import invoke_workflows, isolate_aws_environment

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
PAYMENT_STEP = "Request payment authorisation"
APPROVAL_STEP = "Ask for approval"
# What an operator holds to run the CLI (its calls here are not IAM-evaluated).
OPERATOR_GRANTS = [{"Effect": "Allow", "Action": ["states:*", "cloudformation:Describe*"], "Resource": "*"}]


@pytest.fixture
def cli(local_cloud, monkeypatch):
    """``cli(*args, input=...)``: ``workflows --endpoint-url <local cloud> ...``, throwaway credentials."""
    isolate_aws_environment(monkeypatch, region=DEFAULT_REGION)
    return lambda *args, input=None: invoke_workflows(local_cloud.endpoint_url, *args, input=input)


def _start(cli, local_cloud, workflow: str, payload: dict, reason: str) -> tuple[str, str]:
    started = cli("start", workflow, "--reason", reason, "--input", "-", input=json.dumps(payload))
    assert started.exit_code == 0, started.output
    name = re.search(r"^Started (\S+)$", started.stdout, re.MULTILINE).group(1)
    return name, local_cloud.state_machine_arn(workflow).replace(":stateMachine:", ":execution:") + f":{name}"


def _invoice(card: str) -> dict:
    """The sample billing request, for a customer of its own (each run bills a new invoice)."""
    payload = json.loads((SAMPLES / "billing" / "authorised-payment.json").read_text())
    customer = f"cus_{uuid.uuid4().hex[:12]}"
    return {**payload, "customerId": customer, "correlationId": f"ops-{customer}", "paymentMethodId": card}


def test_pay_lets_the_billing_run_capture_the_payment(cli, local_cloud):
    name, arn = _start(cli, local_cloud, "billing", _invoice("pm_card_visa"), "monthly invoice")
    local_cloud.task_token(arn, PAYMENT_STEP)  # the run asks the provider

    paid = cli("pay", name)

    assert paid.exit_code == 0, paid.output
    assert re.match(
        rf"^Paid {name}: delivered authorisation\.succeeded for authorisation \S+ by invoke$", paid.stdout
    )
    result = local_cloud.wait(arn)
    assert result.status == "SUCCEEDED", local_cloud.trace(arn).render()


def test_decline_fails_the_run_and_why_traces_it_to_the_handlers_log_lines(cli, local_cloud):
    payload = _invoice("pm_card_visa")
    name, arn = _start(cli, local_cloud, "billing", payload, "monthly invoice")
    local_cloud.task_token(arn, PAYMENT_STEP)

    declined = cli("decline", name, "--reason", "insufficient_funds")

    assert declined.exit_code == 0, declined.output
    result = local_cloud.wait(arn)
    assert (result.status, result.error) == ("FAILED", "PaymentDeclined"), local_cloud.trace(arn).render()
    # WHEN the operator asks why
    why = cli("why", name)
    # THEN the error, and the lines the production handlers logged for this request
    assert why.exit_code == 0, why.output
    assert "  error           PaymentDeclined" in why.stdout.splitlines()
    logs = why.stdout.split(f"Log lines of correlation id {payload['correlationId']}\n")[1].splitlines()
    assert any("  billing  Step started" in line for line in logs), why.stdout
    assert not any("Logs unavailable" in line for line in logs), why.stdout
    # AND the metric data points of the request (EMF documents carry its correlation id too)
    assert any(re.search(r"  billing  metrics  InvoicesCreated=\[1\.0\]", line) for line in logs), why.stdout


def _as(monkeypatch, session) -> None:
    """The CLI's next invocations sign with ``session``'s keys."""
    keys = session.get_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys.secret_key)


def test_approve_lets_the_release_deploy_when_another_person_approves(cli, local_cloud, monkeypatch):
    deployment = {
        output["OutputKey"]: output["OutputValue"]
        for output in local_cloud.client("cloudformation").describe_stacks(StackName="StackDeployment")[
            "Stacks"
        ][0]["Outputs"]
    }
    bucket = deployment["TemplateBucketName"]
    template = SAMPLES / "stack-deployment" / "service-queue.yaml"
    local_cloud.client("s3").put_object(
        Bucket=bucket, Key="ops/service-queue.yaml", Body=template.read_bytes()
    )
    stack_name = f"svc-ops-{uuid.uuid4().hex[:8]}"
    # The CLI runs as a requester: an IAM user of the local cloud (the entry takes users and role sessions)
    _as(monkeypatch, local_cloud.principal(f"requester-{uuid.uuid4().hex[:8]}", OPERATOR_GRANTS))
    name, arn = _start(
        cli,
        local_cloud,
        "stack-deployment",
        {
            "correlationId": f"release-{stack_name}",
            "stackName": stack_name,
            "templateUrl": f"https://{bucket}.s3.amazonaws.com/ops/service-queue.yaml",
            "parameters": {"RetentionSeconds": 86400},
            "requireApproval": True,
            "reason": "operations CLI behaviour test",
        },
        "release service queue",
    )
    local_cloud.task_token(arn, APPROVAL_STEP)
    # `start` went through the deployment entry, which recorded the CLI's identity as the requester
    requester = json.loads(local_cloud.client("stepfunctions").describe_execution(executionArn=arn)["input"])[
        "requestedBy"
    ]

    # WHEN the requester approves it with the CLI
    own = cli("approve", name)
    # THEN the entry refuses: nobody approves their own deployment
    assert own.exit_code == 4, own.output
    assert own.stderr.startswith("error: the deployment entry refused: SelfApprovalDenied:")

    # WHEN another person (an IAM user of the local cloud) approves it with the CLI
    _as(monkeypatch, local_cloud.principal(f"approver-{uuid.uuid4().hex[:8]}", OPERATOR_GRANTS))
    approved = cli("approve", name, "--reason", "change list reviewed")

    # THEN it deploys, and the outcome records both identities
    assert approved.exit_code == 0, approved.output
    assert re.match(
        rf"^Approved {name}: answered Ask for approval as arn:aws:iam::\d+:user/approver-", approved.stdout
    )
    result = local_cloud.wait(arn)
    assert result.status == "SUCCEEDED", local_cloud.trace(arn).render()
    assert result.output["requestedBy"] == requester
    assert result.output["approvedBy"].split("/")[-1].startswith("approver-")
    assert result.output["approvedBy"] != requester
    assert result.output["stackStatus"] == "CREATE_COMPLETE"


def test_start_runs_user_deprovisioning_like_any_workflow(cli, local_cloud):
    # GIVEN the sample removal, for a user of its own that was provisioned
    user_id = f"u-cli-{uuid.uuid4().hex[:8]}"
    provisioning = json.loads((SAMPLES / "user-provisioning" / "first-admin.json").read_text())
    provisioning = {
        **provisioning,
        "correlationId": f"cli-{user_id}",
        "user": {**provisioning["user"], "id": user_id},
    }
    assert local_cloud.run("user-provisioning", provisioning, reason="cli provision").status == "SUCCEEDED"
    removal = json.loads((SAMPLES / "user-deprovisioning" / "remove-user.json").read_text())
    removal = {**removal, "correlationId": f"cli-remove-{user_id}", "user": {"id": user_id}}

    # WHEN an operator starts user-deprovisioning with the CLI and waits
    started = cli(
        "start",
        "user-deprovisioning",
        "--reason",
        "user left",
        "--input",
        "-",
        "--wait",
        "--poll-seconds",
        "0.1",
        input=json.dumps(removal),
    )

    # THEN it succeeds, and the user's ledger is empty
    assert started.exit_code == 0, started.output
    assert "SUCCEEDED" in started.stdout
    ledger = [
        item
        for item in local_cloud.client("dynamodb").scan(
            TableName=_users_table(local_cloud),
            FilterExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"TENANT#acme#USER#{user_id}"}},
        )["Items"]
        if item["sk"]["S"].startswith("RESOURCE#")
    ]
    assert ledger == []


def _users_table(local_cloud) -> str:
    summaries = local_cloud.client("cloudformation").list_stack_resources(StackName="UserProvisioning")
    (table,) = [
        r["PhysicalResourceId"]
        for r in summaries["StackResourceSummaries"]
        if r["LogicalResourceId"].startswith("UserProvisioningUsersTable")
    ]
    return str(table)
