"""Denied access attempts: someone inside the account tries to answer a waiting payment without the webhook.

Task tokens are readable in the execution history (``TaskScheduled`` parameters). A principal allowed
``states:GetExecutionHistory`` and ``states:SendTaskSuccess`` on the billing state machine (a common
developer or CI grant) reads the token and answers. The app ships ``AnswerGuardPolicyArn`` (the Billing
stack's output): attached to such a principal, its explicit Deny leaves answering to the webhook and
the request function. The local cloud evaluates IAM for these principals (``local_cloud.iam_evaluation``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from workflow_tools.payments_sandbox import SandboxClients, deliver_sandbox_webhook, stack_outputs

from tests.behaviour.test_billing import CALLBACK_STEP, WORKFLOW, _asked, billing_input
from tests.reliability.tally import Verdict

HISTORY_READER_GRANTS = [
    {
        "Effect": "Allow",
        "Action": [
            "states:GetExecutionHistory",
            "states:DescribeExecution",
            "states:SendTaskSuccess",
            "states:SendTaskFailure",
        ],
        "Resource": "*",
    }
]
FORGED_OUTPUT = {"authorisationId": "forged", "outcome": "authorised", "amountCents": 1, "currency": "EUR"}


@pytest.fixture
def outputs(local_cloud) -> dict[str, str]:
    return stack_outputs(local_cloud.client("cloudformation"), "Billing")


def _tokens_in_history(sfn: Any, execution_arn: str) -> list[str]:
    """Every ``taskToken`` in the execution's TaskScheduled parameters, as a history reader sees them."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "taskToken" and isinstance(item, str):
                    found.append(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for event in sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]:
        if event["type"] == "TaskScheduled":
            walk(json.loads(event["taskScheduledEventDetails"]["parameters"]))
    return found


def _forge(local_cloud, session, execution) -> tuple[str, list[str]]:
    """Read the token from the history with ``session`` and answer "authorised" and "declined" with it."""
    local_cloud.task_token(execution, CALLBACK_STEP)
    sfn = session.client("stepfunctions", endpoint_url=local_cloud.endpoint_url)
    (token,) = set(_tokens_in_history(sfn, execution.arn))
    errors = []
    for answer in (
        lambda: sfn.send_task_success(taskToken=token, output=json.dumps(FORGED_OUTPUT)),
        lambda: sfn.send_task_failure(taskToken=token, error="PaymentDeclined", cause="forged"),
    ):
        try:
            answer()
            errors.append("accepted")
        except ClientError as error:
            errors.append(error.response["Error"]["Code"])
    return token, errors


def test_history_reader_without_the_answer_guard_answers_a_payment(local_cloud):
    # GIVEN a principal that may read the history and answer tasks, with no Deny from the answer guard
    reader = local_cloud.principal(f"reader-{uuid.uuid4().hex[:8]}", HISTORY_READER_GRANTS)
    execution = local_cloud.start(WORKFLOW, billing_input(), reason="unguarded history reader")

    # WHEN it answers with the token it read from the history (IAM evaluated)
    with local_cloud.iam_evaluation():
        _, answers = _forge(local_cloud, reader, execution)

    # THEN IAM lets it (this is what the guard is for): the payment no longer waits for the provider
    assert answers[0] == "accepted", answers
    assert local_cloud.wait(execution).status != "RUNNING"


def test_forged_payment_answer_from_history_reader_is_denied(local_cloud, outputs, tally):
    # GIVEN the same principal under the shipped answer guard, and a payment waiting for the provider
    name = f"guarded-{uuid.uuid4().hex[:8]}"
    reader = local_cloud.principal(
        name,
        HISTORY_READER_GRANTS,
        managed_policy_arns=(outputs["AnswerGuardPolicyArn"],),
    )
    execution = local_cloud.start(WORKFLOW, billing_input(), reason="guarded history reader")
    _asked(local_cloud, outputs, execution)  # the request step has stored it and the provider accepted it
    before = local_cloud.inventory()

    # WHEN it reads the token from the history and answers "authorised", then "declined"
    with local_cloud.iam_evaluation():
        _, answers = _forge(local_cloud, reader, execution)
        decisions = [d for d in local_cloud.iam_decisions() if d["principal"].endswith(f":user/{name}")]

    # THEN both answers are denied by the guard's explicit Deny; the payment still waits; nothing changed
    changes = local_cloud.inventory().changes_since(before)
    still = local_cloud.client("stepfunctions").describe_execution(executionArn=execution.arn)["status"]
    verdict = Verdict(
        side_effects=[str(c) for c in changes] + [a for a in answers if a != "AccessDeniedException"],
        lost=[] if still == "RUNNING" else [f"the payment stopped waiting: {still}"],
    )
    tally.record("denied access attempts", WORKFLOW, verdict, attempts=len(answers))
    assert verdict.clean, verdict.render()
    assert [d["decision"] for d in decisions if d["action"].startswith("states:SendTask")] == [
        "explicit deny",
        "explicit deny",
    ]
    assert any(d["action"] == "states:GetExecutionHistory" and d["decision"] == "allowed" for d in decisions)

    # AND the genuine, signed answer through the webhook still completes the payment
    clients = SandboxClients.from_session(local_cloud.session, endpoint_url=local_cloud.endpoint_url)
    deliver_sandbox_webhook(
        execution_arn=execution.arn, outcome="authorised", transport="invoke", clients=clients
    )
    assert local_cloud.wait(execution).status == "SUCCEEDED"


def test_the_answer_guard_lets_the_webhook_role_answer(local_cloud, outputs):
    # GIVEN the guard attached to the webhook's own role, and a session of that role
    iam = local_cloud.client("iam")
    function = local_cloud.client("lambda").get_function(FunctionName=outputs["WebhookFunctionName"])
    role_arn = function["Configuration"]["Role"]
    role_name = role_arn.split("/")[-1]
    iam.attach_role_policy(RoleName=role_name, PolicyArn=outputs["AnswerGuardPolicyArn"])
    try:
        credentials = local_cloud.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="webhook")[
            "Credentials"
        ]
        webhook = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=local_cloud.session.region_name,
        )
        execution = local_cloud.start(WORKFLOW, billing_input(), reason="webhook role under the guard")
        token = local_cloud.task_token(execution, CALLBACK_STEP)
        sfn = webhook.client("stepfunctions", endpoint_url=local_cloud.endpoint_url)

        # WHEN the webhook's role answers (IAM evaluated)
        with local_cloud.iam_evaluation():
            sfn.send_task_failure(taskToken=token, error="PaymentDeclined", cause="{}")
            (decision,) = [d for d in local_cloud.iam_decisions() if d["action"] == "states:SendTaskFailure"][
                -1:
            ]

        # THEN the ArnNotEquals exemption applies: its own Allow stands
        assert decision["decision"] == "allowed", decision
        assert decision["principal"] == role_arn
    finally:
        iam.detach_role_policy(RoleName=role_name, PolicyArn=outputs["AnswerGuardPolicyArn"])


def test_unauthorised_call_is_denied_only_inside_the_iam_mode(local_cloud):
    # GIVEN a principal allowed nothing in Step Functions
    nobody = local_cloud.principal(
        f"nobody-{uuid.uuid4().hex[:8]}",
        [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
    )
    sfn = nobody.client("stepfunctions", endpoint_url=local_cloud.endpoint_url)

    # WHEN it lists state machines outside and inside the IAM evaluation mode
    sfn.list_state_machines()
    with local_cloud.iam_evaluation(), pytest.raises(ClientError) as denied:
        sfn.list_state_machines()

    # THEN only the evaluated call is refused, with Step Functions' error name
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
