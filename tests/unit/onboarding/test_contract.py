"""Onboarding's contract (lambdas/onboarding/contract.py) against the synthesized workflow: its own names.

What every contract shares (state names, request error, outcomes, metrics) is checked in
tests/unit/test_workflow_contracts.py.
"""

from __future__ import annotations

import json

import pytest
from onboarding import contract

from tests.unit.contract_checks import fail_errors, only_definition


@pytest.fixture(scope="module")
def definition(synthesized_app):
    return only_definition(synthesized_app.template("CustomerOnboarding"))


def test_fail_states_use_the_contracts_errors(definition):
    # THEN every named error a Fail state ends with is the contract's (AdminUserNotProvisioned only
    # with an admin-user workflow, which this app's stack has not); the request error is the
    # validation handler's own exception, so no Fail state carries it
    fails = fail_errors(definition)
    assert {contract.CUSTOMER_ALREADY_EXISTS, contract.STEP_FAILED} <= fails
    assert fails <= {
        contract.CUSTOMER_ALREADY_EXISTS,
        contract.STEP_FAILED,
        contract.ADMIN_USER_NOT_PROVISIONED,
    }


def test_the_definition_writes_the_contracts_customer_and_email_statuses(definition):
    text = json.dumps(definition)
    for status in (contract.CUSTOMER_ONBOARDING, contract.CUSTOMER_ACTIVE, contract.WELCOME_EMAIL_SENT):
        assert f'"{status}"' in text, status
