"""Each workflow's contract module is one file that both sides can load.

A contract lives in the workflow's handler folder (``lambdas/<workflow>/contract.py``) so the Lambda
asset ships it; handlers import it as ``<workflow>.contract`` (the asset's root), the constructs in
``business_workflows`` as ``lambdas.<workflow>.contract`` (the repository root, where
``business_workflows`` itself is found). Both names must stay the same file, free of third-party
imports (the construct side must not need Powertools, the handler side must not need aws-cdk-lib).
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from billing import contract as billing
from billing.errors import BillingRequestInvalid
from deployment_approvals import contract as stack_deployment
from onboarding import contract as onboarding
from onboarding.request import OnboardingRequestInvalid
from user_provisioning import contract as user_provisioning
from user_provisioning.errors import DeprovisioningRequestInvalid, ProvisioningRequestInvalid
from workflow_constructs.naming import state_name_problem

from tests.unit.contract_checks import (
    dashboard_bodies,
    definition_by_prefix,
    metric_filter_patterns,
    state_names,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = sorted((REPO_ROOT / "lambdas").glob("*/contract.py"))
WORKFLOW_MODULES = (
    "business_workflows.billing",
    "business_workflows.onboarding",
    "business_workflows.user_provisioning",
    "business_workflows.stack_deployment",
)


def test_every_handler_folder_of_a_workflow_has_a_contract():
    assert [path.parent.name for path in CONTRACTS] == [
        "billing",
        "deployment_approvals",
        "onboarding",
        "user_provisioning",
    ]


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda p: p.parent.name)
def test_a_contract_imports_only_the_standard_library(path):
    tree = ast.parse(path.read_text())
    imported = {
        (alias.name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda p: p.parent.name)
def test_the_handlers_name_and_the_constructs_name_load_the_same_file(path):
    as_handler = importlib.import_module(f"{path.parent.name}.contract")
    as_construct = importlib.import_module(f"lambdas.{path.parent.name}.contract")
    assert Path(as_handler.__file__).resolve() == Path(as_construct.__file__).resolve() == path.resolve()


def test_the_constructs_find_their_contracts_without_lambdas_on_the_path(tmp_path):
    # GIVEN a fresh interpreter outside the repository, with no PYTHONPATH (as `cdk synth` runs app.py,
    # or a tool imports the stacks): only the installed project is on sys.path
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    statement = "; ".join(f"import {module}" for module in WORKFLOW_MODULES)
    probe = f"{statement}; import sys; print(all(not p.rstrip('/').endswith('lambdas') for p in sys.path))"
    # WHEN the workflow constructs are imported
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=tmp_path, env=env
    )
    # THEN they load, with their contracts, and lambdas/ was not on the path for it
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@dataclass(frozen=True)
class Workflow:
    """One workflow's contract names, and where the synthesized app has the workflow."""

    stack: str
    machine: str  # logical id prefix of its state machine in the stack
    states: tuple[str, ...]
    request_error: str
    request_error_class: type[Exception] | None  # None: the state machine validates, no handler
    outcomes: tuple[str, ...]
    metrics: tuple[str, ...]


WORKFLOWS = {
    "billing": Workflow(
        "Billing",
        "BillingWorkflow",
        billing.STATE_NAMES,
        billing.REQUEST_INVALID,
        BillingRequestInvalid,
        billing.BUSINESS_OUTCOMES,
        billing.METRIC_NAMES,
    ),
    "onboarding": Workflow(
        "CustomerOnboarding",
        "OnboardingWorkflow",
        onboarding.STATE_NAMES,
        onboarding.REQUEST_INVALID,
        OnboardingRequestInvalid,
        onboarding.BUSINESS_OUTCOMES,
        onboarding.METRIC_NAMES,
    ),
    "user-provisioning": Workflow(
        "UserProvisioning",
        "UserProvisioningWorkflow",
        (user_provisioning.VALIDATE_STATE,),
        user_provisioning.REQUEST_INVALID,
        ProvisioningRequestInvalid,
        user_provisioning.BUSINESS_OUTCOMES,
        user_provisioning.METRIC_NAMES,
    ),
    "user-deprovisioning": Workflow(
        "UserProvisioning",
        "UserDeprovisioningWorkflow",
        (user_provisioning.DEPROVISIONING_VALIDATE_STATE,),
        user_provisioning.DEPROVISIONING_REQUEST_INVALID,
        DeprovisioningRequestInvalid,
        user_provisioning.DEPROVISIONING_BUSINESS_OUTCOMES,
        user_provisioning.DEPROVISIONING_METRIC_NAMES,
    ),
    "stack-deployment": Workflow(
        "StackDeployment",
        "StackDeploymentWorkflow",
        stack_deployment.STATE_NAMES,
        stack_deployment.REQUEST_INVALID,
        None,
        stack_deployment.BUSINESS_OUTCOMES,
        stack_deployment.METRIC_NAMES,
    ),
}
VALIDATED_BY_A_HANDLER = {
    name: workflow for name, workflow in WORKFLOWS.items() if workflow.request_error_class
}


@pytest.mark.parametrize("workflow", WORKFLOWS.values(), ids=WORKFLOWS)
def test_contract_state_names_are_valid_and_in_the_definition(workflow, synthesized_app):
    present = state_names(definition_by_prefix(synthesized_app.template(workflow.stack), workflow.machine))
    for name in workflow.states:
        assert state_name_problem(name) is None, name
        assert name in present, name


@pytest.mark.parametrize("workflow", VALIDATED_BY_A_HANDLER.values(), ids=VALIDATED_BY_A_HANDLER)
def test_the_request_error_is_the_validation_handlers_class_name(workflow):
    assert workflow.request_error_class is not None
    assert workflow.request_error_class.__name__ == workflow.request_error


@pytest.mark.parametrize("workflow", WORKFLOWS.values(), ids=WORKFLOWS)
def test_every_business_outcome_is_counted_by_the_workflow(workflow, synthesized_app):
    patterns = metric_filter_patterns(synthesized_app.template(workflow.stack))
    for outcome in workflow.outcomes:
        assert any(f'"{outcome}"' in pattern for pattern in patterns), outcome


@pytest.mark.parametrize("workflow", WORKFLOWS.values(), ids=WORKFLOWS)
def test_every_contract_metric_is_charted_on_a_dashboard(workflow, synthesized_app):
    bodies = dashboard_bodies(synthesized_app.template(workflow.stack))
    for metric in workflow.metrics:
        assert any(metric in body for body in bodies), metric


def test_the_billing_definition_writes_the_contracts_receipt_status(synthesized_app):
    # The receipt's outcome is named once, in the contract (it used to be typed out in the construct).
    definition = definition_by_prefix(synthesized_app.template("Billing"), "BillingWorkflow")
    assert f'"status": "{billing.RECEIPT_SENT}"' in json.dumps(definition)
