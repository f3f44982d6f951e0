"""Denied access attempts: principals inside the account that must not get through.

Billing: someone inside the account tries to answer a waiting payment without the webhook. Task tokens
are readable in the execution history (``TaskScheduled`` parameters). A principal allowed
``states:GetExecutionHistory`` and ``states:SendTaskSuccess`` on the billing state machine (a common
developer or CI grant) reads the token and answers. The app ships ``AnswerGuardPolicyArn`` (the Billing
stack's output): attached to such a principal, its explicit Deny leaves answering to the webhook and
the request function. The local cloud evaluates IAM for these principals (``local_cloud.iam_evaluation``).

User provisioning: users' access scopes share one role whose trust policy names only the sign-in
service's role (the broker) and requires the tenant, user and access session tags. Each attempt is
made on the local cloud, where AssumeRole evaluates the role's trust policy as AWS does (patch
``sts-assume-role-trust``), with or without the IAM evaluation mode: it must be refused and leave no
side effect (no session, no record).

Every attempt counts in the tally's one ``denied`` category ("Denied access attempts").
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from workflow_tools.payments_sandbox import SandboxClients, deliver_sandbox_webhook, stack_outputs

from business_workflows.provisioners.access_scope import trust_conditions
from tests.behaviour.test_billing import CALLBACK_STEP, _asked, billing_input
from tests.behaviour.test_billing import WORKFLOW as BILLING_WORKFLOW
from tests.reliability.profiles.base import quiet_inventory, settle
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
    execution = local_cloud.start(BILLING_WORKFLOW, billing_input(), reason="unguarded history reader")

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
    execution = local_cloud.start(BILLING_WORKFLOW, billing_input(), reason="guarded history reader")
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
    tally.record("denied", BILLING_WORKFLOW, verdict, attempts=len(answers))
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


def _statements(policy: dict[str, Any]) -> list[Any]:
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def test_the_answer_guard_lets_the_webhook_role_answer(local_cloud, outputs):
    # GIVEN the guard attached to the webhook's own role, and a session of that role
    iam = local_cloud.client("iam")
    function = local_cloud.client("lambda").get_function(FunctionName=outputs["WebhookFunctionName"])
    role_arn = function["Configuration"]["Role"]
    role_name = role_arn.split("/")[-1]
    iam.attach_role_policy(RoleName=role_name, PolicyArn=outputs["AnswerGuardPolicyArn"])
    # Only Lambda may assume the role, and AssumeRole evaluates its trust policy (patch
    # sts-assume-role-trust): the test stands in for Lambda by trusting its own account meanwhile.
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    account = local_cloud.client("sts").get_caller_identity()["Account"]
    stand_in = {"Effect": "Allow", "Principal": {"AWS": account}, "Action": "sts:AssumeRole"}
    iam.update_assume_role_policy(
        RoleName=role_name,
        PolicyDocument=json.dumps({**trust, "Statement": [*_statements(trust), stand_in]}),
    )
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
        execution = local_cloud.start(
            BILLING_WORKFLOW, billing_input(), reason="webhook role under the guard"
        )
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
        iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=json.dumps(trust))
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


TENANTS_WORKFLOW = "user-provisioning"
STACK = "UserProvisioning"
ASSUME_ANY_ROLE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}],
}
"""The common developer or CI grant the old account-root trust let through."""


@dataclass(frozen=True)
class Attempt:
    label: str
    assume: Callable[[], Any]


def _client(local_cloud, service: str, credentials: dict[str, str]) -> Any:
    return boto3.client(
        service,
        endpoint_url=local_cloud.endpoint_url,
        region_name=local_cloud.session.region_name,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("SessionToken"),
        config=Config(retries={"max_attempts": 1}),
    )


def _principal_allowed_any_role(local_cloud, name: str) -> dict[str, str]:
    """An IAM user allowed sts:AssumeRole on '*': its access key."""
    iam = local_cloud.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name, PolicyName="assume-any-role", PolicyDocument=json.dumps(ASSUME_ANY_ROLE)
    )
    return dict(iam.create_access_key(UserName=name)["AccessKey"])


def _shared_role_arn(local_cloud) -> str:
    summaries = local_cloud.client("cloudformation").list_stack_resources(StackName=STACK)
    (name,) = [
        r["PhysicalResourceId"]
        for r in summaries["StackResourceSummaries"]
        if r["LogicalResourceId"].startswith("UserProvisioningAccessScopeSharedRole")
        and r["ResourceType"] == "AWS::IAM::Role"
    ]
    return str(local_cloud.client("iam").get_role(RoleName=name)["Role"]["Arn"])


def _refused(call: Callable[[], Any]) -> tuple[bool, str]:
    try:
        answer = call()
    except ClientError as error:
        return error.response["Error"]["Code"] == "AccessDenied", error.response["Error"]["Code"]
    return False, f"credentials issued for {answer['AssumedRoleUser']['Arn']}"


def _try_each(local_cloud, tally, attempts: list[Attempt]) -> None:
    """Make each attempt; count it as a denied access attempt with what it changed."""
    for attempt in attempts:
        settle(local_cloud)
        before = quiet_inventory(local_cloud)
        refused, answer = _refused(attempt.assume)
        verdict = Verdict(
            side_effects=[f"{attempt.label}: {c}" for c in local_cloud.inventory().changes_since(before)]
        )
        if not refused:
            verdict.side_effects.append(f"{attempt.label}: not refused ({answer})")
        tally.record("denied", TENANTS_WORKFLOW, verdict)
        assert verdict.clean, verdict.render()


def _tags(tenant: str, user: str, access: str = "read-write") -> list[dict[str, str]]:
    return [
        {"Key": "tenant", "Value": tenant},
        {"Key": "user", "Value": user},
        {"Key": "access", "Value": access},
    ]


@pytest.mark.parametrize("iam_mode", [False, True], ids=["trust-policy", "iam-evaluation-mode"])
def test_a_principal_allowed_to_assume_any_role_is_denied_every_tenants_access_scope(
    local_cloud, tally, iam_mode
):
    # Under the IAM evaluation mode the identity policy allows each AssumeRole, so the trust policy
    # (with its session-tag conditions) must still refuse it: the two patches compose.
    mode = local_cloud.iam_evaluation() if iam_mode else contextlib.nullcontext()
    with mode:
        _assume_any_role_attempts(local_cloud, tally)


def _assume_any_role_attempts(local_cloud, tally) -> None:
    # GIVEN the app's shared access-scope role, and a developer and a CI session each allowed
    # sts:AssumeRole (and TagSession) on '*'
    role = _shared_role_arn(local_cloud)
    unique = uuid.uuid4().hex[:8]
    developer = _client(local_cloud, "sts", _principal_allowed_any_role(local_cloud, f"developer-{unique}"))
    ci_user = _principal_allowed_any_role(local_cloud, f"ci-{unique}")
    iam = local_cloud.client("iam")
    account = local_cloud.client("sts").get_caller_identity()["Account"]
    ci_role = iam.create_role(
        RoleName=f"ci-deploy-{unique}",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=f"ci-deploy-{unique}",
        PolicyName="assume-any-role",
        PolicyDocument=json.dumps(ASSUME_ANY_ROLE),
    )
    ci = _client(
        local_cloud,
        "sts",
        _client(local_cloud, "sts", ci_user).assume_role(RoleArn=ci_role, RoleSessionName="build-42")[
            "Credentials"
        ],
    )
    attempts = [
        Attempt(
            "a developer opens tenant acme's session for one of its users",
            lambda: developer.assume_role(RoleArn=role, RoleSessionName="peek", Tags=_tags("acme", "u-ada")),
        ),
        Attempt(
            "a developer opens an untagged session (the old per-user role's way in)",
            lambda: developer.assume_role(RoleArn=role, RoleSessionName="peek"),
        ),
        Attempt(
            "a CI session opens tenant globex's session",
            lambda: ci.assume_role(RoleArn=role, RoleSessionName="build-42", Tags=_tags("globex", "u-1")),
        ),
        Attempt(
            "a CI session opens a read-only session of another tenant",
            lambda: ci.assume_role(
                RoleArn=role, RoleSessionName="build-42", Tags=_tags("initech", "u-9", "read-only")
            ),
        ),
    ]

    # WHEN each is made THEN it gets AWS's answer, AccessDenied, and no session or anything else
    _try_each(local_cloud, tally, attempts)


@pytest.fixture
def broker_and_scope(local_cloud):
    """A broker role and a scope role with the library's trust conditions (the app's broker can only
    be a Lambda function's role, so this pair shows the same conditions letting the broker in)."""
    iam, unique = local_cloud.client("iam"), uuid.uuid4().hex[:8]
    operator = _principal_allowed_any_role(local_cloud, f"operator-{unique}")
    operator_arn = iam.get_user(UserName=f"operator-{unique}")["User"]["Arn"]

    def role(name: str, principal: str, conditions: dict[str, Any] | None, actions: list[str]) -> str:
        statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions}
        if conditions:
            statement["Condition"] = conditions
        document = {"Version": "2012-10-17", "Statement": [statement]}
        return str(
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))["Role"]["Arn"]
        )

    broker = role(f"broker-{unique}", operator_arn, None, ["sts:AssumeRole"])
    scope = role(f"scope-{unique}", broker, trust_conditions(), ["sts:AssumeRole", "sts:TagSession"])
    broker_session = _client(local_cloud, "sts", operator).assume_role(
        RoleArn=broker, RoleSessionName="sign-in"
    )
    return _client(local_cloud, "sts", broker_session["Credentials"]), scope


def test_a_tenant_session_cannot_reassume_the_scope_with_another_tenants_tags(
    local_cloud, broker_and_scope, tally
):
    # GIVEN the broker opened user u-ada's session of tenant acme
    broker, scope = broker_and_scope
    opened = broker.assume_role(RoleArn=scope, RoleSessionName="acme-u-ada", Tags=_tags("acme", "u-ada"))
    tenant_session = _client(local_cloud, "sts", opened["Credentials"])
    assert tenant_session.get_caller_identity()["Arn"].endswith("/acme-u-ada")

    # WHEN that session (or the broker without the tags) tries to open another tenant's session
    attempts = [
        Attempt(
            "a tenant session re-assumes the scope as tenant globex",
            lambda: tenant_session.assume_role(
                RoleArn=scope, RoleSessionName="hop", Tags=_tags("globex", "u-1")
            ),
        ),
        Attempt(
            "the broker opens a session without the user tag",
            lambda: broker.assume_role(
                RoleArn=scope, RoleSessionName="no-user", Tags=[{"Key": "tenant", "Value": "acme"}]
            ),
        ),
        Attempt(
            "the broker adds a tag the scope does not accept",
            lambda: broker.assume_role(
                RoleArn=scope,
                RoleSessionName="extra",
                Tags=[*_tags("acme", "u-ada"), {"Key": "admin", "Value": "true"}],
            ),
        ),
    ]
    # THEN each is refused and leaves nothing behind
    _try_each(local_cloud, tally, attempts)
