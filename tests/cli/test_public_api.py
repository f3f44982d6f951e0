"""The CLI's public face: what ``from workflow_cli import ...`` offers another team's plugins."""

from __future__ import annotations

import inspect
from pathlib import Path

import workflow_cli


def test_every_public_name_is_importable_from_the_package():
    assert [name for name in workflow_cli.__all__ if not hasattr(workflow_cli, name)] == []


def test_every_public_function_and_class_has_a_docstring():
    undocumented = [
        name
        for name in workflow_cli.__all__
        if (inspect.isfunction(obj := getattr(workflow_cli, name)) or inspect.isclass(obj))
        and not inspect.getdoc(obj)
    ]
    assert undocumented == []


def test_the_readme_names_every_public_name():
    # cli/src/workflow_cli/__init__.py -> cli/README.md (the source tree under test)
    text = (Path(inspect.getfile(workflow_cli)).parents[2] / "README.md").read_text()
    assert [name for name in workflow_cli.__all__ if f"`{name}`" not in text] == []
