"""Billing's contract (lambdas/billing/contract.py) against the synthesized workflow: what is billing's own.

What every contract shares (state names, request error, outcomes, metrics) is checked in
tests/unit/test_workflow_contracts.py.
"""

from __future__ import annotations

import json

import pytest
from billing import contract
from workflow_constructs.definition import iter_states

from tests.unit.contract_checks import caught_errors, fail_errors, only_definition


@pytest.fixture(scope="module")
def definition(synthesized_app):
    return only_definition(synthesized_app.template("Billing"))


def test_the_callback_state_is_the_one_that_waits_for_a_task_token(definition):
    (state,) = [r.state for r in iter_states(definition) if r.name == contract.REQUEST_AUTHORISATION_STATE]
    assert state["Resource"].endswith(".waitForTaskToken")


def test_fail_states_use_the_contracts_errors_and_the_request_error_comes_from_the_handler(definition):
    # THEN the definition's Fail states end with business outcomes of the contract; the one outcome
    # no Fail state carries is the validation handler's own exception
    fails = fail_errors(definition)
    assert fails <= set(contract.BUSINESS_OUTCOMES)
    assert set(contract.BUSINESS_OUTCOMES) - fails == {contract.REQUEST_INVALID}


def test_a_declined_payment_is_caught_on_the_callback_step(definition):
    assert contract.PAYMENT_DECLINED in caught_errors(definition)


def test_the_statuses_the_definition_writes_are_invoice_statuses(definition):
    text = json.dumps(definition)
    for status in contract.InvoiceStatus:
        if status is not contract.InvoiceStatus.PENDING:  # written by the handler, not the definition
            assert f'"{status.value}"' in text, status
