"""The user provisioning contract (lambdas/user_provisioning/contract.py) against the synthesized
provisioning and deprovisioning workflows: their own names. What every contract shares (state names,
request error, outcomes, metrics) is checked in tests/unit/test_workflow_contracts.py."""

from __future__ import annotations

import json

import pytest
from user_provisioning import contract

from tests.unit.contract_checks import definition_by_prefix, fail_errors

STACK = "UserProvisioning"


@pytest.fixture(scope="module")
def template(synthesized_app):
    return synthesized_app.template(STACK)


@pytest.fixture(scope="module")
def provisioning(template):
    return definition_by_prefix(template, "UserProvisioningWorkflow")


@pytest.fixture(scope="module")
def deprovisioning(template):
    return definition_by_prefix(template, "UserDeprovisioningWorkflow")


def test_provisioning_fails_only_with_the_contracts_errors(provisioning):
    errors = {contract.PROVISIONING_FAILED, contract.IN_PROGRESS, contract.EVENT_NOT_PUBLISHED}
    fails = fail_errors(provisioning)
    assert contract.PROVISIONING_FAILED in fails
    assert fails <= errors


def test_deprovisioning_fails_only_with_the_contracts_errors(deprovisioning):
    errors = {
        contract.DEPROVISIONING_FAILED,
        contract.DEPROVISIONING_IN_PROGRESS,
        contract.DEPROVISIONING_EVENT_NOT_PUBLISHED,
    }
    fails = fail_errors(deprovisioning)
    assert contract.DEPROVISIONING_FAILED in fails
    assert fails <= errors


def test_the_definitions_write_the_contracts_user_statuses(provisioning, deprovisioning):
    assert f'"{contract.STATUS_PROVISIONING}"' in json.dumps(provisioning)
    assert f'"{contract.STATUS_ACTIVE}"' in json.dumps(provisioning)
    assert f'"{contract.STATUS_DEPROVISIONING}"' in json.dumps(deprovisioning)


def test_the_events_carry_the_contracts_detail_types(provisioning, deprovisioning):
    assert f'"{contract.EVENT_DETAIL_TYPE}"' in json.dumps(provisioning)
    assert f'"{contract.DEPROVISIONING_EVENT_DETAIL_TYPE}"' in json.dumps(deprovisioning)


def test_the_definitions_write_the_contracts_resource_outcomes_and_creator(provisioning, deprovisioning):
    # The report's and removers' outcomes, and who created a resource, are named once (the contract):
    # the state machines write them and the handlers (report.py, records.py) read them.
    assert f'"status":"{contract.RESOURCE_PROVISIONED}"' in json.dumps(provisioning, separators=(",", ":"))
    assert f'"status":"{contract.RESOURCE_FAILED}"' in json.dumps(provisioning, separators=(",", ":"))
    assert f'"rollback":"{contract.RESOURCE_REMOVED}"' in json.dumps(provisioning, separators=(",", ":"))
    assert f'"outcome":"{contract.RESOURCE_REMOVED}"' in json.dumps(deprovisioning, separators=(",", ":"))
    assert f"{contract.CREATOR_ATTRIBUTE} = :runId" in json.dumps(provisioning)
    assert f"{contract.CREATOR_ATTRIBUTE} = :createdBy" in json.dumps(deprovisioning)
    assert f'"{contract.OWNER_TAG}.$"' in json.dumps(provisioning)  # the folder marker's metadata


def test_the_handlers_name_outcomes_and_the_creator_from_the_contract():
    from user_provisioning import records, report, resource_request

    assert (resource_request.REMOVED, resource_request.ALREADY_GONE, resource_request.KEPT) == (
        contract.RESOURCE_REMOVED,
        contract.RESOURCE_ALREADY_GONE,
        contract.RESOURCE_KEPT,
    )
    assert (report.PROVISIONED, report.FAILED, report.REMOVED) == (
        contract.RESOURCE_PROVISIONED,
        contract.RESOURCE_FAILED,
        contract.RESOURCE_REMOVED,
    )
    assert records.CREATOR_ATTRIBUTE == contract.CREATOR_ATTRIBUTE
    assert resource_request.OWNER_TAG == contract.OWNER_TAG
