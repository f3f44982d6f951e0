"""The task library's public face: what ``from workflow_runtime import ...`` offers another team."""

from __future__ import annotations

import inspect
from pathlib import Path

import workflow_runtime


def test_every_public_name_is_importable_from_the_package():
    missing = [name for name in workflow_runtime.__all__ if not hasattr(workflow_runtime, name)]
    assert missing == []


def test_every_public_function_and_class_has_a_docstring():
    undocumented = [
        name
        for name in workflow_runtime.__all__
        if (inspect.isfunction(obj := getattr(workflow_runtime, name)) or inspect.isclass(obj))
        and not inspect.getdoc(obj)
    ]
    assert undocumented == []


def test_the_readme_names_every_public_name():
    # runtime/src/workflow_runtime/__init__.py -> runtime/README.md (the source tree under test)
    text = (Path(inspect.getfile(workflow_runtime)).parents[2] / "README.md").read_text()
    assert [name for name in workflow_runtime.__all__ if f"`{name}`" not in text] == []
