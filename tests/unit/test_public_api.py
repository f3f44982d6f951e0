"""The construct library's public API is the short, deliberate list in ``workflow_constructs.__all__``."""

from __future__ import annotations

import importlib
import inspect

import pytest
import workflow_constructs


def test_all_is_short_and_public():
    # THEN __all__ stays a short list of public names, each once (a new name is a deliberate edit)
    names = workflow_constructs.__all__
    assert len(names) == len(set(names)) <= 12
    assert not [name for name in names if name.startswith("_")]


def test_every_lazy_export_is_in_all_and_nothing_else_is_lazily_exported():
    # GIVEN the lazily loaded names (module -> name map) plus the tasks module
    lazy = {*workflow_constructs._EXPORTS, "tasks"}
    # THEN they are the names of __all__
    assert lazy == set(workflow_constructs.__all__)


@pytest.mark.parametrize("name", workflow_constructs.__all__)
def test_every_public_name_resolves_and_is_documented(name):
    # WHEN the name is read from the package
    value = getattr(workflow_constructs, name)
    # THEN it is the object its module defines, with a docstring
    if name == "tasks":
        assert value is importlib.import_module("workflow_constructs.tasks")
    else:
        assert value is getattr(importlib.import_module(workflow_constructs._EXPORTS[name]), name)
    assert inspect.getdoc(value), f"{name} has no docstring"


def test_an_unknown_name_is_a_clear_attribute_error():
    with pytest.raises(AttributeError, match=r"has no attribute \[workflows\]"):
        _ = workflow_constructs.workflows
