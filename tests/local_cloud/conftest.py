"""Fixtures of the local cloud's own tests: the showcase app, deployed once per session."""

from __future__ import annotations

import pytest
from workflow_local_cloud import running_local_cloud

from tests.local_cloud.local_cloud_showcase import build_showcase


@pytest.fixture(scope="session")
def showcase_outdir(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("showcase.out")
    build_showcase(outdir)
    return outdir


@pytest.fixture(scope="module")
def showcase_cloud(request):
    """A local cloud (child process) with the showcase stacks loaded through the in-process loader.

    Module-scoped: only test_showcase.py uses it, and its processes should not outlive that module.
    """
    with running_local_cloud(lambda: request.getfixturevalue("showcase_outdir")) as harness:
        yield harness


@pytest.fixture
def cloud(showcase_cloud):
    """The showcase cloud, with no fault left armed by the test."""
    yield showcase_cloud
    showcase_cloud.clear_faults()
