"""The common library stands on its own: no module of ``workflow_constructs`` loads this app's code.

Other teams install ``workflow-constructs`` without ``business_workflows``, ``stacks`` or ``app.py``;
an import of any of them from the library would fail there. Checked in a fresh interpreter that
imports every module of the library, so nothing this test session already loaded can hide a leak.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

APP_PACKAGES = ("business_workflows", "stacks", "app", "workflow_tools")

_IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys
import workflow_constructs
names = sorted(
    info.name
    for info in pkgutil.walk_packages(workflow_constructs.__path__, "workflow_constructs.")
    if "._lambdas" not in info.name
)
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, list[str]]:
    """What a fresh interpreter imported (every library module) and had loaded afterwards."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERY_MODULE], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_no_library_module_loads_a_module_of_the_app(probe):
    # WHEN every module of the library is imported in a fresh interpreter (the fixture)
    # THEN the walk did reach the construct modules (so the check below is not vacuous)
    constructs = {"workflow_constructs.workflow", "workflow_constructs.tasks", "workflow_constructs.function"}
    assert constructs <= set(probe["imported"])
    # AND no module of the app's own packages got loaded along the way
    leaked = [m for m in probe["loaded"] if m.split(".")[0] in APP_PACKAGES]
    assert leaked == []


def test_the_library_holds_no_business_workflow_package(probe):
    # GIVEN the library's own modules
    # THEN none of them is a business workflow (they live in business_workflows)
    assert [m for m in probe["imported"] if m.startswith("workflow_constructs.workflows")] == []
