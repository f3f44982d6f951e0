"""Denied access attempts: principals inside the account that must not get a tenant's session.

Users' access scopes share one role whose trust policy names only the sign-in service's role (the
broker) and requires the tenant, user and access session tags. Each attempt below is made on the
local cloud, where AssumeRole evaluates the role's trust policy as AWS does (patch
``sts-assume-role-trust``): it must be refused and leave no side effect (no session, no record).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from workflow_constructs.workflows.provisioners.access_scope import trust_conditions

from tests.reliability.profiles.base import quiet_inventory, settle
from tests.reliability.tally import Verdict

WORKFLOW = "user-provisioning"
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
        tally.record("denied", WORKFLOW, verdict)
        assert verdict.clean, verdict.render()


def _tags(tenant: str, user: str, access: str = "read-write") -> list[dict[str, str]]:
    return [
        {"Key": "tenant", "Value": tenant},
        {"Key": "user", "Value": user},
        {"Key": "access", "Value": access},
    ]


def test_a_principal_allowed_to_assume_any_role_is_denied_every_tenants_access_scope(local_cloud, tally):
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
