"""The access-scope provisioner against moto's IAM (lambdas/user_provisioning/access_scope.py)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from shared.errors import TransientError
from user_provisioning import access_scope
from user_provisioning.errors import ResourceConflictError

RUN = "arn:aws:states:eu-west-1:123456789012:execution:user-provisioning:run-1"
OTHER_RUN = "arn:aws:states:eu-west-1:123456789012:execution:user-provisioning:run-0"


def event(action="provision", run=RUN, tenant="acme", user="u-1", name="default", access="read-write"):
    return {
        "action": action,
        "correlationId": "corr-1",
        "runId": run,
        "tenantId": tenant,
        "user": {"id": user, "email": f"{user}@acme.example", "role": "admin"},
        "resource": {
            "index": 0,
            "type": "access-scope",
            "name": name,
            "key": f"access-scope#{name}",
            "config": {"name": name, "access": access},
        },
    }


@pytest.fixture
def iam():
    with mock_aws():
        yield boto3.client("iam", region_name="eu-west-1")


@pytest.fixture
def settings(iam):
    boundary = iam.create_policy(
        PolicyName="boundary",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    return access_scope.AccessScopeSettings.from_environment(
        {
            "WORKFLOW_NAME": "user-provisioning",
            "ACCESS_SCOPE_ROLE_PATH": "/user-provisioning/eu-west-1/",
            "ACCESS_SCOPE_ROLE_PREFIX": "user-scope-",
            "ACCESS_SCOPE_BOUNDARY_ARN": boundary,
            "ACCESS_SCOPE_TRUSTED_PRINCIPAL_ARN": "arn:aws:iam::123456789012:root",
            "TENANT_BUCKET_ARN": "arn:aws:s3:::tenant-bucket",
            "USER_STORAGE_ROOT": "tenants/{tenant_id}/users/{user_id}/",
        }
    )


def test_provision_creates_a_bounded_tagged_role_confined_to_the_users_prefix(iam, settings):
    # WHEN an access scope is provisioned
    result = access_scope.handle(event(), iam=iam, settings=settings)

    # THEN a role exists under the workflow's path, with the boundary, the ownership tags ...
    role = iam.get_role(RoleName=result["roleName"])["Role"]
    assert result["resourceId"] == role["Arn"]
    assert role["Path"] == "/user-provisioning/eu-west-1/"
    assert result["roleName"].startswith("user-scope-")
    assert len(result["roleName"]) == len("user-scope-") + 32
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == settings.boundary_arn
    assert {t["Key"]: t["Value"] for t in role["Tags"]} == {
        "tenant-id": "acme",
        "user-id": "u-1",
        "provisioned-by": RUN,
        "workflow": "user-provisioning",
    }
    # ... and a policy that reaches only this user's prefix, read and write
    policy = iam.get_role_policy(RoleName=result["roleName"], PolicyName="user-storage-access")[
        "PolicyDocument"
    ]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["UseOwnObjects"]["Resource"] == "arn:aws:s3:::tenant-bucket/tenants/acme/users/u-1/*"
    assert statements["UseOwnObjects"]["Action"] == ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    assert statements["ListOwnPrefix"]["Condition"] == {
        "StringLike": {"s3:prefix": ["tenants/acme/users/u-1/*"]}
    }


def test_read_only_scope_cannot_write(iam, settings):
    result = access_scope.handle(event(access="read-only"), iam=iam, settings=settings)
    policy = iam.get_role_policy(RoleName=result["roleName"], PolicyName="user-storage-access")[
        "PolicyDocument"
    ]
    assert {s["Sid"]: s for s in policy["Statement"]}["UseOwnObjects"]["Action"] == ["s3:GetObject"]


def test_provisioning_twice_is_the_same_as_once(iam, settings):
    first = access_scope.handle(event(), iam=iam, settings=settings)
    # A later run provisions the same scope: it adopts the role and leaves its creator tag alone.
    second = access_scope.handle(event(run=OTHER_RUN), iam=iam, settings=settings)
    assert first == second
    assert len(iam.list_roles(PathPrefix="/user-provisioning/")["Roles"]) == 1
    tags = {t["Key"]: t["Value"] for t in iam.get_role(RoleName=first["roleName"])["Role"]["Tags"]}
    assert tags["provisioned-by"] == RUN


def test_names_differ_per_user_and_scope_and_stay_within_iam_limits(settings):
    from user_provisioning.resource_request import ResourceRequest

    names = {
        access_scope.role_name(settings, ResourceRequest.from_event(event(tenant=t, user=u, name=n)))
        for t in ("acme", "globex")
        for u in ("u-1", "u-2")
        for n in ("default", "reports")
    }
    assert len(names) == 8
    assert all(len(name) <= 64 for name in names)


def test_a_role_of_another_user_under_the_same_name_is_a_conflict(iam, settings):
    # GIVEN the role name taken by a role tagged for someone else
    result = access_scope.handle(event(), iam=iam, settings=settings)
    iam.tag_role(RoleName=result["roleName"], Tags=[{"Key": "user-id", "Value": "someone-else"}])

    # WHEN provisioning the scope THEN it refuses rather than hand over that role
    with pytest.raises(ResourceConflictError, match=r"exists for tenant \[acme\] user \[someone-else\]"):
        access_scope.handle(event(), iam=iam, settings=settings)


def test_deprovision_removes_the_role_this_run_created(iam, settings):
    created = access_scope.handle(event(), iam=iam, settings=settings)

    removed = access_scope.handle(event(action="deprovision"), iam=iam, settings=settings)

    assert removed["outcome"] == "REMOVED"
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_role(RoleName=created["roleName"])
    # Repeating the removal finds nothing to do
    again = access_scope.handle(event(action="deprovision"), iam=iam, settings=settings)
    assert again["outcome"] == "ALREADY_GONE"


def test_deprovision_keeps_a_role_another_run_created(iam, settings):
    created = access_scope.handle(event(run=OTHER_RUN), iam=iam, settings=settings)

    result = access_scope.handle(event(action="deprovision"), iam=iam, settings=settings)

    assert result["outcome"] == "KEPT"
    assert iam.get_role(RoleName=created["roleName"])["Role"]["Arn"] == created["resourceId"]


class ThrottledIam:
    """IAM that is throttled on every call."""

    def get_role(self, **_):
        raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "GetRole")


def test_throttling_is_a_transient_error_the_workflow_retries(settings):
    with pytest.raises(TransientError, match="Throttling"):
        access_scope.handle(event(), iam=ThrottledIam(), settings=settings)


class EventuallyConsistentIam:
    """CreateRole succeeds, but PutRolePolicy cannot see the new role yet."""

    def __init__(self, real):
        self.real = real

    def __getattr__(self, name):
        return getattr(self.real, name)

    def put_role_policy(self, **_):
        raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": "not found"}}, "PutRolePolicy")


def test_a_role_not_yet_visible_after_creation_is_retried(iam, settings):
    with pytest.raises(TransientError, match="not visible"):
        access_scope.handle(event(), iam=EventuallyConsistentIam(iam), settings=settings)
