"""Behaviour tests: the app's synthesized workflows, executed for real on the local cloud.

The ``local_cloud`` fixture (``tests/conftest.py``) is a
:class:`workflow_local_cloud.LocalCloudHarness` connected to one local cloud per session (a
child process on a free port) into which every stack of the session's synthesized app was loaded;
faults a test arms are cleared after it. Every test in this folder is marked ``behaviour``. The
harness API is in ``docs/local-cloud.md``.

Example::

    def test_onboarding_welcomes_the_customer(local_cloud):
        result = local_cloud.run("customer-onboarding", {"correlationId": "c-1", ...}, reason="sign-up")
        assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.behaviour)
