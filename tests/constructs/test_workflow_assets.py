"""One Lambda asset per workflow: each ships its own handler package, whatever the others change.

Read from the app synthesized once per session (``synthesized_app``); the hash check bundles one
function from a copy of ``lambdas/``, not the whole app again.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from workflow_constructs import PythonFunction

from business_workflows.handler_code import app_handler_code

HANDLER_CODE = app_handler_code()
RUNTIME = "workflow_runtime"
PACKAGE_OF_STACK = {
    "Billing": "billing",
    "CustomerOnboarding": "onboarding",
    "StackDeployment": "deployment_approvals",
    # Provisioning, deprovisioning and the bulk workflow share the user_provisioning package.
    "UserProvisioning": "user_provisioning",
}
"""Every stack with Lambda functions, and the one handler package its functions ship."""


def _functions(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
    ]


def _files(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def _source_files(package: str) -> set[str]:
    """The package's files as the asset must hold them: no caches, no dotfiles."""
    return {
        f"{package}/{name}"
        for name in _files(HANDLER_CODE / package)
        if "__pycache__" not in name and not name.endswith(".pyc") and not Path(name).name.startswith(".")
    }


def test_every_stack_with_functions_is_one_workflows(synthesized_app):
    with_functions = {name for name, template in synthesized_app.templates.items() if _functions(template)}
    assert with_functions == set(PACKAGE_OF_STACK)
    # and every handler package of the app is shipped by some stack
    packages = {path.parent.name for path in HANDLER_CODE.glob("*/__init__.py")}
    assert packages == set(PACKAGE_OF_STACK.values())


@pytest.mark.parametrize(("stack", "package"), PACKAGE_OF_STACK.items(), ids=PACKAGE_OF_STACK)
def test_a_workflows_functions_share_one_asset_of_its_own_package_and_the_task_library(
    synthesized_app, stack, package
):
    # GIVEN the workflow stack's functions, as synthesized
    functions = _functions(synthesized_app.template(stack))

    # THEN they all run that workflow's handlers, from one asset
    assert {function["Handler"].split(".")[0] for function in functions} == {package}
    (key,) = {function["Code"]["S3Key"] for function in functions}

    # AND the asset is exactly that package's files and the task library: no other workflow's file
    files = _files(synthesized_app.outdir / f"asset.{key.removesuffix('.zip')}")
    assert {name for name in files if not name.startswith(f"{RUNTIME}/")} == _source_files(package)
    assert f"{RUNTIME}/__init__.py" in files


def test_another_workflows_handler_change_leaves_billings_asset_hash_alone(synthesized_app, tmp_path):
    # GIVEN a copy of the app's handler folder in which onboarding's handler has changed
    copy = tmp_path / "lambdas"
    shutil.copytree(HANDLER_CODE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    onboarding = copy / "onboarding" / "handler.py"
    onboarding.write_text(onboarding.read_text() + "\n# an onboarding change\n")
    (billing_key,) = {f["Code"]["S3Key"] for f in _functions(synthesized_app.template("Billing"))}

    # WHEN billing's functions are built from the copy, as the billing workflow builds them
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path / "out")), "Billing")
    function = PythonFunction(
        stack,
        "F",
        entry=copy,
        packages=["billing"],
        handler="billing.handler.calculate_invoice",
        service="billing",
    )

    # THEN billing's asset hash is the app's: onboarding's change did not move it
    assert stack.resolve(function.node.default_child.code)["s3Key"] == billing_key  # type: ignore[union-attr]
