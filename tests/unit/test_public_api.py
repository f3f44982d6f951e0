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
    # GIVEN the lazily loaded names (module -> name map) plus the public modules
    lazy = {*workflow_constructs._EXPORTS, *workflow_constructs._MODULES}
    # THEN they are the names of __all__
    assert lazy == set(workflow_constructs.__all__)


@pytest.mark.parametrize("name", workflow_constructs.__all__)
def test_every_public_name_resolves_and_is_documented(name):
    # WHEN the name is read from the package
    value = getattr(workflow_constructs, name)
    # THEN it is the object its module defines, with a docstring
    if name in workflow_constructs._MODULES:
        assert value is importlib.import_module(f"workflow_constructs.{name}")
    else:
        assert value is getattr(importlib.import_module(workflow_constructs._EXPORTS[name]), name)
    assert inspect.getdoc(value), f"{name} has no docstring"


def test_an_unknown_name_is_a_clear_attribute_error():
    with pytest.raises(AttributeError, match=r"has no attribute \[workflows\]"):
        _ = workflow_constructs.workflows


def test_the_fragments_module_exports_exactly_its_lazy_names():
    from workflow_constructs import fragments

    # THEN its __all__ is its lazy map, and an unknown name is a clear attribute error
    assert set(fragments.__all__) == set(fragments._EXPORTS)
    with pytest.raises(AttributeError, match=r"fragments' has no attribute \[Saga\]"):
        _ = fragments.Saga


@pytest.mark.parametrize("name", ["ChangeSetDeployment", "Compensation", "WaitForCallback"])
def test_every_fragment_resolves_and_is_documented(name):
    from workflow_constructs import fragments

    value = getattr(fragments, name)
    assert value is getattr(importlib.import_module(fragments._EXPORTS[name]), name)
    assert inspect.getdoc(value), f"{name} has no docstring"
