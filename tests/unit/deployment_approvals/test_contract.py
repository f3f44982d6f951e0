"""Stack deployment's contract (lambdas/deployment_approvals/contract.py) against the synthesized app.

What every contract shares (state names, outcomes, metrics) is checked in
tests/unit/test_workflow_contracts.py; these are the names the entry's handlers and the workflow
must agree on.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from deployment_approvals import contract, entry

from tests.unit.contract_checks import definition_by_prefix, fail_errors, metric_filter_patterns


@pytest.fixture(scope="module")
def template(synthesized_app):
    return synthesized_app.template("StackDeployment")


@pytest.fixture(scope="module")
def states(template) -> dict[str, Any]:
    return dict(definition_by_prefix(template, "StackDeploymentWorkflow")["States"])


def test_fail_states_and_caught_failures_use_the_contracts_errors(states):
    errors = {
        contract.REQUEST_INVALID,
        contract.STACK_NOT_DEPLOYABLE,
        contract.CHANGE_SET_FAILED,
        contract.CHANGE_SET_TIMED_OUT,
        contract.DEPLOYMENT_REJECTED,
        contract.APPROVAL_TIMED_OUT,
        contract.STACK_DEPLOYMENT_FAILED,
        contract.STACK_DEPLOYMENT_TIMED_OUT,
    }
    definition = {"States": states}
    # THEN every literal error a Fail state ends with is the contract's (one reports the $failure a
    # Catch or Choice assigned), and every contract error is written somewhere in the definition
    literal = {error for error in fail_errors(definition) if not error.startswith("{%")}
    assert literal
    assert literal <= errors
    text = json.dumps(definition)
    for error in errors:
        assert f'"{error}"' in text, error


def test_the_approval_step_sends_the_token_and_reads_the_answer_by_the_contracts_fields(states):
    ask = states[contract.APPROVAL_STATE]
    assert contract.APPROVAL_TASK_TOKEN_FIELD in ask["Arguments"]["Message"]
    assign = json.dumps(ask["Assign"])
    assert f"$states.result.{contract.APPROVED} = true" in assign
    assert f"$states.result.{contract.APPROVED_BY}" in assign


def test_the_entry_functions_environment_and_routes_are_the_contracts(template):
    resources = template["Resources"].values()
    (function,) = [r for r in resources if r["Type"] == "AWS::Lambda::Function"]
    assert contract.STATE_MACHINE_ARN_ENV in function["Properties"]["Environment"]["Variables"]
    paths = {r["Properties"]["PathPart"] for r in resources if r["Type"] == "AWS::ApiGateway::Resource"}
    assert paths == {contract.DEPLOYMENTS_PATH, contract.APPROVALS_PATH}
    # and the handler routes exactly those resources
    assert {entry.DEPLOYMENTS_PATH, entry.APPROVALS_PATH} == {f"/{path}" for path in paths}


def test_each_business_metric_counts_entries_into_the_contracts_state(template):
    patterns = metric_filter_patterns(template)
    for state in (contract.DEPLOYED_STATE, contract.NO_CHANGES_STATE, contract.FAILED_STATE):
        assert any(f'($.details.name = "{state}")' in pattern for pattern in patterns), state
    assert any(f'"{contract.APPROVAL_STATE}"' in pattern for pattern in patterns)
