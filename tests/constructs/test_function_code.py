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


def _handler_folder(root: Path, *packages: str) -> Path:
    """A handler folder holding one package per name (``<name>/__init__.py``, ``<name>/handler.py``)."""
    for package in packages:
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text(f'"""{package} handlers."""\n')
        (root / package / "handler.py").write_text("def run(event, context):\n    return event\n")
    return root


def _s3_key(stack: cdk.Stack, function: PythonFunction) -> str:
    return str(stack.resolve(function.node.default_child.code)["s3Key"])  # type: ignore[union-attr]


def test_packages_ship_only_the_named_packages_of_the_entry(tmp_path):
    # GIVEN a handler folder with one package per workflow, and a stray module beside them
    entry = _handler_folder(tmp_path / "lambdas", "billing", "onboarding")
    (entry / "loose.py").write_text("X = 1\n")
    (entry / "billing" / "__pycache__").mkdir()
    (entry / "billing" / "__pycache__" / "handler.cpython-313.pyc").write_bytes(b"\x00")
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path / "out")), "Billing")

    # WHEN a function ships the billing package only
    PythonFunction(
        stack, "Charge", entry=entry, packages=["billing"], handler="billing.handler.run", service="billing"
    )

    # THEN its asset is billing/ (under its own name, caches left out) and the task library, nothing else
    (asset,) = _function_assets(stack).values()
    files = _files(asset)
    assert {name for name in files if not name.startswith("workflow_runtime/")} == {
        "billing/__init__.py",
        "billing/handler.py",
    }
    assert "workflow_runtime/__init__.py" in files


def test_functions_of_one_entry_shipping_different_packages_get_different_assets(tmp_path):
    # GIVEN one entry with two packages
    entry = _handler_folder(tmp_path / "lambdas", "billing", "onboarding")
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path / "out")), "App")

    # WHEN two functions of it ship one package each, and two more the whole entry with and without
    # the task library
    PythonFunction(stack, "B", entry=entry, packages=["billing"], handler="billing.handler.run", service="b")
    PythonFunction(
        stack, "O", entry=entry, packages=["onboarding"], handler="onboarding.handler.run", service="o"
    )
    PythonFunction(stack, "All", entry=entry, handler="billing.handler.run", service="a")
    PythonFunction(
        stack, "Bare", entry=entry, handler="billing.handler.run", service="a", include_runtime=False
    )

    # THEN each has its own asset holding what it asked for (CDK's staging cache keeps them apart)
    assets = _function_assets(stack)
    tops = {
        logical_id[: -len("XXXXXXXX")]: sorted({name.split("/")[0] for name in _files(folder)})
        for logical_id, folder in assets.items()
    }
    assert tops == {
        "B": ["billing", "workflow_runtime"],
        "O": ["onboarding", "workflow_runtime"],
        "All": ["billing", "onboarding", "workflow_runtime"],
        "Bare": ["billing", "onboarding"],
    }


def test_a_change_to_a_package_not_shipped_leaves_the_asset_hash_alone(tmp_path):
    # GIVEN two copies of a handler folder that differ in the onboarding package only, and a third
    # that differs in billing
    first = _handler_folder(tmp_path / "first", "billing", "onboarding")
    other_changed, own_changed = tmp_path / "other_changed", tmp_path / "own_changed"
    shutil.copytree(first, other_changed)
    shutil.copytree(first, own_changed)
    (other_changed / "onboarding" / "handler.py").write_text("def run(event, context):\n    return 2\n")
    (own_changed / "billing" / "handler.py").write_text("def run(event, context):\n    return 3\n")

    # WHEN each ships billing in a function of its own app
    keys = {}
    for entry in (first, other_changed, own_changed):
        stack = cdk.Stack(cdk.App(outdir=str(tmp_path / f"out-{entry.name}")), "Billing")
        function = PythonFunction(
            stack, "Charge", entry=entry, packages=["billing"], handler="billing.handler.run", service="b"
        )
        keys[entry.name] = _s3_key(stack, function)

    # THEN onboarding's change moves nothing, billing's own change moves billing's asset
    assert keys["other_changed"] == keys["first"]
    assert keys["own_changed"] != keys["first"]


@pytest.mark.parametrize(
    ("packages", "message"),
    [
        ([], r"must name at least one package of the entry"),
        ("billing", r"must name at least one package of the entry, as a list"),
        (["billing", "billing"], r"must name each package once"),
        (["billing/handler"], r"must be top-level package names \(identifiers\); \[billing/handler\]"),
        (["workflow_runtime"], r"must not name \[workflow_runtime\]"),
        (["payroll"], r"must be packages of the entry: \[payroll\] has no payroll/__init__.py"),
    ],
    ids=["empty", "a string", "twice", "a path", "the task library", "missing"],
)
def test_rejects_packages_that_are_not_packages_of_the_entry(tmp_path, packages, message):
    entry = _handler_folder(tmp_path / "lambdas", "billing")
    stack = cdk.Stack()
    with pytest.raises(InvalidPropsError, match=rf"^packages {message}.*Received: "):
        PythonFunction(stack, "F", entry=entry, packages=packages, handler="billing.handler.run", service="b")
    assert stack.node.children == []  # nothing was added before the error


def test_rejects_a_handler_outside_the_shipped_packages(tmp_path):
    entry = _handler_folder(tmp_path / "lambdas", "billing", "onboarding")
    with pytest.raises(
        InvalidPropsError,
        match=r"^handler names module \[onboarding\.handler\], which is not in the packages \['billing'\]",
    ):
        PythonFunction(
            cdk.Stack(), "F", entry=entry, packages=["billing"], handler="onboarding.handler.run", service="b"
        )
