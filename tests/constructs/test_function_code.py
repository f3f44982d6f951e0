"""PythonFunction deploys the caller's own entry folder, with the task library at the asset root."""

from __future__ import annotations

import shutil
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from workflow_constructs import InvalidPropsError, PythonFunction

GREETER = Path(__file__).resolve().parents[1] / "fixtures" / "greeter"
"""Another team's handler folder (``greeting.greet``), deployed by the tests' functions."""
RUNTIME_SOURCE = Path(__file__).resolve().parents[2] / "runtime" / "src" / "workflow_runtime"


def _function_assets(stack: cdk.Stack) -> dict[str, Path]:
    """Each function's id -> the folder its asset was staged into."""
    outdir = Path(cdk.Stage.of(stack).outdir)  # type: ignore[union-attr]
    resources = Template.from_stack(stack).find_resources("AWS::Lambda::Function")
    return {
        logical_id: outdir / f"asset.{resource['Properties']['Code']['S3Key'].removesuffix('.zip')}"
        for logical_id, resource in resources.items()
    }


def _files(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def test_the_asset_is_the_callers_folder_with_the_task_library_beside_it(tmp_path):
    # GIVEN another team's handler folder, outside the app's lambdas/
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path / "out")), "Greeter")

    # WHEN a function deploys it
    PythonFunction(stack, "Greet", entry=GREETER, handler="greeting.greet", service="greeter")

    # THEN its asset holds the team's module at the root and the whole task library as workflow_runtime/
    (asset,) = _function_assets(stack).values()
    runtime_files = {
        f"workflow_runtime/{name}" for name in _files(RUNTIME_SOURCE) if "__pycache__" not in name
    }
    assert _files(asset) == {"greeting.py"} | runtime_files
    assert "workflow_runtime/py.typed" in runtime_files
    assert (
        Template.from_stack(stack)
        .find_resources("AWS::Lambda::Function")
        .popitem()[1]["Properties"]["Handler"]
        == "greeting.greet"
    )


def test_include_runtime_false_deploys_the_folder_alone(tmp_path):
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path / "out")), "Greeter")
    PythonFunction(
        stack, "Greet", entry=GREETER, handler="greeting.greet", service="greeter", include_runtime=False
    )
    (asset,) = _function_assets(stack).values()
    assert _files(asset) == {"greeting.py"}


def test_caches_and_dotfiles_in_the_entry_change_neither_the_asset_nor_its_hash(tmp_path):
    # GIVEN two copies of a handler folder, one littered with bytecode caches and dotfiles
    clean, littered = tmp_path / "clean", tmp_path / "littered"
    shutil.copytree(GREETER, clean, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(clean, littered)
    (littered / "__pycache__").mkdir()
    (littered / "__pycache__" / "greeting.cpython-313.pyc").write_bytes(b"\x00bytecode")
    (littered / ".env").write_text("SECRET=1\n")
    (littered / "stale.pyc").write_bytes(b"\x00")

    # WHEN each is deployed by a function
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path / "out")), "Greeter")
    PythonFunction(stack, "Clean", entry=clean, handler="greeting.greet", service="greeter")
    PythonFunction(stack, "Littered", entry=littered, handler="greeting.greet", service="greeter")

    # THEN both functions name the same asset, and it holds none of the litter
    assets = set(_function_assets(stack).values())
    assert len(assets) == 1
    (asset,) = assets
    assert not [
        name
        for name in _files(asset)
        if "__pycache__" in name or name.endswith(".pyc") or "/." in name or name.startswith(".")
    ]


def test_a_change_to_the_callers_code_changes_the_asset_hash(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(GREETER, first, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(first, second)
    (second / "greeting.py").write_text((second / "greeting.py").read_text() + "\n# changed\n")
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path / "out")), "Greeter")
    PythonFunction(stack, "First", entry=first, handler="greeting.greet", service="greeter")
    PythonFunction(stack, "Second", entry=second, handler="greeting.greet", service="greeter")
    assert len(set(_function_assets(stack).values())) == 2


def test_rejects_an_entry_that_is_not_a_folder(tmp_path):
    missing = tmp_path / "nowhere"
    stack = cdk.Stack()
    with pytest.raises(
        InvalidPropsError,
        match=rf"^entry must be a folder holding the handler code\. Received: \[{missing}\]$",
    ):
        PythonFunction(stack, "F", entry=missing, handler="greeting.greet", service="greeter")
    assert stack.node.children == []  # nothing was added before the error


def test_rejects_a_handler_whose_module_is_not_in_the_entry():
    with pytest.raises(
        InvalidPropsError,
        match=r"^handler names module \[billing\.handler\], which is not in entry \[.*greeter\]",
    ):
        PythonFunction(cdk.Stack(), "F", entry=GREETER, handler="billing.handler.charge", service="greeter")


def test_rejects_an_entry_that_brings_its_own_task_library(tmp_path):
    entry = tmp_path / "handlers"
    shutil.copytree(GREETER, entry)
    (entry / "workflow_runtime").mkdir()
    with pytest.raises(InvalidPropsError, match=r"^entry must not hold its own \[workflow_runtime\]"):
        PythonFunction(cdk.Stack(), "F", entry=entry, handler="greeting.greet", service="greeter")


def test_a_handler_of_the_task_library_itself_is_accepted(tmp_path):
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path / "out")), "Greeter")
    PythonFunction(
        stack, "F", entry=GREETER, handler="workflow_runtime.observability.service_name", service="greeter"
    )
    (function,) = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    assert function["Properties"]["Handler"] == "workflow_runtime.observability.service_name"
