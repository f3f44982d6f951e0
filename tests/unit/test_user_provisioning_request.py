"""Validation and planning of a user-provisioning request (lambdas/user_provisioning/request.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from user_provisioning.errors import ProvisioningRequestInvalid
from user_provisioning.request import MAX_RESOURCES, load_type_specs, plan, state_machine_time

from business_workflows.provisioners import default_resource_types

NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
# The document the construct writes into RESOURCE_TYPES, from the real registry.
TYPES = load_type_specs(
    json.dumps(
        {
            t.type_name: t.spec()
            for t in default_resource_types(
                access_scope_trusted_principal_arn="arn:aws:iam::123456789012:role/sign-in"
            )
        }
    )
)


def request(**overrides):
    base = {
        "correlationId": "corr-1",
        "tenantId": "acme",
        "user": {"id": "u-1", "email": "ada@acme.example", "role": "admin"},
        "resources": [
            {"type": "storage-prefix", "config": {"name": "documents"}},
            {"type": "profile-record", "config": {"displayName": "Ada"}},
            {"type": "access-scope"},
            {"type": "api-key", "config": {}},
        ],
    }
    return {**base, **overrides}


def problems_of(event) -> list[str]:
    with pytest.raises(ProvisioningRequestInvalid) as raised:
        plan(event, types=TYPES, now=NOW, lock_seconds=3600)
    return raised.value.problems


def test_plan_normalizes_each_resource_and_orders_the_rollback_in_reverse():
    # GIVEN a request for one resource of every built-in type, some config left to defaults
    # WHEN it is planned
    result = plan(request(), types=TYPES, now=NOW, lock_seconds=3600)

    # THEN each resource has its position, instance name, unique key and complete config
    assert result["resources"] == [
        {
            "index": 0,
            "type": "storage-prefix",
            "name": "documents",
            "key": "storage-prefix#documents",
            "config": {"name": "documents"},
        },
        {
            "index": 1,
            "type": "profile-record",
            "name": "profile-record",
            "key": "profile-record",
            "config": {"displayName": "Ada", "locale": "en-US", "timeZone": "UTC"},
        },
        {
            "index": 2,
            "type": "access-scope",
            "name": "default",
            "key": "access-scope#default",
            "config": {"name": "default", "access": "read-write"},
        },
        {
            "index": 3,
            "type": "api-key",
            "name": "default",
            "key": "api-key#default",
            "config": {"name": "default"},
        },
    ]
    assert [r["index"] for r in result["rollbackOrder"]] == [3, 2, 1, 0]
    assert result["userKey"] == "TENANT#acme#USER#u-1"
    assert result["user"] == {"id": "u-1", "email": "ada@acme.example", "role": "admin"}
    # AND the lock lasts the workflow's timeout, in the format of $$.State.EnteredTime
    assert result["lockExpiresAt"] == "2026-03-02T10:30:15.123Z"


def test_state_machine_time_sorts_like_step_functions_timestamps():
    assert state_machine_time(NOW) == "2026-03-02T09:30:15.123Z"
    assert state_machine_time(NOW) < "2026-03-02T09:30:15.124Z"


def test_an_unknown_type_is_rejected_naming_the_supported_ones():
    problems = problems_of(request(resources=[{"type": "mailbox", "config": {}}]))
    assert problems == [
        "resources[0].type is not a supported resource type (supported: access-scope, api-key, "
        "profile-record, storage-prefix). Received: ['mailbox']"
    ]


def test_every_problem_is_reported_at_once():
    # GIVEN a request wrong in many places
    event = {
        "tenantId": "acme/evil",
        "user": {"id": "", "email": "not-an-email", "role": "9lives"},
        "resources": [
            {"type": "storage-prefix", "config": {"name": "Bad Name", "colour": "red"}},
            {"type": "access-scope", "config": {"access": "admin"}},
            "storage-prefix",
            {"type": "api-key", "extra": 1},
        ],
    }

    # WHEN it is validated, THEN one error lists them all
    assert problems_of(event) == [
        "correlationId must be a non-empty string. Received: [None]",
        "tenantId must match ^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$. Received: ['acme/evil']",
        "user.id must match ^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$. Received: ['']",
        "user.email must be an email address. Received: ['not-an-email']",
        "user.role must match ^[A-Za-z][A-Za-z0-9_-]{0,63}$. Received: ['9lives']",
        "resources[0].config has unknown keys [colour] (allowed: name)",
        "resources[0].config.name must match ^[a-z0-9][a-z0-9-]{0,62}$. Received: ['Bad Name']",
        "resources[1].config.access must be one of read-write, read-only. Received: ['admin']",
        "resources[2] must be an object with type and config. Received: ['storage-prefix']",
        "resources[3] has unknown keys [extra]",
    ]


def test_the_same_resource_twice_is_rejected():
    problems = problems_of(
        request(
            resources=[
                {"type": "storage-prefix", "config": {"name": "docs"}},
                {"type": "profile-record"},
                {"type": "storage-prefix", "config": {"name": "docs"}},
                {"type": "profile-record", "config": {"locale": "fr-FR"}},
            ]
        )
    )
    assert problems == [
        "resources[2] repeats resources[0] (both are [storage-prefix#docs])",
        "resources[3] repeats resources[1] (both are [profile-record])",
    ]


def test_too_many_resources_are_rejected():
    many = [{"type": "storage-prefix", "config": {"name": f"f{i}"}} for i in range(MAX_RESOURCES + 1)]
    assert problems_of(request(resources=many)) == [
        f"resources must hold at most {MAX_RESOURCES} entries. Received: [{MAX_RESOURCES + 1}]"
    ]


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ("just text", "request must be a JSON object. Received: ['just text']"),
        (request(resources=None), "resources must be a list of {type, config} objects. Received: [None]"),
        (request(user="ada"), "user must be an object with id, email and role. Received: ['ada']"),
        (request(correlationId="x" * 257), "correlationId must be at most 256 characters"),
        (
            request(resources=[{"type": "profile-record", "config": ["en"]}]),
            "resources[0].config must be an object. Received: [['en']]",
        ),
        (
            request(resources=[{"type": "profile-record", "config": {"displayName": 7}}]),
            "resources[0].config.displayName must be a string. Received: [7]",
        ),
        (
            request(resources=[{"type": "profile-record", "config": {"displayName": "x" * 257}}]),
            "resources[0].config.displayName must be at most 256 characters. Received: ['" + "x" * 257 + "']",
        ),
    ],
)
def test_each_malformed_part_is_named(event, problem):
    assert problem in problems_of(event)


def test_no_resources_is_a_valid_request():
    result = plan(request(resources=[]), types=TYPES, now=NOW, lock_seconds=60)
    assert (result["resources"], result["rollbackOrder"]) == ([], [])


def test_integer_and_boolean_fields_are_checked_strictly():
    specs = load_type_specs(
        json.dumps(
            {
                "quota": {
                    "fields": {
                        "gigabytes": {"kind": "integer", "required": True},
                        "hard": {"kind": "boolean"},
                    }
                }
            }
        )
    )
    with pytest.raises(ProvisioningRequestInvalid) as raised:
        plan(
            request(resources=[{"type": "quota", "config": {"gigabytes": True, "hard": "yes"}}]),
            types=specs,
            now=NOW,
            lock_seconds=60,
        )
    assert raised.value.problems == [
        "resources[0].config.gigabytes must be an integer. Received: [True]",
        "resources[0].config.hard must be a boolean. Received: ['yes']",
    ]
    missing = request(resources=[{"type": "quota"}])
    with pytest.raises(ProvisioningRequestInvalid, match=r"resources\[0\]\.config\.gigabytes is required"):
        plan(missing, types=specs, now=NOW, lock_seconds=60)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tenantId": "acme\n"}, "tenantId"),
        ({"user": {"id": "u-1\n", "email": "ada@acme.example", "role": "admin"}}, "user.id"),
        ({"user": {"id": "u-1", "email": "ada@acme.example\n", "role": "admin"}}, "user.email"),
        ({"user": {"id": "u-1", "email": "ada@acme.example", "role": "admin\n"}}, "user.role"),
    ],
)
def test_a_trailing_newline_does_not_pass_for_a_valid_identifier(overrides, field):
    # GIVEN a request whose id ends in a newline (a second tenant or user, spelled almost the same)
    # WHEN it is planned, THEN that field is refused
    assert [problem.split(" ")[0] for problem in problems_of(request(**overrides))] == [field]
