"""Fixtures shared by every test depth. The app is synthesized once per session.

- ``synthesized_app``: the whole app, synthesized once (also reachable at collection time through
  :func:`synthesize_once`, for tests generated from the templates, such as one fault case per step);
- ``local_cloud_assembly``: what the local cloud deploys, ``synthesized_app``'s folder. The
  ``local_cloud_session`` and ``local_cloud`` fixtures come from the pytest plugin of
  ``workflow-local-cloud`` (``local-cloud/``): a :class:`workflow_local_cloud.LocalCloudHarness` on
  one local cloud per session (a child process) with every stack loaded; faults a test arms are
  cleared after it. Used by ``tests/behaviour`` and ``tests/reliability`` (see ``docs/local-cloud.md``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

REPO_ROOT = Path(__file__).resolve().parents[1]

# aws-cdk-lib's built-in CloudFormation validation (a WebAssembly engine run on every synth, its
# findings only warnings) would repeat what tests/security runs stricter: cfn-lint over every
# template, failing on warnings too. Off in tests, it saves about a third of the suite's CPU time
# and ~220 MB of Node memory (docs/performance.md); `make synth` and `cdk synth` still run it.
# It must be set before aws_cdk starts its Node process; `CDK_VALIDATION=true pytest` turns it on.
os.environ.setdefault("CDK_VALIDATION", "false")

# Property tests check results, never speed (speed lives in `make bench`): hypothesis's per-example
# deadline would only turn a loaded 2-core machine into a flaky failure.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

# The reliability report: counts printed at the end of the run (``--reliability-readme``).
pytest_plugins = ("tests.reliability.plugin",)


SCHEDULED_CUSTOMERS_SAMPLE = "samples/billing/scheduled-customers.json"


def cdk_json_context() -> dict[str, Any]:
    """The context the CDK CLI would pass the app from cdk.json (feature flags), with version
    reporting off as cdk.json's ``"versionReporting": false`` makes the CLI do, and the placeholder
    senders allowed (``allowPlaceholderSenders``): the local cloud verifies no SES identity; and
    the sample customers billed on a schedule (``billing:scheduledCustomers``), as ``make demo`` has."""
    context = dict(json.loads((REPO_ROOT / "cdk.json").read_text())["context"])
    return {
        **context,
        "aws:cdk:version-reporting": False,
        "allowPlaceholderSenders": True,
        "billing:scheduledCustomers": SCHEDULED_CUSTOMERS_SAMPLE,
    }


@dataclass(frozen=True)
class SynthesizedApp:
    """The whole app, synthesized once: templates by stack name, and where the assembly lives."""

    outdir: Path
    templates: Mapping[str, dict[str, Any]]

    def template(self, stack_name: str) -> dict[str, Any]:
        return self.templates[stack_name]


_SYNTHESIZED = pytest.StashKey[SynthesizedApp]()


def synthesize_once(config: pytest.Config) -> SynthesizedApp:
    """The session's synthesized app: built on first use (a fixture, or a collection hook), then kept."""
    if _SYNTHESIZED not in config.stash:
        from app import build_app

        outdir = Path(tempfile.mkdtemp(prefix="cdk.out-"))
        # Removed after every session fixture (the local cloud reads the assembly) is torn down.
        config.add_cleanup(lambda: shutil.rmtree(outdir, ignore_errors=True))
        assembly = build_app(outdir=str(outdir), context=cdk_json_context()).synth()
        templates = {stack.stack_name: stack.template for stack in assembly.stacks}
        config.stash[_SYNTHESIZED] = SynthesizedApp(outdir=outdir, templates=templates)
    return config.stash[_SYNTHESIZED]


@pytest.fixture(scope="session")
def synthesized_app(pytestconfig: pytest.Config) -> SynthesizedApp:
    return synthesize_once(pytestconfig)


@pytest.fixture(scope="session")
def local_cloud_assembly(synthesized_app: SynthesizedApp) -> Path:
    """What the local cloud plugin (workflow-local-cloud) deploys: this app, synthesized once in
    process with cdk.json's context. Its ``local_cloud_session`` and ``local_cloud`` fixtures do the rest."""
    return synthesized_app.outdir


@pytest.fixture(scope="session")
def cdk_context() -> dict[str, Any]:
    """cdk.json's context, for tests that build the app with extra context keys."""
    return cdk_json_context()
